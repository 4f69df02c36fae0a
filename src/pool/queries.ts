// The pool's SQL, one exported function per statement. IDs live in two places: the registry (every ID ever
// generated, the uniqueness guarantee: pool_id_num for IDs of up to 18 digits, as numbers, pool_id for longer
// ones, as text; the view registered_id reads both) and pool_chunk (the available ones, many per row). See
// sql/migrations/001_pools.sql and 009_numeric_registry.sql.
import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

/** Advisory-lock namespace of refills (one lock per type: hashtext(type) is the second key). */
export const REFILL_LOCK_NAMESPACE = 0x1d9e;
/** Advisory-lock namespace of the parts of a parallel refill (src/pool/replenish.ts); hashtext(type) second. */
export const REFILL_PART_LOCK_NAMESPACE = 0x1d9f;

export async function registerIdType(db: Db, type: { name: string; idLength: number; capacity: bigint; capacityExact: boolean }) {
  await db`
    insert into id_type (name, id_length, capacity, capacity_exact)
    values (${type.name}, ${type.idLength}, ${type.capacity.toString()}, ${type.capacityExact})
    on conflict (name) do update set capacity = excluded.capacity, capacity_exact = excluded.capacity_exact`;
}

/**
 * Claims up to `chunks` chunks of available IDs for pod `pod`, in one statement.
 *
 * Why this shape: a claim is the only write on the way from the pool to a request, and measurements.md shows
 * that per-ID claim work (one row updated or deleted per ID) is what keeps a buffered service at a third of
 * a trivial handler's speed. Here IDs sit many to a row, so a claim deletes one row per chunk and records it
 * in claimed_chunk (what a pod holds, visible after a crash). FOR UPDATE SKIP LOCKED lets concurrent pods
 * take different chunks without waiting on each other; ORDER BY chunk_id hands out the oldest first (and
 * returnToPool gives returned IDs the chunk_id they were claimed with, so they go out first again). The pool_chunk (id_type, chunk_id) index keeps the
 * pick to a short index scan however large the pool is.
 */
export async function claimChunks(db: Db, idType: string, chunks: number, pod: string): Promise<{ chunkId: string; ids: string[] }[]> {
  const rows = await db<{ chunk_id: string; ids: string }[]>`
    with picked as (
      select chunk_id from pool_chunk where id_type = ${idType}
      order by chunk_id limit ${chunks} for update skip locked
    ), taken as (
      delete from pool_chunk c using picked where c.chunk_id = picked.chunk_id
      returning c.chunk_id, c.id_type, c.ids
    )
    insert into claimed_chunk (chunk_id, id_type, ids, claimed_by)
    select chunk_id, id_type, ids, ${pod} from taken
    returning chunk_id, array_to_string(ids, ' ') as ids`;
  // The IDs come as one space-separated string (IDs are digits): splitting it is a native call, where
  // postgres.js parses a text[] character by character in JavaScript (5.6 % of the service's CPU under load in
  // a profile of issuance, `bun --cpu-prof-md src/main.ts` under wrk).
  return rows.map((row) => ({ chunkId: row.chunk_id, ids: row.ids === "" ? [] : row.ids.split(" ") }));
}

/** Forgets chunks whose every ID has been issued. */
export async function forgetClaimedChunks(db: Db, chunkIds: string[]): Promise<void> {
  if (chunkIds.length === 0) return;
  await db`delete from claimed_chunk where chunk_id = any(${chunkIds}::bigint[])`;
}

/**
 * Puts IDs a pod did not issue back into the pool and drops its claims, atomically. The IDs go back in chunks of
 * at most `chunkSize`, in the order given, and the chunks take `reuseChunkIds` in turn: the chunk_ids these IDs
 * were claimed with (free again: claiming moved them out of pool_chunk, and this transaction forgets their
 * claims), so they are the next to be claimed rather than the last. Chunks beyond those ids get new ones.
 * Why not one chunk: claims grow under load (src/pool/buffer.ts), so a busy pod may hold up to
 * 2 * buffer_max - 2 IDs; as one chunk they would go whole to the next pod that claims one chunk, and that
 * pod would hold far more than its bound (what its crash could waste).
 */
