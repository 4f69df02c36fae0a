// One named counter as this pod serves it. In `prefetch` mode numbers come from blocks held in memory, and
// the next block is taken in the background once a fifth of the last one is used (a double buffer: Leaf
// takes the next segment at 10 %, Tinyid at 20 %), so /next never waits on the database while blocks last.
// In `strict` mode every request takes its numbers from the counter row itself, so each number is larger
// than every number handed out before it by any pod.
//
// The pod's numbers are a short list of segments in ascending order (blocks, and what is left of them).
// /next always takes the lowest number held, so a pod's /next answers increase. /range takes the first
// segment its count fits in; a block's tail too short for the ranges asked stays for /next.
//
// Gaps (issue 4: "a graceful stop never loses more than one block"). A block take uses numbers a stopped pod
// returned (counter_returned, migration 006) before the counter row, but only a range lying above every
// number this pod has ever held: each block this pod adds is then above all it held before, so the list stays
// ascending and the pod's numbers increase. A graceful stop (close()) gives what it holds back to the counter
// row when nobody has taken numbers since (compare-and-set), and records everything else in counter_returned,
// in one transaction: it loses nothing unless the database is unreachable then, in which case it loses what
// a crash does, everything the pod held (under two blocks plus short /range tails).
import type { Sql } from "postgres";
import type { Log } from "../db/log";
import { nextBlockSize, type BlockSizeBounds } from "./block-size";
import { BIGINT_MAX, giveBack, readCounter, recordReturned, takeBlock, takeNumbers, type CounterDefinition, type TakenBlocks } from "./queries";

export type TakeResult =
  | { value: bigint }
  | { error: "exhausted" | "unavailable" | "unsafe" };
export type RangeResult =
  | { first: bigint; last: bigint }
  | { error: "exhausted" | "unavailable" | "unsafe"; left?: bigint };

/** What a graceful stop did with the numbers the pod held and had not handed out. */
export interface CloseResult {
  /** Given back to the counter row (it moved back). */
  returned: bigint;
  /** Written to counter_returned, for later block takes. */
  recorded: bigint;
  /** Neither: a gap (the database refused, or a tail dropped while running could not be recorded). */
  lost: bigint;
}

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
 * Segments kept. Only traffic of /range alone leaves block tails unused; past this many the lowest are
 * recorded in counter_returned for pods that start later (a gap only if the database refuses), so memory
 * stays bounded. Room for two takes of returned ranges (RETURNED_PER_TAKE pieces each, src/sequence/queries.ts)
 * so that those are not recorded straight back.
 */
