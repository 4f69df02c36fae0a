// One named counter as this pod serves it. In `prefetch` mode numbers come from a block held in memory, with
// the next block taken in the background once a fifth of the current one is used (a double buffer: Leaf takes
// the next segment at 10 %, Tinyid at 20 %), so /next never waits on the database while a block lasts. In
// `strict` mode every request takes its numbers from the counter row itself, so each number is larger than
// every number handed out before it by any pod.
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

/** Start the next block's take when this fraction of the current block is used. */
const PREFETCH_AT = 0.2;
/** A request that finds the buffer empty waits this long for the take in flight, then answers "unavailable". */
const WAIT_MS = 2000;
/** After a failed take, wait before the next, doubling to the maximum: one attempt per pod per second at most. */
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 1000;
/** A counter found past its maximum is asked again after this long (a restart may have raised the maximum). */
const EXHAUSTED_RECHECK_MS = 5000;

export class Counter {
  readonly name: string;
  readonly mode: "prefetch" | "strict";
  readonly #sql: Sql;
  readonly #log: Log;
  readonly #bounds: BlockSizeBounds;
  // The current block: #next..#last are still to hand out (empty when #next > #last).
  #first = 1n;
  #next = 1n;
  #last = 0n;
  #prefetchAt = BIGINT_MAX;
  #activatedAt = 0;
  #queued: NumberBlock | null = null;
  #taking: Promise<void> | null = null;
  #size: number;
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

  /** Numbers this pod holds and has not handed out (both blocks). */
  get buffered(): bigint {
    const current = this.#next <= this.#last ? this.#last - this.#next + 1n : 0n;
    return current + (this.#queued ? this.#queued.last - this.#queued.first + 1n : 0n);
  }

  get blockSize(): number {
    return this.#size;
  }

  /**
   * The hot path: the next number from memory, or undefined (empty, strict, or the next number is above
   * `ceiling`); next() then says why. Never waits; starts the next block's take when due.
   */
  takeBuffered(ceiling: bigint): bigint | undefined {
    if (this.#next > this.#last && !this.#promote()) return undefined;
    const value = this.#next;
    if (value > ceiling) return undefined;
    this.#next = value + 1n;
    if (value >= this.#prefetchAt) this.#prefetch();
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
      if (this.#next <= this.#last) return { error: "unsafe" }; // numbers held, but above the ceiling
      if (this.#closed) return { error: "unavailable" };
      if (performance.now() < this.#exhaustedUntil) return { error: "exhausted" };
      if (performance.now() < this.#retryAt) return { error: "unavailable" };
      if (!(await this.#waitForBlock())) return { error: "unavailable" };
    }
  }

  /**
   * `count` consecutive numbers: from the current block when they fit in it, else straight from the counter
   * in one statement (never from numbers another pod holds, never split across blocks).
   */
  async range(count: number, ceiling: bigint): Promise<RangeResult> {
    if (this.mode === "prefetch" && this.#next <= this.#last && this.#last - this.#next + 1n >= BigInt(count)) {
      const first = this.#next;
      const last = first + BigInt(count - 1);
      if (last <= ceiling) {
        this.#next = last + 1n;
        if (last >= this.#prefetchAt) this.#prefetch();
        return { first, last };
      }
    }
    return this.#takeDirect(count, ceiling);
  }

  /**
   * Graceful stop: waits for a take in flight, then gives the numbers this pod holds back to the counter if
   * nobody has taken any since its last block (compare-and-set). Otherwise they are lost: a counter cannot
   * move back past numbers others hold. Resolves to how many went back and how many were lost.
   */
  async close(): Promise<{ returned: bigint; lost: bigint }> {
    this.#closed = true;
    await this.#taking?.catch(() => undefined);
    const held = this.buffered;
    const current = this.#next <= this.#last ? { first: this.#next, last: this.#last } : null;
    const queued = this.#queued;
    this.#next = 1n;
    this.#last = 0n;
    this.#queued = null;
    if (held === 0n) return { returned: 0n, lost: 0n };
    // The highest block held must be the counter's last take; the numbers returned are those from the
    // lowest one contiguous with it.
    const top = queued ?? current!;
    const from = queued && current && current.last + 1n === queued.first ? current.first : top.first;
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
    let block: NumberBlock | null;
    try {
      block = await takeNumbers(this.#sql, this.name, count, { exact: true, ceiling });
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

  /** Makes the queued block current; false when there is none. */
  #promote(): boolean {
    const block = this.#queued;
    if (!block) return false;
    this.#queued = null;
    this.#activate(block);
    return true;
  }

  #activate(block: NumberBlock): void {
    const size = block.last - block.first + 1n;
    this.#first = block.first;
    this.#next = block.first;
    this.#last = block.last;
    this.#prefetchAt = block.first + BigInt(Math.floor(Number(size) * PREFETCH_AT));
    this.#activatedAt = performance.now();
  }

  #prefetch(): void {
    if (this.#queued || this.#taking || this.#closed || performance.now() < this.#retryAt || performance.now() < this.#exhaustedUntil) return;
    // Size the next block from the rate at which this one is being used.
    const used = Number(this.#next - this.#first);
    this.#size = nextBlockSize(this.#size, used, performance.now() - this.#activatedAt, this.#bounds);
    void this.#takeBlock().catch(() => undefined);
  }

  /** Waits (up to WAIT_MS) for a block: the take in flight, or a new one. False if none came. */
  async #waitForBlock(): Promise<boolean> {
    if (this.#queued) return true;
    const taking = this.#taking ?? this.#takeBlock();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), WAIT_MS)));
    try {
      return await Promise.race([taking.then(() => true, () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One block take in the background; at most one at a time. */
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
          if (this.#next > this.#last) this.#activate(block);
          else this.#queued = block;
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