export async function returnToPool(sql: Sql, idType: string, ids: string[], chunkIds: string[], reuseChunkIds: string[], chunkSize: number): Promise<void> {
  const size = Math.max(1, chunkSize);
  await sql.begin(async (tx) => {
    for (let from = 0, index = 0; from < ids.length; from += size, index++) {
      const piece = ids.slice(from, from + size);
      const reuse = reuseChunkIds[index];
      if (reuse !== undefined) {
        await tx`insert into pool_chunk (chunk_id, id_type, ids) overriding system value values (${reuse}, ${idType}, ${piece}::text[])`;
      } else {
        await tx`insert into pool_chunk (id_type, ids) values (${idType}, ${piece}::text[])`;
      }
    }
    await forgetClaimedChunks(tx, chunkIds);
  });
}

export async function countAvailable(db: Db, idType: string): Promise<number> {
  const [row] = await db<{ available: string | null }[]>`
    select sum(size) as available from pool_chunk where id_type = ${idType}`;
  return Number(row?.available ?? 0);
}

export async function readGenerated(db: Db, idType: string): Promise<bigint> {
  const [row] = await db<{ generated: string }[]>`select generated from id_type where name = ${idType}`;
  return BigInt(row?.generated ?? 0);
}

/**
 * Whether a live pod (lease renewed within `leaseSeconds`) holds claimed IDs of this type. Claims of pods
 * whose lease expired are a crash's waste: they will never be issued, so they do not keep a type alive.
 */
export async function heldByLivePods(db: Db, idType: string, leaseSeconds: number): Promise<boolean> {
  const [row] = await db<{ held: boolean }[]>`
    select exists (
      select 1 from claimed_chunk c join pod_lease p on p.pod = c.claimed_by
      where c.id_type = ${idType} and p.seen_at > now() - make_interval(secs => ${leaseSeconds})
    ) as held`;
  return row?.held ?? false;
}

/** IDs of this type held by pods whose lease expired: wasted by crashes, never to be issued. */
export async function countWasted(db: Db, idType: string, leaseSeconds: number): Promise<number> {
  const [row] = await db<{ wasted: string | null }[]>`
    select sum(cardinality(c.ids)) as wasted from claimed_chunk c
    left join pod_lease p on p.pod = c.claimed_by
    where c.id_type = ${idType} and (p.pod is null or p.seen_at <= now() - make_interval(secs => ${leaseSeconds}))`;
  return Number(row?.wasted ?? 0);
}

/** IDs travel in COPY text rows and array literals unquoted; the engine makes digits, this keeps it honest. */
const PLAIN_ID = /^[0-9A-Za-z]+$/;

/**
 * Registers candidate IDs in the registry (dropping any generated before), packs the new ones into chunks of
 * `chunkSize` in candidate order (random: the order they will be issued in), and counts them in
 * id_type.generated. Call inside the refill transaction, after taking the type's refill lock.
 */
export async function addGenerated(tx: TransactionSql, idType: string, candidates: string[], chunkSize: number, limit?: number): Promise<number> {
  const added = await registerFresh(tx, idType, candidates, chunkSize, limit);
  await countGenerated(tx, idType, added);
  return added;
}

/** Which of `sorted` (distinct candidates, in key order) pool_id, the text registry, holds for the type. */
export type Probe = (tx: TransactionSql, idType: string, sorted: string[]) => Promise<{ id: string }[]>;

