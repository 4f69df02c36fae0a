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
  // A start moved forward also moves returned numbers below it out of reach (they must never be handed out).
  await db`delete from counter_returned where counter = ${counter.name} and hi < ${counter.start.toString()}::bigint`;
  await db`update counter_returned set lo = ${counter.start.toString()}::bigint where counter = ${counter.name} and lo < ${counter.start.toString()}::bigint`;
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

/** What one block take got: a block of the counter row, or pieces of returned ranges (ascending). */
export interface TakenBlocks {
  blocks: NumberBlock[];
  /** True when the numbers come from counter_returned (stopped pods'), false when from the counter row. */
  returned: boolean;
}

/** Returned ranges one take locks and looks at, at most (a take of `count` numbers uses what it needs of them). */
const RETURNED_PER_TAKE = 16;

/**
 * A prefetch counter's block take: up to `count` numbers from the lowest returned ranges (counter_returned,
 * migration 006) lying above `floor`, else `count` numbers from the counter row as takeNumbers does (clamped
 * at the maximum).
 *
 * `floor` is the highest number the taking pod has ever held (or -1 for a pod that has held none): ranges
 * above it keep the pod's numbers increasing, so a fresh pod can take any range and a long-running one only
 * those above its own blocks. Several ranges are taken at once (their first `count` numbers: fully taken
 * ranges deleted, the last one cut), so many small tails do not cost a take each. A range is only taken up to
 * the counter's maximum (it may have been lowered since). Resolves to null when neither has numbers.
 *
 * Why a transaction of separate statements, not one statement with data-modifying CTEs (which this was, and
 * which handed out the same numbers twice under contention, test/sequence/counter.test.ts): the ranges are
 * locked FOR UPDATE SKIP LOCKED, and under READ COMMITTED a row another pod cut and committed meanwhile is
 * locked and returned in its new version (lo moved up), while the same statement's UPDATE/DELETE still
 * scans the statement's older snapshot, finds no row with the new lo, changes nothing, and the numbers stay
 * in the table for the next pod. Here the cut and the delete are statements of their own: each sees the
 * latest versions, which this transaction holds locked, so exactly what it returns leaves the table.
 */
export async function takeBlock(db: Sql, name: string, count: number, floor: bigint): Promise<TakenBlocks | null> {
  const fromReturned = await db.begin(async (tx) => {
    const [limit] = await tx<{ top: string }[]>`
      select coalesce(max_value, ${BIGINT_MAX.toString()}::bigint)::text as top from counter where name = ${name}`;
    if (!limit) return [];
    const top = BigInt(limit.top);
    // Text out under other names: "order by lo" must sort the bigint column, not its text.
    const ranges = await tx<{ first: string; last: string }[]>`
      select lo::text as first, hi::text as last from counter_returned
      where counter = ${name} and lo > ${floor.toString()}::bigint and lo <= ${top.toString()}::bigint
      order by lo limit ${RETURNED_PER_TAKE}
      for update skip locked`;
    const pieces: NumberBlock[] = [];
    const emptied: string[] = [];
    let need = BigInt(count);
    for (const range of ranges) {
      if (need <= 0n) break;
      const lo = BigInt(range.first);
      const hi = BigInt(range.last);
      const end = lo + need - 1n;
      const last = [hi, end, top].reduce((low, value) => (value < low ? value : low));
      pieces.push({ first: lo, last });
      need -= last - lo + 1n;
      if (last >= hi) emptied.push(range.first);
      else await tx`update counter_returned set lo = ${(last + 1n).toString()}::bigint where counter = ${name} and lo = ${range.first}::bigint`;
    }
    if (emptied.length > 0) await tx`delete from counter_returned where counter = ${name} and lo = any(${tx.array(emptied)}::bigint[])`;
    return pieces;
  });
  if (fromReturned.length > 0) return { blocks: fromReturned, returned: true };
  const top = db`coalesce(max_value, ${BIGINT_MAX.toString()}::bigint)::numeric`;
  const [row] = await db<{ first: string; last: string }[]>`
    update counter set last_block_first = last_value + 1,
      last_value = (last_value::numeric + least(${count}::int, ${top} - last_value))::bigint, updated_at = now()
    where name = ${name} and last_value::numeric < ${top}
    returning last_block_first::text as first, last_value::text as last`;
  return row ? { blocks: [{ first: BigInt(row.first), last: BigInt(row.last) }], returned: false } : null;
}

/**
 * Records numbers a pod held and will not hand out (first..last each, both included) in counter_returned, for
 * later block takes: what a graceful stop cannot give back to the counter row, and tails dropped while running.
 */
export async function recordReturned(db: Db, name: string, blocks: readonly NumberBlock[]): Promise<void> {
  if (blocks.length === 0) return;
  const los = blocks.map((block) => block.first.toString());
  const his = blocks.map((block) => block.last.toString());
  await db`
    insert into counter_returned (counter, lo, hi)
    select ${name}, lo, hi from unnest(${db.array(los)}::bigint[], ${db.array(his)}::bigint[]) as t(lo, hi)`;
}

/** The returned ranges of a counter, lowest first (tests and the state endpoint's sum). */
export async function readReturned(db: Db, name: string): Promise<NumberBlock[]> {
  const rows = await db<{ lo: string; hi: string }[]>`
    select lo::text as lo, hi::text as hi from counter_returned r where counter = ${name} order by r.lo`;
  return rows.map((row) => ({ first: BigInt(row.lo), last: BigInt(row.hi) }));
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
  /** Numbers waiting in counter_returned (held by pods that stopped, handed out by later block takes). */
  returned: bigint;
}

export async function readCounter(db: Db, name: string): Promise<CounterState | null> {
  const [row] = await db<{ name: string; start: string; last: string; max: string | null; mode: "prefetch" | "strict"; updated_at: Date; returned: string }[]>`
    select name, start_value::text as start, last_value::text as last, max_value::text as max, mode, updated_at,
      (select coalesce(sum(hi - lo + 1), 0) from counter_returned where counter = ${name})::text as returned
    from counter where name = ${name}`;
  if (!row) return null;
  return {
    name: row.name, start: BigInt(row.start), lastValue: BigInt(row.last), max: row.max === null ? null : BigInt(row.max), mode: row.mode,
    updatedAt: row.updated_at, returned: BigInt(row.returned),
  };
}
