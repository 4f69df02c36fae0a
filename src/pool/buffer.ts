// A pod's in-memory stock of claimed IDs for one type. Requests take from it synchronously, so in steady
// state no request waits on the database; it refills itself ahead of demand, one claim at a time, and
// requests that find it empty wait for that one claim instead of starting their own.

export interface PrefetchBufferOptions {
  /** IDs to ask for per claim. */
  size: number;
  /** Start a claim when fewer IDs than this remain. */
  lowWater: number;
  /** Claims up to `count` IDs from the pool; an empty array means the pool has none right now. */
  claim: (count: number) => Promise<string[]>;
  /** Background claims never throw into the void: their failures come here. */
  onError: (error: unknown) => void;
}

export class PrefetchBuffer {
  readonly #options: PrefetchBufferOptions;
  #ids: string[] = [];
  #next = 0;
  #claiming: Promise<number> | null = null;
  #closed = false;

  constructor(options: PrefetchBufferOptions) {
    this.#options = options;
  }

  get available(): number {
    return this.#ids.length - this.#next;
  }

  /** An ID if one is in memory (never waits), starting a claim when the stock runs low. */
  take(): string | undefined {
    const id = this.#next < this.#ids.length ? this.#ids[this.#next++] : undefined;
    if (this.available < this.#options.lowWater) void this.refill().catch(this.#options.onError);
    return id;
  }

  /** An ID, waiting for the claim in flight (or a new one) when the stock is empty; undefined if the pool had none. */
  async takeOrWait(): Promise<string | undefined> {
    for (;;) {
      const id = this.take();
      if (id !== undefined) return id;
      if ((await this.refill()) === 0) return this.take();
    }
  }

  /** Claims up to `size` more IDs unless a claim is already running; resolves to how many arrived. */
  refill(): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    this.#claiming ??= this.#options
      .claim(this.#options.size)
      .then((ids) => {
        if (ids.length > 0) {
          this.#ids = this.#ids.slice(this.#next).concat(ids);
          this.#next = 0;
        }
        return ids.length;
      })
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
