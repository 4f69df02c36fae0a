// The counters this pod serves, by name: defined in the database at start-up (from the configuration; the
// `default` counter of /next and /range always exists), each served by a Counter. What the HTTP edge calls.
import type { Sql } from "postgres";
import type { Log } from "../db/log";
import type { BlockSizeBounds } from "./block-size";
import { Counter, type CloseResult } from "./counter";
import { defineCounter, readCounter, type CounterDefinition, type CounterState } from "./queries";

export interface CounterSettings extends CounterDefinition {
  block: BlockSizeBounds;
}

export class Sequences {
  readonly #counters: Map<string, Counter>;
  readonly #sql: Sql;

  private constructor(sql: Sql, counters: Counter[]) {
    this.#sql = sql;
    this.#counters = new Map(counters.map((counter) => [counter.name, counter]));
  }

  /** Defines every counter in the database and takes each prefetch counter's first block. */
  static async start({ sql, log, counters }: { sql: Sql; log: Log; counters: readonly CounterSettings[] }): Promise<Sequences> {
    const started: Counter[] = [];
    for (const settings of counters) {
      await defineCounter(sql, settings);
      const counter = new Counter({ ...settings, sql, log });
      await counter.start();
      started.push(counter);
      log({ level: "info", msg: "counter ready", counter: settings.name, mode: settings.mode, start: settings.start, max: settings.max ?? null, block: settings.block });
    }
    return new Sequences(sql, started);
  }

  get(name: string): Counter | undefined {
    return this.#counters.get(name);
  }

  /** Numbers held in memory per counter (the metrics' gauge). */
  buffered(): Record<string, number> {
    return Object.fromEntries([...this.#counters].map(([name, counter]) => [name, Number(counter.buffered)]));
  }

  names(): string[] {
    return [...this.#counters.keys()];
  }

  /** The counter's row (null if unknown to the database) and what this pod holds of it. */
  async state(name: string): Promise<{ row: CounterState | null; counter: Counter } | undefined> {
    const counter = this.#counters.get(name);
    if (!counter) return undefined;
    return { row: await readCounter(this.#sql, name), counter };
  }

  /** Graceful stop: each counter gives back what it holds (Counter.close), all at once. */
  async close(): Promise<CloseResult> {
    const results = await Promise.all([...this.#counters.values()].map((counter) => counter.close()));
    return results.reduce(
      (sum, one) => ({ returned: sum.returned + one.returned, recorded: sum.recorded + one.recorded, lost: sum.lost + one.lost }),
      { returned: 0n, recorded: 0n, lost: 0n },
    );
  }
}