/**
 * The refill's probe for IDs generated before: one index scan of the registry's key for all the candidates,
 * `id = any($sorted)`, with the planner told, for this transaction only, not to scan the table (nor to build a
 * bitmap of it, nor to start parallel workers for it). This is the text registry's (pool_id, key (id, id_type));
 * probeNumeric below is the same for pool_id_num, key (id, type_no).
 *
 * Why the settings: postgres.js prepares the statement, and PostgreSQL plans a prepared statement's first five
 * executions with the real array. Shown 200,000 candidates against a registry of a few million, it prefers
 * scanning the whole registry to that many lookups in its key: for this statement PostgreSQL 15 chose a parallel
 * sequential scan, and for the plain join shipped before the LATERAL form (next paragraph), a hash join over a
 * sequential scan, which took about twice as long (PostgreSQL 15, 3M IDs: 0.82-1.53 s against 0.43-0.66 s). That
 * happens after every new connection (a pod's start, the connections recycled every 30 minutes or after a minute
 * idle). With table scans priced out, the only plan left is the index scan; generic plans are made under the
 * same settings, so one made while a registry was nearly empty cannot keep a scan as it grows.
 * `set_config(..., true)` lasts until the refill's transaction ends; the statements after the probe in that
 * transaction are COPYs and an update by primary key, which have no scan to choose. test/pool/refill.test.ts
 * checks that neither probe (this one, and probeNumeric on pool_id_num) scans its table on a new connection
 * where the planner would like to (without the settings both do on PostgreSQL 15; pool_id's also on 18).
 *
 * Why `= any` and not one lookup per candidate (a LATERAL subquery with LIMIT 1, shipped before; the row "before
 * the one-scan probe" of `npm run bench:refill` runs it): one index scan walks the key once, in order, and from
 * PostgreSQL 17 on it moves between candidates on the same leaf page instead of descending from the root for
 * each. Scratch, 2026-12-06, a registry of 3M length-10 IDs, 200,000 sorted candidates (about 15 % known), 8
 * interleaved rounds, server CPU per candidate: PostgreSQL 18 1.63 µs against 2.25 (-28 %); PostgreSQL 15 1.84
 * against 1.98 (-7 %). The whole refill, both probes in the same rounds (`ROUNDS=8 REFILL_BATCH=200000 npm run
 * bench:refill`, drained rows, registries growing to 1.6M): with DATABASE_URL at a PostgreSQL 18 server 1.18×
 * (median of per-round ratios; faster in 6 rounds of 8); at PostgreSQL 15 0.99× (4 of 8: no difference above
 * this machine's noise).
 */
export const probeKnown: Probe = async (tx, idType, sorted) => {
  await indexScansOnly(tx);
  return tx<{ id: string }[]>`select id from pool_id where id = any(${sorted}::text[]) and id_type = ${idType}`;
};

/** The planner settings of the probes (see probeKnown), for the rest of the transaction. */
async function indexScansOnly(tx: TransactionSql): Promise<void> {
  await tx`select set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`;
}

/**
 * probeKnown for pool_id_num: which of `sorted` (distinct candidates of `digits` digits each, in key order) the
 * numeric registry holds for type number `typeNo`, as text again (the key drops leading zeros). The candidates
 * travel as one comma-separated string split by the server, not as an array parameter: postgres.js builds an
 * array literal in JavaScript, element by element, and that was 0.12-0.33 µs of the refill thread's CPU per
 * candidate against 0.03 for the string (scratch, 2026-12-07, 200,000 candidates, 4 rounds).
 */
async function probeNumeric(tx: TransactionSql, typeNo: number, digits: number, sorted: string[]): Promise<Set<string>> {
  await indexScansOnly(tx);
  const rows = await tx<{ id: string }[]>`
    select id::text as id from pool_id_num where id = any(string_to_array(${sorted.join(",")}, ',')::bigint[]) and type_no = ${typeNo}`;
  return new Set(rows.map((row) => row.id.padStart(digits, "0")));
}

/** IDs of at most this many digits are registered as numbers (pool_id_num): 10^18 - 1 fits a bigint, 10^19 - 1 does not. */
export const NUMERIC_ID_MAX_DIGITS = 18;
const NUMERIC_ID = new RegExp(`^[0-9]{1,${NUMERIC_ID_MAX_DIGITS}}$`);

