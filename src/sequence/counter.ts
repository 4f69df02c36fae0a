// One named counter as this pod serves it. In `prefetch` mode numbers come from blocks held in memory, and
// the next block is taken in the background once a fifth of the last one is used (a double buffer: Leaf
// takes the next segment at 10 %, Tinyid at 20 %), so /next never waits on the database while blocks last.
// In `strict` mode every request takes its numbers from the counter row itself, so each number is larger
// than every number handed out before it by any pod.
//
// The pod's numbers are a short list of segments in ascending order (blocks, and what is left of them).
// /next always takes the lowest number held, so a pod's /next answers increase. /range takes the first
// segment its count fits in; a block's tail too short for the ranges asked stays for /next.
import type { Sql } from "postgres";
import type { Log } from "../db/log";
import { nextBlockSize, type BlockSizeBounds } from "./block-size";
import { BIGINT_MAX, giveBack, readCounter, takeNumbers, type CounterDefinition, type NumberBlock } from "./queries";

export type TakeResult =
  | { value: bigint }
  | { error: "exhausted" | "unavailable" | "unsafe" };
export type RangeResult =
  | { first: bigint; last: bigint }
  | { error: "exhausted" | "unavailable" | "unsafe"; left?: bigint };

export interface CounterOptions extends CounterDefinition {
  sql: Sql;
  log: Log;
  block: BlockSizeBounds;
}

/** Take the next block when this fraction of the last one is used (held numbers fall below the rest). */
const PREFETCH_AT = 0.2;
/** A request that finds the buffer empty waits this long for the take in flight, then answers "unavailable". */
const WAIT_MS = 2000;
/** After a failed take, wait before the next, doubling to the maximum: one attempt per pod per second at most. */
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 1000;
/** A counter found past its maximum is asked again after this long (a restart may have raised the maximum). */
const EXHAUSTED_RECHECK_MS = 5000;
/**
 * Tails kept for /next. Only traffic of /range alone leaves tails unused; past this many the lowest is
 * skipped (a gap, like the block of a crashed pod), so memory stays bounded.
 */
const MAX_SEGMENTS = 8;

interface Segment {
  /** The next number to hand out. */
  next: bigint;
  last: bigint;
}

export class Counter {
  readonly name: string;
  readonly mode: "prefetch" | "strict";
  readonly #sql: Sql;
  readonly #log: Log;
  readonly #bounds: BlockSizeBounds;
  #segments: Segment[] = [];
  /** Numbers held in #segments (blocks are at most 10^7, so a number is exact). */
  #held = 0;
  /** Take the next block when #held falls below this. */
  #refillBelow = 0;
  /** Numbers handed out from memory since the last block arrived, and when it arrived: the rate. */
  #used = 0;
  #lastTakeAt = 0;
  #taking: Promise<void> | null = null;
  #size: number;
  #skipped = 0n;
  #exhaustedUntil = 0;
  #failures = 0;
  #retryAt = 0;
  #closed = false;

  constructor(options: CounterOptions) {
    this.name = options.name;
    this.mode = options.mode;
    this.#sql = options.sql;
    this.#log = options.log;
    this.#bounds = options.block;
    this.#size = options.block.min;
  }

  /** Takes this pod's first block (prefetch mode); start-up fails if the database refuses. */
  async start(): Promise<void> {
    if (this.mode === "prefetch") await this.#takeBlock();
  }