const MAX_SEGMENTS = 32;

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
  /** The last take brought fewer numbers than asked (a small returned range): the rate window stays open. */
  #short = false;
  /** The highest number this pod has ever held (blocks and direct ranges); -1: none yet. See takeBlock. */
  #highestHeld = -1n;
  /** Numbers reused from counter_returned by this pod's block takes (the state endpoint shows it). */
  #reused = 0n;
  /** Tails dropped by MAX_SEGMENTS being written to counter_returned; close() waits for them. */
  #recording: Promise<void>[] = [];
  #recordedWhileRunning = 0n;
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

  /** Numbers this pod's block takes have reused from counter_returned. */
  get reused(): bigint {
    return this.#reused;
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
   * one statement (never numbers another pod holds, never split across blocks). When none fits but a block
   * could (count ≤ the block size), it waits for the next block first (up to WAIT_MS): under a burst of
   * ranges, going to the counter row instead would queue every request on that one row's lock.
   */
  async range(count: number, ceiling: bigint): Promise<RangeResult> {
    if (this.mode === "prefetch") {
      const deadline = performance.now() + WAIT_MS;
      for (;;) {
        const taken = this.#rangeFromMemory(count, ceiling);
        if (taken === "above") break;
        if (taken) return taken;
        const now = performance.now();
        if (count > this.#size || this.#closed || now >= deadline || now < this.#retryAt || now < this.#exhaustedUntil) break;
        if (!(await this.#waitForBlock(deadline - now))) break;
      }
    }
    return this.#takeDirect(count, ceiling);
  }

  /** `count` numbers from the first segment they fit in; "above" if they fit but pass the ceiling. */
  #rangeFromMemory(count: number, ceiling: bigint): RangeResult | "above" | undefined {
    for (let index = 0; index < this.#segments.length; index++) {
      const segment = this.#segments[index]!;
      const size = Number(segment.last - segment.next) + 1;
      if (size < count) continue;
      const first = segment.next;
      const last = first + BigInt(count - 1);
      if (last > ceiling) return "above"; // higher segments are higher still
      if (size === count) this.#segments.splice(index, 1);
      else segment.next = last + 1n;
      this.#used += count;
      this.#held -= count;
      if (this.#held < this.#refillBelow) this.#prefetch();
      return { first, last };
    }
    return undefined;
  }

  /**
   * Graceful stop, after requests have drained: waits for a take in flight (its block is kept and goes back
   * too), then, in one transaction, gives the numbers this pod holds back to the counter row if nobody has
   * taken any since its last block (compare-and-set: the top segment and every segment contiguous below it),
   * and records every other segment in counter_returned. The compare-and-set comes first because it keeps
   * the counter dense and the table empty in the common case (the pod that took last stops first, or alone);
   * the table catches what it cannot: the counter cannot move back past numbers others have taken.
   * Only if the database refuses are the numbers lost (as in a crash).
   */
  async close(): Promise<CloseResult> {
    this.#closed = true;
    await this.#taking?.catch(() => undefined);
    await Promise.all(this.#recording);
    const segments = this.#segments;
    this.#segments = [];
    this.#held = 0;
    const result: CloseResult = { returned: 0n, recorded: this.#recordedWhileRunning, lost: this.#skipped };
    if (segments.length === 0) return result;
    const blocks = segments.map((segment) => ({ first: segment.next, last: segment.last }));
    const held = blocks.reduce((sum, block) => sum + block.last - block.first + 1n, 0n);
    const top = blocks[blocks.length - 1]!;
    let lowest = blocks.length - 1;
    while (lowest > 0 && blocks[lowest - 1]!.last + 1n === blocks[lowest]!.first) lowest--;
    const from = blocks[lowest]!.first;
    try {
      const givenBack = await this.#sql.begin(async (tx) => {
        const moved = await giveBack(tx, this.name, top.last, from - 1n);
        await recordReturned(tx, this.name, moved ? blocks.slice(0, lowest) : blocks);
        return moved ? top.last - from + 1n : 0n;
      });
      result.returned += givenBack;
      result.recorded += held - givenBack;
    } catch (error) {
      this.#log({ level: "warn", msg: "counter numbers could not be given back (a gap)", counter: this.name, numbers: held, error: String(error) });
      result.lost += held;
    }
    return result;
  }

  async #takeDirect(count: number, ceiling: bigint): Promise<RangeResult> {
    try {
      const block = await takeNumbers(this.#sql, this.name, count, { exact: true, ceiling });
      if (block) {
        if (block.last > this.#highestHeld) this.#highestHeld = block.last;
        return block;
      }
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
    // Size the next block from the rate at which numbers have gone since the last full block arrived (a
    // short take, a small returned range, is topped up at once at the same size, not counted as a sample).
    if (!this.#short) this.#size = nextBlockSize(this.#size, this.#used, now - this.#lastTakeAt, this.#bounds);
    void this.#takeBlock().catch(() => undefined);
  }

  /** Waits (up to `ms`) for the next block: the take in flight, or a new one. False if none came. */
  async #waitForBlock(ms = WAIT_MS): Promise<boolean> {
    const taking = this.#taking ?? this.#takeBlock();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([taking.then(() => true, () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Blocks arrived: above everything this pod ever held (takeBlock's floor), so pushed at the top. */
  #add(taken: TakenBlocks, asked: number): void {
    let size = 0;
    for (const block of taken.blocks) {
      const numbers = Number(block.last - block.first) + 1;
      this.#segments.push({ next: block.first, last: block.last });
      this.#highestHeld = block.last;
      size += numbers;
      if (taken.returned) this.#reused += BigInt(numbers);
    }
    this.#held += size;
    // From the size asked, not the size got: after a short take (a small returned range, or the counter's
    // last numbers) the held numbers may already be below it, and the next request starts the next take.
    this.#refillBelow = Math.floor(asked * (1 - PREFETCH_AT));
    this.#short = size < asked;
    if (!this.#short) {
      this.#used = 0;
      this.#lastTakeAt = performance.now();
    }
    if (this.#segments.length > MAX_SEGMENTS) {
      // Several pieces of returned ranges can arrive at once: keep the top MAX_SEGMENTS, return the rest.
      const tails = this.#segments.splice(0, this.#segments.length - MAX_SEGMENTS).map((dropped) => ({ first: dropped.next, last: dropped.last }));
      const numbers = tails.reduce((sum, tail) => sum + tail.last - tail.first + 1n, 0n);
      this.#held -= Number(numbers);
      const recording = recordReturned(this.#sql, this.name, tails).then(
        () => {
          this.#recordedWhileRunning += numbers;
          this.#log({ level: "debug", msg: "counter tail returned: /range traffic left it unused", counter: this.name, numbers });
        },
        (error: unknown) => {
          this.#skipped += numbers;
          this.#log({ level: "warn", msg: "counter tail could not be returned (a gap)", counter: this.name, numbers, error: String(error) });
        },
      ).finally(() => {
        this.#recording = this.#recording.filter((other) => other !== recording);
      });
      this.#recording.push(recording);
    }
  }

  /** One block take; at most one at a time. */
  #takeBlock(): Promise<void> {
    if (this.#taking) return this.#taking;
    const asked = this.#size;
    this.#taking = takeBlock(this.#sql, this.name, asked, this.#highestHeld)
      .then(
        (taken) => {
          if (this.#failures > 0) this.#log({ level: "info", msg: "counter blocks taken again", counter: this.name, failures: this.#failures });
          this.#failures = 0;
          if (!taken) {
            this.#exhaustedUntil = performance.now() + EXHAUSTED_RECHECK_MS;
            return;
          }
          this.#exhaustedUntil = 0;
          // Kept even when closing: close() waits for this take and gives the blocks back.
          this.#add(taken, asked);
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