/**
 * Where a refill registers IDs: "auto", the numeric registry for IDs of up to NUMERIC_ID_MAX_DIGITS digits and
 * pool_id for the others (what the service does; which table holds an ID depends on the ID alone, so none can
 * be in both); "text", pool_id always, as before migration 009 (for the benchmark's variants on older schemas).
 */
export type RegistryLayout = "auto" | "text";

/** The numeric registry's number for a type (id_type.type_no, migration 009). */
async function typeNumber(tx: TransactionSql, idType: string): Promise<number> {
  const [row] = await tx<{ type_no: number }[]>`select type_no from id_type where name = ${idType}`;
  if (!row) throw new Error(`refill: no id type named ${JSON.stringify(idType)} (types are registered at start-up)`);
  return row.type_no;
}

/**
 * addGenerated without the counter: the registry and pool_chunk only. The parallel refill (replenish.ts) counts
 * each part's IDs in id_type.generated as the last statement of that part's transaction, so the id_type row
 * lock is held only from there to the commit (a part that counted early would hold it while waiting on the
 * other parts, and the parts would wait on each other for ever).
 *
 * Why this shape (bench/refill.bench.ts measures it against the alternatives in one run; figures in
 * bench/RESULTS.md). The registry's cost is per row: heap tuple, B-tree entry, WAL. COPY writes heap tuples in
 * batches (one WAL record per page, not per row), which INSERT ... SELECT does not, so the fresh IDs go in by
 * COPY, in key order (each B-tree leaf page is then visited once, not once per ID). COPY cannot skip known IDs,
 * so they are found first by a read-only probe (probeKnown: one index scan over the candidates in key order,
 * nothing written) and left out. That is safe because refills of a type hold its refill lock (or, for the parts
 * of a parallel refill, work on disjoint key ranges under the lock their coordinator holds): nothing inserts IDs
 * of this type in this key range between the probe and the COPY. Were something else to, the primary key would
 * reject the COPY (23505), the refill would fail and be retried: an ID can never be registered twice. A
 * candidate repeated within the batch is kept once, at its first position. The chunks go in by COPY too, as
 * array literals, and no ID comes back from the server.
 */
export async function registerFresh(
  tx: TransactionSql,
  idType: string,
  candidates: string[],
  chunkSize: number,
  limit?: number,
  how: { probe?: Probe; layout?: RegistryLayout } = {},
): Promise<number> {
  if (candidates.length === 0 || limit === 0) return 0;
  const { distinct, sorted } = distinctAndSorted(candidates);
  // A refill's candidates come from one engine: one length, digits. The table is chosen by the ID alone, so an
  // ID of up to 18 digits can only ever be registered in pool_id_num (the "text" layout aside).
  const layout = how.layout ?? "auto";
  const digits = distinct[0]!.length;
  const numeric = layout === "auto" && NUMERIC_ID.test(distinct[0]!);
  for (const id of distinct) {
    const fits = numeric ? NUMERIC_ID.test(id) && id.length === digits : PLAIN_ID.test(id) && (layout === "text" || !NUMERIC_ID.test(id));
    if (!fits) {
      const expected = numeric ? `${digits} digits, like the batch's first` : layout === "text" ? "plain digits and letters" : "plain digits and letters, and not a number of up to 18 digits (the batch's first is not one)";
      throw new Error(`refill: ID ${JSON.stringify(id)} is not ${expected}`);
    }
  }
  const typeNo = numeric ? await typeNumber(tx, idType) : 0;
  const knownIds = numeric
    ? await probeNumeric(tx, typeNo, digits, sorted)
    : new Set((await (how.probe ?? probeKnown)(tx, idType, sorted)).map((row) => row.id));
  let fresh = knownIds.size === 0 ? distinct : distinct.filter((id) => !knownIds.has(id));
  if (fresh.length === 0) return 0;
  // `limit`: at most that many new IDs, the first ones in candidate order (a refill that drew more candidates
  // than it needs because most of the space is generated already: replenish.ts, drawsFor).
  const kept = limit !== undefined && fresh.length > limit ? new Set((fresh = fresh.slice(0, limit))) : undefined;
  const prefix = `${idType}\t`;
  let registry = "";
  if (numeric) {
    // bigint input takes the leading zeros: '0123456789' is 123456789.
    const suffix = `\t${typeNo}\n`;
    for (const id of sorted) if (kept ? kept.has(id) : !knownIds.has(id)) registry += id + suffix;
    await copyIn(tx`copy pool_id_num (id, type_no) from stdin` as unknown as CopyQuery, registry);
  } else {
    for (const id of sorted) if (kept ? kept.has(id) : !knownIds.has(id)) registry += prefix + id + "\n";
    await copyIn(tx`copy pool_id (id_type, id) from stdin` as unknown as CopyQuery, registry);
  }
  let chunks = "";
  for (let at = 0; at < fresh.length; at += chunkSize) chunks += `${prefix}{${fresh.slice(at, at + chunkSize).join(",")}}\n`;
  await copyIn(tx`copy pool_chunk (id_type, ids) from stdin` as unknown as CopyQuery, chunks);
  return fresh.length;
}

