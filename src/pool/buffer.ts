// A pod's in-memory stock of claimed IDs for one type. Requests take from it synchronously, so in steady
// state no request waits on the database; it refills itself ahead of demand, one claim at a time, and
// requests that find it empty wait for that one claim (refill() returns the claim in flight) instead of
// starting their own.
//
// "Ahead of demand" needs the claim to land before the stock runs out. A fixed low-water mark does not
// guarantee it: on a busy 2-core machine a claim takes about 6 ms (idgen_claim_duration_seconds, 2026-12-06),
// and at 60k requests a second the default mark of 300 IDs lasts 5 ms: a claim could land late at every
// buffer's worth of requests, and everyone on the pod waits for it. Measured over HTTP at about 30k requests a
// second on a 2-core machine (A/B in one run, 4 rounds of 6 s): 122-678 requests waited per round with the
// fixed mark, 100-181 with the adaptive one. So, when `adaptive`, the mark rises with demand: a claim starts
// when fewer IDs remain than the recent rate of takes would use in CLAIM_HEADROOM times the recent claim
// duration, never below the configured mark and never above the claim's size - 1.
//
// Claims also grow with demand, up to `maxClaim` IDs: a claim asks for what the recent rate of takes would use
// in CLAIM_COVER_MS, rounded up to whole `size`s (a claim takes whole chunks of `size` IDs), never fewer than
// `size`. Why: at 45k requests a second a claim of 1000 IDs lasts 22 ms, about the duration of one claim while a
// refill's COPY shares the database's two cores; the buffer then ran dry a few times per 6 s of load (50-250
// requests waited, each for a whole claim: the p99's tail), and the pod made 45 claims a second, each a
// statement, a round trip and a claimed_chunk row. Measured on a 2-core machine (2026-12-07, scratch A/B, the
// service under wrk at 35-55k requests a second with a refill underneath, rounds of 6 s, not a committed bench):
// claims of 1000 against a fixed buffer_size of 5000, 4 rounds: 0-200 waits per round against none; claims of
// 1000 against claims grown up to 10,000 (this code), 5 rounds: 0-350 (median 300) against 0-100 (median 100;
// most of these are a run's first claim, made before the rate of the new load is known), issuance p99 8.35
// against 5.43 ms (median). A claim of 5 chunks costs PostgreSQL little more than a claim of 1 (bench/RESULTS.md,
// "claim": 2.4M against 0.86M IDs/s). So a pod holds at most 2 * maxClaim - 2 IDs, the bound a crash can waste;
// a pod at low rates claims `size` as before.

export interface PrefetchBufferOptions {
  /** IDs to ask for per claim. */
  size: number;
  /** Start a claim when fewer IDs than this remain. */
  lowWater: number;
  /** Let the mark rise above `lowWater` and claims grow with demand (see the top of this file); off for one-ID claims. */
  adaptive?: boolean;
  /** Most IDs one claim asks for when adaptive (default `size`): claims grow in whole `size`s up to this. */
  maxClaim?: number;
  /** Claims up to `count` IDs from the pool; an empty array means the pool has none right now. */
  claim: (count: number) => Promise<string[]>;
  /** Background claims never throw into the void: their failures come here (the first of each run of failures). */
  onError: (error: unknown) => void;
  /** Called once when claims succeed again after failing. */
  onRecovered?: () => void;
}

/** After a failed claim, claims wait this long before the next attempt, doubling up to the maximum: a
 * database that is down sees one attempt per pod per second, not one per request, and is used again within
 * a second of its return. */
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 1000;
/** The adaptive mark covers this many recent claim durations of demand: a claim slower than the last ones
 * (they vary 2-3x under load) still lands in time. */
const CLAIM_HEADROOM = 3;
/** How fast the remembered claim duration forgets a slow claim: it jumps up at once, and moves a fifth of
 * the way down per faster claim. */
const DURATION_DECAY = 0.2;
/** When adaptive, a claim asks for about this many milliseconds of recent demand (see the top of this file). */
export const CLAIM_COVER_MS = 100;

