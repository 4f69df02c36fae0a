// A pod's in-memory stock of claimed IDs for one type. Requests take from it synchronously, so in steady
// state no request waits on the database; it refills itself ahead of demand, one claim at a time, and
// requests that find it empty wait for that one claim (refill() returns the claim in flight) instead of
// starting their own.

export interface PrefetchBufferOptions {
  /** IDs to ask for per claim. */
  size: number;
  /** Start a claim when fewer IDs than this remain. */
  lowWater: number;
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

export class PrefetchBuffer {
  readonly #options: PrefetchBufferOptions;
  #ids: string[] = [];
  #next = 0;
  #claiming: Promise<number> | null = null;
  #closed = false;
  #failures = 0;
  #lastError: unknown = null;
  #retryAt = 0;

  constructor(options: PrefetchBufferOptions) {
    this.#options = options;
  }

  get available(): number {
    return this.#ids.length - this.#next;
  }

  /** An ID if one is in memory (never waits), starting a claim when the stock runs low. */
  take(): string | undefined {
    const id = this.#next < this.#ids.length ? this.#ids[this.#next++] : undefined;
    if (this.available < this.#options.lowWater && performance.now() >= this.#retryAt) void this.refill().catch(() => undefined);
    return id;
  }

  /** `count` IDs at once if that many are in memory (a batch is all or nothing), else undefined. */
  takeMany(count: number): string[] | undefined {
    if (this.available < count) return undefined;
    const ids = this.#ids.slice(this.#next, this.#next + count);
    this.#next += count;
    if (this.available < this.#options.lowWater && performance.now() >= this.#retryAt) void this.refill().catch(() => undefined);
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
    if (performance.now() < this.#retryAt) return Promise.reject(this.#lastError);
    this.#claiming = this.#options
      .claim(Math.max(this.#options.size, atLeast))
      .then(
        (ids) => {
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
