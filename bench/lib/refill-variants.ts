// Ways of putting a refill's candidate IDs into the pool, measured side by side by bench/refill.bench.ts.
// Each registers the candidates in pool_id (the primary key drops any generated before), packs the fresh ones
// into pool_chunk rows in candidate order (random: the order IDs are issued in), counts them in
// id_type.generated, and returns how many were fresh. "shipped" is what src/pool/queries.ts does.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { TransactionSql } from "postgres";
import { addGenerated } from "../../src/pool/queries";

export type InsertPath = (tx: TransactionSql, idType: string, candidates: string[], chunkSize: number) => Promise<number>;

/** Fresh IDs in candidate order, from the set the insert returned (a repeated candidate counted once). */
function inCandidateOrder(candidates: string[], fresh: Iterable<string>): string[] {
  const pending = new Set(fresh);
  const out: string[] = [];
  for (const id of candidates) if (pending.delete(id)) out.push(id);
  return out;
}

async function storeChunks(tx: TransactionSql, idType: string, fresh: string[], chunkSize: number): Promise<number> {
  if (fresh.length === 0) return 0;
  const chunks: { id_type: string; ids: string[] }[] = [];
  for (let at = 0; at < fresh.length; at += chunkSize) chunks.push({ id_type: idType, ids: fresh.slice(at, at + chunkSize) });
  await tx`insert into pool_chunk ${tx(chunks, "id_type", "ids")}`;
  await tx`update id_type set generated = generated + ${fresh.length} where name = ${idType}`;
  return fresh.length;
}

/** Before this work (migration 001's addGenerated): unnest in random order, chunks in the order returned. */
export const unnestRandom: InsertPath = async (tx, idType, candidates, chunkSize) => {
  const rows = await tx<{ id: string }[]>`
    insert into pool_id (id_type, id) select ${idType}, unnest(${candidates}::text[])
    on conflict do nothing returning id`;
  return storeChunks(tx, idType, rows.map((row) => row.id), chunkSize);
};

/** The candidates sorted in JS first (B-tree inserts in key order touch each leaf page once). */
export const unnestSorted: InsertPath = async (tx, idType, candidates, chunkSize) => {
  const sorted = [...new Set(candidates)].sort();
  const rows = await tx<{ id: string }[]>`
    insert into pool_id (id_type, id) select ${idType}, unnest(${sorted}::text[])
    on conflict do nothing returning id`;
  return storeChunks(tx, idType, inCandidateOrder(candidates, rows.map((row) => row.id)), chunkSize);
};

/** COPY into a temporary table, then one sorted insert; chunks built in SQL, no ID comes back to the pod. */
export const copyStaged: InsertPath = async (tx, idType, candidates, chunkSize) => {
  await tx`create temporary table if not exists refill_candidate (id text collate "C", ord bigint) on commit delete rows`;
  let lines = "";
  for (let i = 0; i < candidates.length; i++) lines += `${candidates[i]}\t${i}\n`;
  const writable = await tx`copy refill_candidate (id, ord) from stdin`.writable();
  await pipeline(Readable.from([Buffer.from(lines)]), writable);
  const [row] = await tx<{ added: number }[]>`
    with fresh as (
      insert into pool_id (id_type, id)
      select ${idType}, id from refill_candidate order by id
      on conflict do nothing returning id
    ), first as (
      select c.id, min(c.ord) as ord from refill_candidate c join fresh using (id) group by c.id
    ), numbered as (
      select id, (row_number() over (order by ord) - 1) / ${chunkSize} as chunk, ord from first
    ), chunks as (
      insert into pool_chunk (id_type, ids)
      select ${idType}, array_agg(id order by ord) from numbered group by chunk order by chunk
      returning size
    )
    select coalesce(sum(size), 0)::int as added from chunks`;
  const added = row?.added ?? 0;
  if (added > 0) await tx`update id_type set generated = generated + ${added} where name = ${idType}`;
  return added;
};

/** One statement: the array goes in once, PostgreSQL sorts it for the insert and packs the chunks; no ID comes back. */
export const unnestOneStatement: InsertPath = async (tx, idType, candidates, chunkSize) => {
  const [row] = await tx<{ added: number }[]>`
    with candidate as (
      select c.id collate "C" as id, min(c.ord) as ord
      from unnest(${candidates}::text[]) with ordinality as c(id, ord) group by c.id
    ), fresh as (
      insert into pool_id (id_type, id)
      select ${idType}, id from candidate order by id
      on conflict do nothing returning id
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
};

export const shipped: InsertPath = addGenerated;
