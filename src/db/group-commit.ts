// Group commit: many callers each hand in a few rows, one statement writes all the rows queued meanwhile,
// and each caller's promise settles only when the statement holding its rows has committed (or failed).
// No timer and no added latency: the first rows are written at once, and whatever arrives while that write
// is in flight forms the next batch, so batches grow with load and the writes per second stay bounded.

export interface GroupCommitOptions<Row> {
  /** Writes the rows in one statement (one transaction); throws if they did not commit. */
  write: (rows: Row[]) => Promise<void>;
  /** Rows per statement at most; a caller's rows are never split across statements. Default 20,000. */
  maxRows?: number;
  /**
   * Statements in flight at once (default 4). With one, rows arriving during a commit wait for it to end
   * before their own statement starts, and throughput is capped at (rows per statement) / (commit time);
   * with a few, the next statements are on their way while the server flushes the previous commit, and
   * PostgreSQL flushes commits that meet in one WAL write. Measured in bench/audit.bench.ts (1 versus 4).
   */
  writers?: number;
}

interface Pending<Row> {
  rows: Row[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Row> {
  readonly #write: (rows: Row[]) => Promise<void>;
  readonly #maxRows: number;
  readonly #writers: number;
  #queue: Pending<Row>[] = [];
  #running = 0;
  #idle: (() => void)[] = [];
  /** Statements run and rows written so far, for logs and tests. */
  readonly stats = { statements: 0, rows: 0, failures: 0 };
  /** After a failed statement, `accepting` is false for a backoff (50 ms doubling to 1 s, reset by a success). */
  #failuresInARow = 0;
  #retryAt = 0;

  constructor({ write, maxRows = 20_000, writers = 4 }: GroupCommitOptions<Row>) {
    this.#write = write;
    this.#maxRows = maxRows;
    this.#writers = writers;
  }

  /**
   * False for a short while after a failed statement: callers should then refuse work that needs a record
   * (a database outage would otherwise cost one batch of records, and what they stand for, per request).
   */
  get accepting(): boolean {
    return performance.now() >= this.#retryAt;
  }

  /** Resolves once `rows` have committed; rejects with the write's error if their statement failed. */
  add(rows: Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ rows, resolve, reject });
      if (this.#running < this.#writers) {
        this.#running++;
        void this.#drain();
      }
    });
  }

  /** Resolves when everything queued so far has been written (or has failed). */
  async flushed(): Promise<void> {
    if (this.#running > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  // Each writer takes whatever is queued, writes it in one statement, and repeats until the queue is empty:
  // while its statement runs, new rows queue up and go together in the next one.
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch: Pending<Row>[] = [];
        let count = 0;
        while (this.#queue.length > 0 && (batch.length === 0 || count + this.#queue[0]!.rows.length <= this.#maxRows)) {
          const next = this.#queue.shift()!;
          batch.push(next);
          count += next.rows.length;
        }
        const rows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((pending) => pending.rows);
        try {
          await this.#write(rows);
          this.stats.statements++;
          this.stats.rows += rows.length;
          this.#failuresInARow = 0;
          for (const pending of batch) pending.resolve();
        } catch (error) {
          this.stats.failures++;
          this.#retryAt = performance.now() + Math.min(1000, 50 * 2 ** this.#failuresInARow++);
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      if (--this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
