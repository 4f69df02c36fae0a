// The counters' SQL, one exported function per statement (schema: sql/migrations/003_sequences.sql).
// Numbers cross the wire as text and live here as bigint: a counter runs to 2^63 - 1, past what a JS number holds.
import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

/** The largest number a counter can reach (bigint's maximum). */
export const BIGINT_MAX = 9223372036854775807n;

export interface CounterDefinition {
  name: string;
  start: bigint;
  /** Inclusive; undefined: BIGINT_MAX. */
  max?: bigint;
  mode: "prefetch" | "strict";
}

/** Numbers first..last, both included. */
export interface NumberBlock {
  first: bigint;
  last: bigint;
}

/**
 * Creates the counter, or brings an existing one in line with the configuration: max and mode follow it, and a
 * start above the counter's position moves the counter forward (never back: numbers already handed out stay so).
 */
export async function defineCounter(db: Db, counter: CounterDefinition): Promise<void> {
  await db`
    insert into counter (name, start_value, last_value, max_value, mode)
    values (${counter.name}, ${counter.start.toString()}, ${(counter.start - 1n).toString()}, ${counter.max?.toString() ?? null}, ${counter.mode})
    on conflict (name) do update set
      start_value = excluded.start_value,
      last_value = greatest(counter.last_value, excluded.last_value),
      max_value = excluded.max_value,
      mode = excluded.mode,
      updated_at = now()`;
}

/**
 * Takes numbers from the counter in one statement, so pods taking at once each get their own block:
 * the row lock orders them, and PostgreSQL re-evaluates the SET against the row as the previous taker left it.
 *
 * `exact`: all `count` numbers or none (a /range must be exactly what was asked). Otherwise the block is
 * clamped at the maximum, so the tail below it is still handed out before the counter answers "exhausted".
 * `ceiling`: a lower limit than the maximum for this take only (2^53 - 1 for clients that read JSON numbers);
 * nothing is taken past it. The arithmetic runs in numeric: last_value + count can pass bigint's maximum.
 * Resolves to null when nothing can be taken (the caller asks readCounter why).
 */
export async function takeNumbers(db: Db, name: string, count: number, { exact = false, ceiling = BIGINT_MAX } = {}): Promise<NumberBlock | null> {
  const limit = db`least(coalesce(max_value, ${BIGINT_MAX.toString()}::bigint), ${ceiling.toString()}::bigint)::numeric`;
  const rows = exact
    ? await db<{ first: string; last: string }[]>`
        update counter set last_block_first = last_value + 1, last_value = last_value + ${count}::int, updated_at = now()
        where name = ${name} and last_value::numeric + ${count}::int <= ${limit}
        returning last_block_first::text as first, last_value::text as last`
    : await db<{ first: string; last: string }[]>`
        update counter set last_block_first = last_value + 1,
          last_value = (last_value::numeric + least(${count}::int, ${limit} - last_value))::bigint, updated_at = now()
        where name = ${name} and last_value::numeric < ${limit}
        returning last_block_first::text as first, last_value::text as last`;
  const row = rows[0];
  return row ? { first: BigInt(row.first), last: BigInt(row.last) } : null;
}

/**
 * Gives unused numbers back: moves the counter back to `keepUpTo` (the last number this pod handed out, or
 * the block's first - 1) only if it still stands at `blockLast`, i.e. nobody has taken a number since this
 * pod's last block (compare-and-set). Resolves to whether it did.
 */
export async function giveBack(db: Db, name: string, blockLast: bigint, keepUpTo: bigint): Promise<boolean> {
  const rows = await db`
    update counter set last_value = ${keepUpTo.toString()}::bigint, updated_at = now()
    where name = ${name} and last_value = ${blockLast.toString()}::bigint
    returning 1`;
  return rows.length === 1;
}

export interface CounterState {
  name: string;
  start: bigint;
  lastValue: bigint;
  max: bigint | null;
  mode: "prefetch" | "strict";
  updatedAt: Date;
}

export async function readCounter(db: Db, name: string): Promise<CounterState | null> {
  const [row] = await db<{ name: string; start: string; last: string; max: string | null; mode: "prefetch" | "strict"; updated_at: Date }[]>`
    select name, start_value::text as start, last_value::text as last, max_value::text as max, mode, updated_at
    from counter where name = ${name}`;
  if (!row) return null;
  return { name: row.name, start: BigInt(row.start), lastValue: BigInt(row.last), max: row.max === null ? null : BigInt(row.max), mode: row.mode, updatedAt: row.updated_at };
}
