// One ID type's issuance on this pod: a prefetch buffer fed by chunk claims, refills of the database pool
// when it runs low, and exact exhaustion. The request path is issue(): synchronous in steady state.
import type { Sql } from "postgres";
import type { Rules } from "../../wasm/index.js";
import { PrefetchBuffer } from "./buffer";
import { LEASE_SECONDS } from "./lease";
import { claimChunks, countAvailable, forgetClaimedChunks, heldByLivePods, readGenerated, returnToPool } from "./queries";
import { replenishPool, type ReplenishTarget } from "./replenish";
import { poolSizes, type PoolSizes } from "./sizing";

export type Log = (entry: { level: "debug" | "info" | "warn" | "error"; msg: string; [field: string]: unknown }) => void;

export interface TypePoolOptions {
  sql: Sql;
  log: Log;
  /** This pod's name, recorded with every claim. */
  pod: string;
  idType: string;
  rules: Rules;
  capacity: { count: bigint; exact: boolean };
  /** IDs kept available in the database, and the level below which a refill starts. */
  target: number;
  threshold: number;
  bufferSize: number;
  lowWater: number;
  /** Most IDs one claim asks for under load (src/pool/buffer.ts); default bufferSize (claims never grow). */
  bufferMax?: number;
  /** How long a request may wait for a refill before it is answered 503 IDG-001. */
  refillWaitMs?: number;
  /** Pods not seen for this long are gone (see lease.ts); defaults to LEASE_SECONDS. */
  leaseSeconds?: number;
  /**
   * Runs one refill of the database pool (resolves to IDs added). Default: replenishPool() on this event loop
   * with `sql`; the service passes its refill thread's (src/pool/refill-thread.ts).
   */
  refill?: (target: ReplenishTarget) => Promise<number>;
  /** Told of issues, claims and refills (the service's metrics); optional, and never throws into the pool. */
  observer?: PoolObserver;
}

/** What a pool reports as it works, for metrics. Durations in seconds; `failed` when the database threw. */
export interface PoolObserver {
  issued(): void;
  /** A request (one ID or a batch) found the buffer short and waited on the database (a claim or a refill). */
  waited(): void;
  claimed(ids: number, seconds: number, failed: boolean): void;
  refilled(ids: number, seconds: number, failed: boolean): void;
}

export type IssueResult = { id: string } | { exhausted: true } | { behind: true };
/** A batch: all `count` IDs, or none and why; `short` says how many this pod could still hand out. */
export type BatchResult = { ids: string[] } | { exhausted: true } | { behind: true } | { short: number };

const TIMED_OUT = Symbol("timed out");
const STILL_REFILLING = Symbol("still refilling");
/** How often a request waiting on a refill claims again (see #refillOrPoll). */
const REFILL_POLL_MS = 50;
/**
 * A claim reads the pool's level (to start a refill ahead of demand) at most this often per type on a pod.
 * The read sums the sizes of every chunk of the type, so it costs the database in proportion to the pool
 * (0.4-0.56 ms of a backend's CPU at 4,000-8,000 chunks on a 2-core machine, 2026-12-06), and under load a
 * pod claims 30-100 times a second. Read after every claim, it cost PostgreSQL about 1 µs per issued ID on top
 * of the claims' own 2-2.5 (a scratch A/B of 2026-12-06, not a committed bench: the service under wrk, pool of
 * 3M IDs filled beforehand, the database backends' CPU per issued ID, 3.4-3.9 µs against 2.0-2.5 without the
 * read). A level at most this old decides nothing that matters: a refill takes seconds, and the threshold has
 * to cover that long's demand anyway. Requests that find the buffer empty do not wait for this: they start a
 * refill themselves (#refillOrPoll), and the periodic check (pool_check_interval_seconds) still runs.
 */
const LEVEL_READ_MS = 100;

/** `check` run once at a time: callers that come while it runs share its answer. */
function oneAtATime<T>(check: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => (running ??= check().finally(() => (running = null)));
}
/** `work`'s result, or TIMED_OUT after `ms` (work goes on; its result is then ignored). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms))));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A claimed chunk and how many of its IDs are still in the buffer, in buffer order. */
interface Segment {
  chunkId: string;
  left: number;
}