  /** Numbers this pod holds and has not handed out. */
  get buffered(): bigint {
    return BigInt(this.#held);
  }

  /** The size of the next block this pod will take. */
  get blockSize(): number {
    return this.#size;
  }

  /**
   * The hot path: the lowest number held, or undefined (none held, strict mode, or it is above `ceiling`);
   * next() then says why. Never waits; starts the next block's take when due.
   */
  takeBuffered(ceiling: bigint): bigint | undefined {
    const segment = this.#segments[0];
    if (segment === undefined) return undefined;
    const value = segment.next;
    if (value > ceiling) return undefined;
    if (value === segment.last) this.#segments.shift();
    else segment.next = value + 1n;
    this.#used++;
    if (--this.#held < this.#refillBelow) this.#prefetch();
    return value;
  }

  /** The next number, waiting for a block if need be (at most WAIT_MS). */
  async next(ceiling: bigint): Promise<TakeResult> {
    if (this.mode === "strict") {
      const result = await this.#takeDirect(1, ceiling);
      return "error" in result ? result : { value: result.first };
    }
    for (;;) {
      const value = this.takeBuffered(ceiling);
      if (value !== undefined) return { value };
      if (this.#segments.length > 0) return { error: "unsafe" }; // numbers held, but above the ceiling
      if (this.#closed) return { error: "unavailable" };
      if (performance.now() < this.#exhaustedUntil) return { error: "exhausted" };
      if (performance.now() < this.#retryAt) return { error: "unavailable" };
      if (!(await this.#waitForBlock())) return { error: "unavailable" };
    }
  }

  /**
   * `count` consecutive numbers: from a block held when they fit in one, else straight from the counter in
   * one statement (never numbers another pod holds, never split across blocks).
   */
  async range(count: number, ceiling: bigint): Promise<RangeResult> {
    if (this.mode === "prefetch") {
      for (let index = 0; index < this.#segments.length; index++) {
        const segment = this.#segments[index]!;
        const size = Number(segment.last - segment.next) + 1;
        if (size < count) continue;
        const first = segment.next;
        const last = first + BigInt(count - 1);
        if (last > ceiling) break; // higher segments are higher still
        if (size === count) this.#segments.splice(index, 1);
        else segment.next = last + 1n;
        this.#used += count;
        this.#held -= count;
        if (this.#held < this.#refillBelow) this.#prefetch();
        return { first, last };
      }
      // None fits: this range goes to the counter; make sure a fresh block is on its way for the next ones.
      this.#prefetch();
    }
    return this.#takeDirect(count, ceiling);
  }

  /**
   * Graceful stop: waits for a take in flight, then gives the numbers this pod holds back to the counter if
   * nobody has taken any since its last block (compare-and-set): the top segment and every segment
   * contiguous below it. The rest are lost: a counter cannot move back past numbers others hold.
   */
  async close(): Promise<{ returned: bigint; lost: bigint }> {
    this.#closed = true;
    await this.#taking?.catch(() => undefined);
    const segments = this.#segments;
    const held = BigInt(this.#held) + this.#skipped;
    this.#segments = [];
    this.#held = 0;
    if (segments.length === 0) return { returned: 0n, lost: held };
    const top = segments[segments.length - 1]!;
    let from = top.next;
    for (let index = segments.length - 2; index >= 0 && segments[index]!.last + 1n === from; index--) from = segments[index]!.next;
    try {
      if (await giveBack(this.#sql, this.name, top.last, from - 1n)) {
        const returned = top.last - from + 1n;
        return { returned, lost: held - returned };
      }
    } catch (error) {
      this.#log({ level: "warn", msg: "counter numbers could not be given back", counter: this.name, error: String(error) });
    }
    return { returned: 0n, lost: held };
  }

  async #takeDirect(count: number, ceiling: bigint): Promise<RangeResult> {
    try {
      const block = await takeNumbers(this.#sql, this.name, count, { exact: true, ceiling });
      if (block) return block;
      const state = await readCounter(this.#sql, this.name);
      if (!state) return { error: "unavailable" };
      const max = state.max ?? BIGINT_MAX;
      if (state.lastValue + BigInt(count) > max) return { error: "exhausted", left: max - state.lastValue };
      return { error: "unsafe" };
    } catch (error) {
      this.#log({ level: "warn", msg: "counter take failed", counter: this.name, error: String(error) });
      return { error: "unavailable" };
    }
  }

  #prefetch(): void {
    if (this.#taking || this.#closed || this.mode === "strict") return;
    const now = performance.now();
    if (now < this.#retryAt || now < this.#exhaustedUntil) return;
    // Size the next block from the rate at which numbers have gone since the last one arrived.
    this.#size = nextBlockSize(this.#size, this.#used, now - this.#lastTakeAt, this.#bounds);
    void this.#takeBlock().catch(() => undefined);
  }

  /** Waits (up to WAIT_MS) for a block: the take in flight, or a new one. False if none came. */
  async #waitForBlock(): Promise<boolean> {
    if (this.#segments.length > 0) return true;
    const taking = this.#taking ?? this.#takeBlock();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), WAIT_MS)));
    try {
      return await Promise.race([taking.then(() => true, () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #add(block: NumberBlock): void {
    const size = Number(block.last - block.first) + 1;
    this.#segments.push({ next: block.first, last: block.last });
    this.#held += size;
    this.#refillBelow = Math.floor(size * (1 - PREFETCH_AT));
    this.#used = 0;
    this.#lastTakeAt = performance.now();
    if (this.#segments.length > MAX_SEGMENTS) {
      const dropped = this.#segments.shift()!;
      const lost = Number(dropped.last - dropped.next) + 1;
      this.#held -= lost;
      this.#skipped += BigInt(lost);
      this.#log({ level: "debug", msg: "counter tail skipped (a gap): /range traffic left it unused", counter: this.name, numbers: lost });
    }
  }

  /** One block take; at most one at a time. */
  #takeBlock(): Promise<void> {
    if (this.#taking) return this.#taking;
    this.#taking = takeNumbers(this.#sql, this.name, this.#size)
      .then(
        (block) => {
          if (this.#failures > 0) this.#log({ level: "info", msg: "counter blocks taken again", counter: this.name, failures: this.#failures });
          this.#failures = 0;
          if (!block) {
            this.#exhaustedUntil = performance.now() + EXHAUSTED_RECHECK_MS;
            return;
          }
          this.#exhaustedUntil = 0;
          // Kept even when closing: close() waits for this take and gives the block back.
          this.#add(block);
        },
        (error: unknown) => {
          if (this.#failures === 0) this.#log({ level: "error", msg: "counter block take failed; serving from memory", counter: this.name, error: String(error) });
          this.#failures++;
          this.#retryAt = performance.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.#failures - 1));
          throw error;
        },
      )
      .finally(() => {
        this.#taking = null;
      });
    return this.#taking;
  }
}