/**
 * The candidates without repeats (first occurrences, in candidate order) and the same in key order. The default
 * sort compares UTF-16 code units: for ASCII that is byte order, pool_id's collation "C"; for digits of one
 * length it is also numeric order, pool_id_num's. Repeats are found next to each other in the sorted copy, so a
 * batch without any (the usual case: the engine draws a batch without replacement) costs one sort and one pass,
 * no hash set of every candidate (a Set of 200,000 IDs was 0.15-0.35 µs of the refill thread's CPU per ID against
 * 0.05-0.10 for the pass, scratch, 2026-12-07).
 */
function distinctAndSorted(candidates: string[]): { distinct: string[]; sorted: string[] } {
  const all = [...candidates].sort();
  let repeated: Set<string> | undefined;
  for (let i = 1; i < all.length; i++) if (all[i] === all[i - 1]) (repeated ??= new Set()).add(all[i]!);
  if (!repeated) return { distinct: candidates, sorted: all };
  const seen = new Set<string>();
  const distinct = candidates.filter((id) => {
    if (!repeated.has(id)) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { distinct, sorted: all.filter((id, i) => i === 0 || id !== all[i - 1]) };
}

export async function countGenerated(tx: TransactionSql, idType: string, added: number): Promise<void> {
  if (added > 0) await tx`update id_type set generated = generated + ${added} where name = ${idType}`;
}

/**
 * Sends `text` as the whole of a COPY FROM STDIN and resolves once the server has accepted it; rejects with
 * the server's error (a 23505 included) or the connection's.
 *
 * Why not the Writable's end() callback: postgres.js (3.4.x) detaches the stream when it sends CopyDone, so an
 * error the server raises after that (a row waiting on another transaction's uncommitted duplicate, then
 * 23505; or the connection dropping) never reaches the stream, and end()'s callback never runs: the refill
 * would hang holding its lock. The library does pass the COPY's outcome to the query's resolve/reject
 * (CommandComplete, or the error at ReadyForQuery, as for any query), so we listen there.
 * test/pool/parallel-refill.test.ts makes the late 23505 happen.
 */
async function copyIn(query: CopyQuery, text: string): Promise<void> {
  // The query first resolves to the stream (CopyInResponse); the server says nothing more until it has data,
  // so the hooks are in place before any answer to the COPY can come.
  const writable = await query.writable();
  const answered = new Promise<void>((resolve, reject) => {
    query.resolve = () => resolve();
    query.reject = reject;
  });
  writable.on("error", () => undefined); // the same error reaches `answered`
  writable.end(Buffer.from(text));
  await answered;
}

/** A postgres.js query, with the settlement hooks the connection calls (see copyIn). */
type CopyQuery = {
  writable(): Promise<import("node:stream").Writable>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};
