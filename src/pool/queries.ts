// The pool's SQL, one exported function per statement. IDs live in two places: pool_id (every ID ever
// generated, the uniqueness guarantee) and pool_chunk (the available ones, many per row). See
// sql/migrations/001_pools.sql.
import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

/** Advisory-lock namespace of refills (one lock per type: hashtext(type) is the second key). */
export const REFILL_LOCK_NAMESPACE = 0x1d9e;

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
  const rows = await db<{ chunk_id: string; ids: string[] }[]>`
    with picked as (
      select chunk_id from pool_chunk where id_type = ${idType}
      order by chunk_id limit ${chunks} for update skip locked
    ), taken as (
      delete from pool_chunk c using picked where c.chunk_id = picked.chunk_id
      returning c.chunk_id, c.id_type, c.ids
    )
    insert into claimed_chunk (chunk_id, id_type, ids, claimed_by)
    select chunk_id, id_type, ids, ${pod} from taken
    returning chunk_id, ids`;
  return rows.map((row) => ({ chunkId: row.chunk_id, ids: row.ids }));
}

/** Forgets chunks whose every ID has been issued. */
export async function forgetClaimedChunks(db: Db, chunkIds: string[]): Promise<void> {
  if (chunkIds.length === 0) return;
  await db`delete from claimed_chunk where chunk_id = any(${chunkIds}::bigint[])`;
}

/**
 * Puts IDs a pod did not issue back into the pool as one chunk and drops its claims, atomically. The chunk
 * takes `reuseChunkId`, the chunk_id the oldest of these IDs was claimed with (free again: claiming moved it
 * out of pool_chunk), so they are the next to be claimed rather than the last.
 */
export async function returnToPool(sql: Sql, idType: string, ids: string[], chunkIds: string[], reuseChunkId?: string): Promise<void> {
  await sql.begin(async (tx) => {
    if (ids.length > 0 && reuseChunkId !== undefined) {
      await tx`insert into pool_chunk (chunk_id, id_type, ids) overriding system value values (${reuseChunkId}, ${idType}, ${ids}::text[])`;
    } else if (ids.length > 0) {
      await tx`insert into pool_chunk (id_type, ids) values (${idType}, ${ids}::text[])`;
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

/**
 * Registers candidate IDs in pool_id (dropping any generated before), packs the new ones into chunks of
 * `chunkSize` in candidate order (random: the order they will be issued in), and counts them in
 * id_type.generated. Call inside the refill transaction, after taking the type's refill lock.
 *
 * Why this shape (bench/refill.bench.ts measures it against the alternatives in one run; figures in
 * bench/RESULTS.md): the candidate array goes to the server once and no ID comes back. The pool_id insert
 * runs in key order (each B-tree leaf page is then visited once, not once per ID), and it is a plain insert
 * after an anti-join instead of ON CONFLICT DO NOTHING, whose speculative insertion costs an extra index
 * probe and WAL record per ID. That is safe because refills of a type hold its advisory lock
 * (REFILL_LOCK_NAMESPACE), so nothing inserts IDs of this type between the anti-join's snapshot and the
 * insert; and were something else to, the primary key would reject the insert (23505) and the refill would
 * fail and be retried: an ID can never be registered twice. A candidate repeated within the batch is kept
 * once, at its first position.
 */
export async function addGenerated(tx: TransactionSql, idType: string, candidates: string[], chunkSize: number, limit?: number): Promise<number> {
  if (candidates.length === 0 || limit === 0) return 0;
  // `limit`: at most that many new IDs, the first ones in candidate order (a refill that drew more candidates than
  // it needs because most of the space is generated already: replenish.ts, drawsFor). Without it, the plain
  // anti-join of the measured fast path.
  const unregistered = (c: string) => tx`not exists (select 1 from pool_id p where p.id_type = ${idType} and p.id = ${tx(c)}.id)`;
  const fresh = limit === undefined
    ? tx`select ${idType}, c.id from candidate c where ${unregistered("c")} order by c.id`
    : tx`select ${idType}, u.id from (select c.id from candidate c where ${unregistered("c")} order by c.ord limit ${limit}) u order by u.id`;
  const [row] = await tx<{ added: number }[]>`
    with candidate as (
      select c.id collate "C" as id, min(c.ord) as ord
      from unnest(${candidates}::text[]) with ordinality as c(id, ord) group by 1
    ), fresh as (
      insert into pool_id (id_type, id)
      ${fresh}
      returning id
    ), numbered as (
      select c.id, c.ord, (row_number() over (order by c.ord) - 1) / ${chunkSize} as chunk
      from candidate c join fresh using (id)
    ), chunks as (
      insert into pool_chunk (id_type, ids)
      select ${idType}, array_agg(id order by ord) from numbered group by chunk order by chunk
      returning size
    )
    select coalesce(sum(size), 0)::int as added from chunks`;
  const added = row?.added ?? 0;
  if (added > 0) await tx`update id_type set generated = generated + ${added} where name = ${idType}`;
  return added;
}