export class TypePool {
  readonly sizes: PoolSizes;
  readonly #options: TypePoolOptions & { capacity: { count: bigint; exact: boolean } };
  readonly #buffer: PrefetchBuffer;
  #segments: Segment[] = [];
  #issuedChunks: string[] = [];
  #flushing: Promise<void> | null = null;
  #replenishing: Promise<number> | null = null;
  /** When exhaustion was last seen. Remembered for a second, so an exhausted type hammered by clients costs
   * the database three queries a second, not three per request; re-checked after that, because IDs can come
   * back (a pod thought dead after a long stall that then stops gracefully returns its buffer). */
  #spentAt = -Infinity;
  /** When a claim last read the pool's level (LEVEL_READ_MS). */
  #levelReadAt = -Infinity;

  constructor(options: TypePoolOptions) {
    this.#options = { ...options };
    this.sizes = poolSizes(options.capacity, options);
    this.#buffer = new PrefetchBuffer({
      size: this.sizes.bufferSize,
      lowWater: this.sizes.lowWater,
      adaptive: this.sizes.adaptive,
      maxClaim: this.sizes.maxClaim,
      claim: (count) => this.#claim(count),
      onError: (error) => options.log({ level: "warn", msg: "claims failing; retrying with backoff, answering from the buffer meanwhile", idType: options.idType, error: String(error) }),
      onRecovered: () => options.log({ level: "info", msg: "claims succeed again", idType: options.idType }),
    });
  }

  /** Replaces the capacity once it has been counted (it decides exact exhaustion). */
  setCapacity(capacity: { count: bigint; exact: boolean }): void {
    this.#options.capacity = capacity;
  }

  get buffered(): number {
    return this.#buffer.available;
  }

  /**
   * The next ID, or why there is none. Resolves at once while the buffer has IDs; otherwise waits for the
   * claim in flight (or a refill) for at most refillWaitMs, and never throws: a database that fails or does
   * not answer makes it `{ behind: true }` (503), never an error or a hang.
   */
  async issue(): Promise<IssueResult> {
    const ready = this.issueNow();
    if (ready !== undefined) return { id: ready };
    this.#options.observer?.waited();
    try {
      return await this.#issueWhenStocked();
    } catch (error) {
      this.#databaseTrouble(error);
      return { behind: true };
    }
  }

  /** The next ID if the buffer holds one now (synchronous: the request path's fast lane), else undefined. */
  issueNow(): string | undefined {
    const id = this.#buffer.take();
    if (id !== undefined) this.#issued();
    return id;
  }

  // Only this loop takes an ID after waiting, and it takes one only while its request is still waiting: an
  // ID taken for a request that has already been answered 503 would be lost.
  async #issueWhenStocked(): Promise<IssueResult> {
    const deadline = performance.now() + (this.#options.refillWaitMs ?? 2000);
    const left = () => deadline - performance.now();
    for (;;) {
      const id = this.#buffer.take();
      if (id !== undefined) {
        this.#issued();
        return { id };
      }
      if (left() <= 0) return { behind: true };
      const arrived = await within(this.#buffer.refill(), left());
      if (arrived === TIMED_OUT) return this.#takeOr({ behind: true });
      if (arrived > 0) continue;
      // The pool had nothing to claim: used up, or a refill is due.
      if (await within(this.#exhausted(), left()) === true) return this.#takeOr({ exhausted: true });
      const added = await within(this.#refillOrPoll(), left());
      if (added === TIMED_OUT) return this.#takeOr({ behind: true });
      if (added === 0) await Bun.sleep(Math.min(50, Math.max(0, left()))); // another pod's refill may be landing
    }
  }

  /**
   * Starts (or joins) a refill and resolves when it ends or after REFILL_POLL_MS, whichever is first (then to
   * STILL_REFILLING): a refill lands in steps, and a waiting request claims again as soon as the first step has
   * committed instead of waiting for the whole refill (up to seconds for a large one on a busy machine).
   */
  #refillOrPoll(): Promise<number | typeof STILL_REFILLING> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = new Promise<typeof STILL_REFILLING>((resolve) => (timer = setTimeout(() => resolve(STILL_REFILLING), REFILL_POLL_MS)));
    return Promise.race([this.replenish(), poll]).finally(() => clearTimeout(timer));
  }

  /**
   * `count` IDs at once, or none: a batch is never handed out in part. Takes them from the buffer when it
   * holds enough, else claims what is missing (one claim of at least `count`) and waits up to `waitMs`.
   * When the type's space is fully generated and the pool is empty, a batch larger than this pod's buffer
   * can never be served: it answers `short` (how many are left here) at once, or `exhausted` when nothing is.
   */
  async issueMany(count: number, waitMs = 10_000): Promise<BatchResult> {
    const ready = this.#buffer.takeMany(count);
    if (ready !== undefined) return this.#issuedMany(ready);
    this.#options.observer?.waited();
    try {
      return await this.#issueManyWhenStocked(count, waitMs);
    } catch (error) {
      this.#databaseTrouble(error);
      return { behind: true };
    }
  }

  async #issueManyWhenStocked(count: number, waitMs: number): Promise<BatchResult> {
    const deadline = performance.now() + waitMs;
    const left = () => deadline - performance.now();
    const takeOr = (otherwise: BatchResult): BatchResult => {
      const ids = this.#buffer.takeMany(count);
      return ids !== undefined ? this.#issuedMany(ids) : otherwise;
    };
    for (;;) {
      const ids = this.#buffer.takeMany(count);
      if (ids !== undefined) return this.#issuedMany(ids);
      if (left() <= 0) return { behind: true };
      const arrived = await within(this.#buffer.refill(count - this.#buffer.available), left());
      if (arrived === TIMED_OUT) return takeOr({ behind: true });
      if (arrived > 0) continue;
      // The pool had nothing to claim: used up, or a refill is due.
      const spent = await within(this.#spaceSpent(), left());
      if (spent === TIMED_OUT) return takeOr({ behind: true });
      if (spent) {
        if (this.#buffer.available > 0) return takeOr({ short: this.#buffer.available });
        return (await within(this.#exhausted(), left())) === true ? takeOr({ exhausted: true }) : takeOr({ behind: true });
      }
      const added = await within(this.#refillOrPoll(), left());
      if (added === TIMED_OUT) return takeOr({ behind: true });
      if (added === 0) await Bun.sleep(Math.min(50, Math.max(0, left())));
    }
  }

  /** Every valid ID generated and none left in the pool: no claim can bring more. One check at a time, as #exhausted. */
  readonly #spaceSpent = oneAtATime(() => this.#checkSpaceSpent());

  async #checkSpaceSpent(): Promise<boolean> {
    const { sql, idType, capacity } = this.#options;
    if (!capacity.exact || (await readGenerated(sql, idType)) < capacity.count) return false;
    return (await countAvailable(sql, idType)) === 0;
  }

  #issuedMany(ids: string[]): BatchResult {
    for (let i = 0; i < ids.length; i++) this.#issued();
    return { ids };
  }

  #takeOr(otherwise: IssueResult): IssueResult {
    const id = this.#buffer.take();
    if (id === undefined) return otherwise;
    this.#issued();
    return { id };
  }

  #troubleLoggedAt = -Infinity;
  /** Logs a failing database on the request path at most every 5 s (an outage would otherwise flood the log). */
  #databaseTrouble(error: unknown): void {
    if (performance.now() - this.#troubleLoggedAt < 5000) return;
    this.#troubleLoggedAt = performance.now();
    this.#options.log({ level: "warn", msg: "pool claim failed; answering 503 until the database is back", idType: this.#options.idType, buffered: this.buffered, error: String(error) });
  }

  /** Starts a refill of the database pool unless one is running on this pod; resolves to IDs added. */
  replenish(): Promise<number> {
    const { sql, idType, rules, target, capacity, log, observer, refill = (wanted) => replenishPool(sql, wanted) } = this.#options;
    const started = performance.now();
    this.#replenishing ??= refill({ idType, rules, target, chunkSize: this.sizes.chunkSize, capacity })
      .then((added) => {
        if (added > 0) log({ level: "info", msg: "pool replenished", idType, added });
        observer?.refilled(added, (performance.now() - started) / 1000, false);
        return added;
      }, (error: unknown) => {
        observer?.refilled(0, (performance.now() - started) / 1000, true);
        throw error;
      })
      .finally(() => {
        this.#replenishing = null;
      });
    return this.#replenishing;
  }

  /** Refills when the pool is below its threshold (the periodic check). */
  async check(): Promise<void> {
    const { sql, idType, threshold } = this.#options;
    await this.#flushIssuedChunks();
    if ((await countAvailable(sql, idType)) < threshold) await this.replenish();
  }

  /**
   * Graceful stop: every ID claimed and not issued goes back to the pool. Resolves to how many went back; if
   * the database cannot take them, they stay claimed under this pod's name (counted as waste once its lease
   * lapses), which is logged, and it resolves to 0.
   */
  async close(): Promise<number> {
    const rest = await this.#buffer.close();
    await this.#replenishing?.catch(() => 0);
    await this.#flushing?.catch(() => undefined);
    const chunkIds = [...this.#issuedChunks, ...this.#segments.map((segment) => segment.chunkId)];
    try {
      const reuse = this.#segments.map((segment) => segment.chunkId);
      await returnToPool(this.#options.sql, this.#options.idType, rest, chunkIds, reuse, this.sizes.chunkSize);
    } catch (error) {
      this.#options.log({ level: "error", msg: "could not return buffered IDs to the pool; they stay claimed and are wasted", idType: this.#options.idType, ids: rest.length, error: String(error) });
      return 0;
    } finally {
      this.#segments = [];
      this.#issuedChunks = [];
    }
    return rest.length;
  }

  /** Records that one ID left this pod, in buffer order (metrics; its chunk is forgotten once used up). */
  #issued(): void {
    this.#options.observer?.issued();
    const head = this.#segments[0];
    if (head && --head.left === 0) {
      this.#segments.shift();
      this.#issuedChunks.push(head.chunkId);
      // Forget it now, not at the next claim: until then other pods see it as held, and a type whose last
      // IDs are in it would answer 503 instead of 410 there.
      void this.#flushIssuedChunks().catch((error) =>
        this.#options.log({ level: "warn", msg: "forgetting used chunks failed; retried at the next claim", idType: this.#options.idType, error: String(error) }),
      );
    }
  }

  async #claim(count: number): Promise<string[]> {
    const { sql, idType, pod, threshold, observer } = this.#options;
    const started = performance.now();
    const chunks = await claimChunks(sql, idType, Math.max(1, Math.ceil(count / this.sizes.chunkSize)), pod).catch((error: unknown) => {
      observer?.claimed(0, (performance.now() - started) / 1000, true);
      throw error;
    });
    const ids: string[] = [];
    for (const chunk of chunks) {
      this.#segments.push({ chunkId: chunk.chunkId, left: chunk.ids.length });
      for (const id of chunk.ids) ids.push(id);
    }
    observer?.claimed(ids.length, (performance.now() - started) / 1000, false);
    // Ahead of demand: a claim that finds the pool low starts a refill without waiting for the periodic check.
    // At most one level read per LEVEL_READ_MS (see there).
    const now = performance.now();
    if (now - this.#levelReadAt >= LEVEL_READ_MS) {
      this.#levelReadAt = now;
      void countAvailable(sql, idType)
        .then((available) => (available < threshold ? this.replenish() : 0))
        .catch((error) => this.#options.log({ level: "error", msg: "pool refill failed", idType, error: String(error) }));
    }
    void this.#flushIssuedChunks().catch(() => undefined);
    return ids;
  }

  /** Deletes the claims of used-up chunks: one statement at a time, batching whatever piled up meanwhile. */
  async #flushIssuedChunks(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => undefined);
    if (this.#issuedChunks.length === 0) return;
    const done = this.#issuedChunks;
    this.#issuedChunks = [];
    this.#flushing = forgetClaimedChunks(this.#options.sql, done)
      .catch((error) => {
        this.#issuedChunks.push(...done);
        throw error;
      })
      .finally(() => {
        this.#flushing = null;
      });
    await this.#flushing;
  }

  /**
   * Exact exhaustion: every valid ID generated, none available, none held by a live pod. IDs held by a pod
   * whose lease expired were wasted by its crash and never come back; IDs in a live pod's buffer may still
   * be issued (or returned at its stop), so meanwhile the answer is 503, not 410.
   */
  // One check at a time: every request waiting on an empty pool asks, every REFILL_POLL_MS.
  readonly #exhausted = oneAtATime(() => this.#checkExhausted());

  async #checkExhausted(): Promise<boolean> {
    if (performance.now() - this.#spentAt < 1000) return true;
    const { sql, idType, capacity, leaseSeconds = LEASE_SECONDS } = this.#options;
    if (!capacity.exact) return false;
    await this.#flushIssuedChunks();
    if ((await readGenerated(sql, idType)) < capacity.count) return false;
    const spent = (await countAvailable(sql, idType)) === 0 && !(await heldByLivePods(sql, idType, leaseSeconds));
    if (spent) this.#spentAt = performance.now();
    return spent;
  }
}