export class PrefetchBuffer {
  readonly #options: PrefetchBufferOptions;
  #ids: string[] = [];
  #next = 0;
  #claiming: Promise<number> | null = null;
  #closed = false;
  #failures = 0;
  #lastError: unknown = null;
  #retryAt = 0;
  /** Start a claim when fewer than this remain: the configured mark, or more under load when adaptive. */
  #mark: number;
  /** IDs taken so far, and when and at what count the last claim started: demand between two claims. */
  #taken = 0;
  #claimStartedAt = -1;
  #takenAtClaim = 0;
  /** Recent claim duration, ms (see DURATION_DECAY). */
  #claimMs = 0;
  /** IDs the next claim asks for: `size`, or more under load when adaptive, up to #maxClaim. */
  #claimSize: number;
  readonly #maxClaim: number;

  constructor(options: PrefetchBufferOptions) {
    this.#options = options;
    this.#mark = options.lowWater;
    this.#claimSize = options.size;
    this.#maxClaim = Math.max(options.size, options.maxClaim ?? options.size);
  }

  get available(): number {
    return this.#ids.length - this.#next;
  }

  /** The low-water mark in force now (the configured one, or higher under load when adaptive). */
  get lowWater(): number {
    return this.#mark;
  }

  /** IDs the next claim asks for (`size`, or more under load when adaptive). */
  get claimSize(): number {
    return this.#claimSize;
  }

  /** An ID if one is in memory (never waits), starting a claim when the stock runs low. */
  take(): string | undefined {
    const id = this.#next < this.#ids.length ? this.#ids[this.#next++] : undefined;
    if (id !== undefined) this.#taken++;
    if (this.available < this.#mark && performance.now() >= this.#retryAt) void this.refill().catch(() => undefined);
    return id;
  }

  /** `count` IDs at once if that many are in memory (a batch is all or nothing), else undefined. */
  takeMany(count: number): string[] | undefined {
    if (this.available < count) return undefined;
    const ids = this.#ids.slice(this.#next, this.#next + count);
    this.#next += count;
    this.#taken += count;
    if (this.available < this.#mark && performance.now() >= this.#retryAt) void this.refill().catch(() => undefined);
    return ids;
  }

  /**
   * Claims up to `size` more IDs (or `atLeast`, for a batch larger than that) unless a claim is already
   * running; resolves to how many arrived. While backing off after a failed claim it rejects at once with
   * that failure.
   */
  refill(atLeast = 0): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    if (this.#claiming) return this.#claiming;
    const started = performance.now();
    if (started < this.#retryAt) return Promise.reject(this.#lastError);
    this.#adapt(started);
    this.#claiming = this.#options
      .claim(Math.max(this.#claimSize, atLeast))
      .then(
        (ids) => {
          const ms = performance.now() - started;
          this.#claimMs = Math.max(ms, this.#claimMs + DURATION_DECAY * (ms - this.#claimMs));
          if (ids.length > 0) {
            this.#ids = this.#ids.slice(this.#next).concat(ids);
            this.#next = 0;
          }
          if (this.#failures > 0) this.#options.onRecovered?.();
          this.#failures = 0;
          return ids.length;
        },
        (error: unknown) => {
          if (this.#failures === 0) this.#options.onError(error);
          this.#failures++;
          this.#lastError = error;
          this.#retryAt = performance.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.#failures - 1));
          throw error;
        },
      )
      .finally(() => {
        this.#claiming = null;
      });
    return this.#claiming;
  }

  /**
   * At a claim's start: demand since the last claim started, the size of this claim (CLAIM_COVER_MS of that
   * demand), and the mark that lets the next claim land in time.
   */
  #adapt(now: number): void {
    const { adaptive, lowWater, size } = this.#options;
    if (adaptive && this.#claimStartedAt >= 0 && now > this.#claimStartedAt) {
      const perMs = (this.#taken - this.#takenAtClaim) / (now - this.#claimStartedAt);
      this.#claimSize = Math.min(this.#maxClaim, Math.max(1, Math.ceil((perMs * CLAIM_COVER_MS) / size)) * size);
      this.#mark = Math.min(this.#claimSize - 1, Math.max(lowWater, Math.ceil(perMs * this.#claimMs * CLAIM_HEADROOM)));
    }
    this.#claimStartedAt = now;
    this.#takenAtClaim = this.#taken;
  }

  /** Stops claiming, waits for a claim in flight, and hands back every ID not issued (to return to the pool). */
  async close(): Promise<string[]> {
    this.#closed = true;
    await this.#claiming?.catch(() => 0);
    const rest = this.#ids.slice(this.#next);
    this.#ids = [];
    this.#next = 0;
    return rest;
  }
}
