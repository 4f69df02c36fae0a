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
// duration, never below the configured mark and never above size - 1 (so a pod holds at most 2 * size - 2
// IDs, the bound a crash can waste).

export interface PrefetchBufferOptions {
  /** IDs to ask for per claim. */
  size: number;
  /** Start a claim when fewer IDs than this remain. */
  lowWater: number;
  /** Let the mark rise above `lowWater` with demand (see the top of this file); off for one-ID claims. */
  adaptive?: boolean;
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

  constructor(options: PrefetchBufferOptions) {
    this.#options = options;
    this.#mark = options.lowWater;
  }

  get available(): number {
    return this.#ids.length - this.#next;
  }

  /** The low-water mark in force now (the configured one, or higher under load when adaptive). */
  get lowWater(): number {
    return this.#mark;
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
      .claim(Math.max(this.#options.size, atLeast))
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

  /** At a claim's start: demand since the last claim started, and the mark that lets the next claim land in time. */
  #adapt(now: number): void {
    const { adaptive, lowWater, size } = this.#options;
    if (adaptive && this.#claimStartedAt >= 0 && now > this.#claimStartedAt) {
      const perMs = (this.#taken - this.#takenAtClaim) / (now - this.#claimStartedAt);
      this.#mark = Math.min(size - 1, Math.max(lowWater, Math.ceil(perMs * this.#claimMs * CLAIM_HEADROOM)));
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
