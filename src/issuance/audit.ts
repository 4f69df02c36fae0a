// The audit of issuance: one issued_id row per ID handed out (when, to whom, by which request), written by a
// group commit so that concurrent requests share one INSERT, and the lookup that reads it back.
import type { Sql } from "postgres";
import { GroupCommit } from "../db/group-commit";

export interface IssuedRecord {
  idType: string;
  id: string;
  issuedTo: string;
  requestId: string;
}

/**
 * One INSERT for any number of rows: four array parameters unnested, so the statement text (and its
 * prepared plan) is the same whatever the batch size, and no parameter limit applies.
 */
export async function insertIssued(sql: Sql, rows: IssuedRecord[]): Promise<void> {
  await sql`
    insert into issued_id (id_type, id, issued_to, request_id)
    select * from unnest(${rows.map((row) => row.idType)}::text[], ${rows.map((row) => row.id)}::text[],
                         ${rows.map((row) => row.issuedTo)}::text[], ${rows.map((row) => row.requestId)}::text[])`;
}

/** `writers`: INSERTs in flight at once (accountability.audit_writers; each holds a connection while it runs). */
export function createAuditLog(sql: Sql, writers = 4): GroupCommit<IssuedRecord> {
  return new GroupCommit<IssuedRecord>({ write: (rows) => insertIssued(sql, rows), writers });
}

export interface LookupAnswer {
  id: string;
  status: "issued" | "available" | "unknown";
  issued_at: string | null;
  issued_to: string | null;
}

/**
 * What the service knows of one ID: issued (audited: when and to whom), available (generated and not yet
 * issued: in the pool, or in a pod's buffer), or unknown (never generated; or lost to a crash or a failed
 * audit; or issued while audit was off, which left no record). One statement: the primary key of issued_id,
 * then the type's pool chunks (an index range of the type, arrays checked in memory: the pool is bounded by
 * pool_target), then the chunks pods hold.
 */
export async function lookupId(sql: Sql, idType: string, id: string): Promise<LookupAnswer> {
  const [row] = await sql<{ issued_at: Date | null; issued_to: string | null; pooled: boolean }[]>`
    select i.issued_at, i.issued_to,
           i.id is null and (exists (select 1 from pool_chunk where id_type = ${idType} and ids @> array[${id}::text])
                             or exists (select 1 from claimed_chunk where id_type = ${idType} and ids @> array[${id}::text])) as pooled
    from (select 1) one
    left join issued_id i on i.id_type = ${idType} and i.id = ${id}`;
  if (row?.issued_at) return { id, status: "issued", issued_at: row.issued_at.toISOString(), issued_to: row.issued_to };
  return { id, status: row?.pooled ? "available" : "unknown", issued_at: null, issued_to: null };
}
