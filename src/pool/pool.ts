// One ID type's issuance on this pod: a prefetch buffer fed by chunk claims, refills of the database pool
// when it runs low, and exact exhaustion. The request path is issue(): synchronous in steady state.
import type { Sql } from "postgres";
import type { Rules } from "../../wasm/index.js";
import { PrefetchBuffer } from "./buffer";
import { anyClaimed, claimChunks, countAvailable, forgetClaimedChunks, readGenerated, returnToPool } from "./queries";
import { replenishPool } from "./replenish";
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
  /** How long a request may wait for a refill before it is answered 503 IDG-001. */
  refillWaitMs?: number;
}

export type IssueResult = { id: string } | { exhausted: true } | { behind: true };

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
  #replenishing: Promise<number> | null = null;

  constructor(options: TypePoolOptions) {
    this.#options = { ...options };
    this.sizes = poolSizes(options.capacity, options);
    this.#buffer = new PrefetchBuffer({
      size: this.sizes.bufferSize,
      lowWater: this.sizes.lowWater,
      claim: (count) => this.#claim(count),
      onError: (error) => options.log({ level: "error", msg: "buffer claim failed", idType: options.idType, error: String(error) }),
    });
  }

  /** Replaces the capacity once it has been counted (it decides exact exhaustion). */
  setCapacity(capacity: { count: bigint; exact: boolean }): void {
    this.#options.capacity = capacity;
  }

  get buffered(): number {
    return this.#buffer.available;
  }

  /** The next ID, or why there is none. Resolves at once while the buffer has IDs. */
  async issue(): Promise<IssueResult> {
    const ready = this.#buffer.take();
    if (ready !== undefined) return this.#issued(ready);
    const claimed = await this.#buffer.takeOrWait();
    if (claimed !== undefined) return this.#issued(claimed);
    if (await this.#exhausted()) return { exhausted: true };
    await this.#waitForRefill();
    const refilled = await this.#buffer.takeOrWait();
    if (refilled !== undefined) return this.#issued(refilled);
    return (await this.#exhausted()) ? { exhausted: true } : { behind: true };
  }

  /** Starts a refill of the database pool unless one is running on this pod; resolves to IDs added. */
  replenish(): Promise<number> {
    const { sql, idType, rules, target, capacity, log } = this.#options;
    this.#replenishing ??= replenishPool(sql, { idType, rules, target, chunkSize: this.sizes.chunkSize, capacity })
      .then((added) => {
        if (added > 0) log({ level: "info", msg: "pool replenished", idType, added });
        return added;
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

  /** Graceful stop: every ID claimed and not issued goes back to the pool. */
  async close(): Promise<number> {
    const rest = await this.#buffer.close();
    await this.#replenishing?.catch(() => 0);
    const chunkIds = [...this.#issuedChunks, ...this.#segments.map((segment) => segment.chunkId)];
    await returnToPool(this.#options.sql, this.#options.idType, rest, chunkIds);
    this.#segments = [];
    this.#issuedChunks = [];
    return rest.length;
  }

  #issued(id: string): IssueResult {
    const head = this.#segments[0];
    if (head && --head.left === 0) {
      this.#segments.shift();
      this.#issuedChunks.push(head.chunkId);
    }
    return { id };
  }

  async #claim(count: number): Promise<string[]> {
    const { sql, idType, pod, threshold } = this.#options;
    const chunks = await claimChunks(sql, idType, Math.max(1, Math.ceil(count / this.sizes.chunkSize)), pod);
    const ids: string[] = [];
    for (const chunk of chunks) {
      this.#segments.push({ chunkId: chunk.chunkId, left: chunk.ids.length });
      for (const id of chunk.ids) ids.push(id);
    }
    // Ahead of demand: a claim that finds the pool low starts a refill without waiting for the periodic check.
    void countAvailable(sql, idType)
      .then((available) => (available < threshold ? this.replenish() : 0))
      .catch((error) => this.#options.log({ level: "error", msg: "pool refill failed", idType, error: String(error) }));
    void this.#flushIssuedChunks().catch(() => undefined);
    return ids;
  }

  async #flushIssuedChunks(): Promise<void> {
    const done = this.#issuedChunks;
    this.#issuedChunks = [];
    await forgetClaimedChunks(this.#options.sql, done);
  }

  async #waitForRefill(): Promise<void> {
    const wait = this.#options.refillWaitMs ?? 2000;
    await Promise.race([this.replenish().catch(() => 0), new Promise((resolve) => setTimeout(resolve, wait))]);
  }

  /** Exact exhaustion: every valid ID generated, none available, none held by any pod. */
  async #exhausted(): Promise<boolean> {
    const { sql, idType, capacity } = this.#options;
    if (!capacity.exact) return false;
    await this.#flushIssuedChunks();
    if ((await readGenerated(sql, idType)) < capacity.count) return false;
    return (await countAvailable(sql, idType)) === 0 && !(await anyClaimed(sql, idType));
  }
}
