// Ways of putting a refill's candidate IDs into the pool, measured side by side by bench/refill.bench.ts
// through replenishPool (its `register` option): each registers the candidates in pool_id (dropping any
// generated before), packs the fresh ones into pool_chunk rows in candidate order (random: the order IDs are
// issued in), and returns how many were fresh; replenishPool counts them in id_type.generated. The shipped
// one is src/pool/queries.ts registerFresh, imported, not copied.
import type { TransactionSql } from "postgres";
import { registerFresh, type Probe } from "../../src/pool/queries";

export type Register = (tx: TransactionSql, idType: string, candidates: string[], chunkSize: number) => Promise<number>;

async function storeChunks(tx: TransactionSql, idType: string, fresh: string[], chunkSize: number): Promise<number> {
  if (fresh.length === 0) return 0;
  const chunks: { id_type: string; ids: string[] }[] = [];
  for (let at = 0; at < fresh.length; at += chunkSize) chunks.push({ id_type: idType, ids: fresh.slice(at, at + chunkSize) });
  await tx`insert into pool_chunk ${tx(chunks, "id_type", "ids")}`;
  return fresh.length;
}

/** Migration 001's path: unnest in random order with ON CONFLICT DO NOTHING, chunks in the order returned. */
export const unnestRandom: Register = async (tx, idType, candidates, chunkSize) => {
  const rows = await tx<{ id: string }[]>`
    insert into pool_id (id_type, id) select ${idType}, unnest(${candidates}::text[])
    on conflict do nothing returning id`;
  return storeChunks(tx, idType, rows.map((row) => row.id), chunkSize);
};

/**
 * The shipped path before COPY (2026-12-06, 96.8k IDs/s in that run): one statement, the array sent once,
 * sorted in SQL, a plain insert after an anti-join on pool_id, chunks packed in SQL.
 */
export const unnestAntiJoin: Register = async (tx, idType, candidates, chunkSize) => {
  if (candidates.length === 0) return 0;
  const [row] = await tx<{ added: number }[]>`
    with candidate as (
      select c.id collate "C" as id, min(c.ord) as ord
      from unnest(${candidates}::text[]) with ordinality as c(id, ord) group by 1
    ), fresh as (
      insert into pool_id (id_type, id)
      select ${idType}, c.id from candidate c
      where not exists (select 1 from pool_id p where p.id_type = ${idType} and p.id = c.id)
      order by c.id
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
  return row?.added ?? 0;
};

export const shipped: Register = registerFresh;

/** The shipped path on the text registry (pool_id for every ID), as before migration 009, and on schemas older than it. */
export const asText = (tx: TransactionSql, idType: string, candidates: string[], chunkSize: number, limit?: number) =>
  registerFresh(tx, idType, candidates, chunkSize, limit, { layout: "text" });

/**
 * The shipped path with the probe it had before probeKnown (src/pool/queries.ts): one lookup per candidate,
 * a LATERAL subquery with LIMIT 1 (which the planner cannot turn into a join or a scan), on the text registry
 * (the probe came before migration 009).
 */
const probeEach: Probe = (tx, idType, sorted) =>
  tx<{ id: string }[]>`
    select c.id from unnest(${sorted}::text[]) as c(id)
    cross join lateral (select 1 from pool_id p where p.id = c.id collate "C" and p.id_type = ${idType} limit 1) as registered`;
export const probingEach = (tx: TransactionSql, idType: string, candidates: string[], chunkSize: number, limit?: number) =>
  registerFresh(tx, idType, candidates, chunkSize, limit, { probe: probeEach, layout: "text" });
