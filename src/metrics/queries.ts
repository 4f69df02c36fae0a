// The statements behind the scrape-time gauges: one per scrape at most (ServiceMetrics caches and times them
// out), each an aggregate over small tables or an index.
import type { Sql } from "postgres";

export interface DatabaseGauges {
  types: { name: string; available: number; generated: number; capacity: number; capacityExact: boolean }[];
  /** This pod's connections by pg_stat_activity state. */
  connections: Record<string, number>;
  /** Per sequential counter: numbers waiting in counter_returned (stopped pods' unused numbers). */
  counters: { name: string; returned: number }[];
}

/** PostgreSQL truncates application_name to 63 bytes (NAMEDATALEN - 1); the filter compares the same prefix. */
export const APPLICATION_NAME_MAX = 63;

export async function readDatabaseGauges(sql: Sql, applicationName: string): Promise<DatabaseGauges> {
  const types = await sql<{ name: string; available: string | null; generated: string; capacity: string | null; capacity_exact: boolean }[]>`
    select t.name, a.available, t.generated, t.capacity, t.capacity_exact
    from id_type t
    left join (select id_type, sum(size) as available from pool_chunk group by id_type) a on a.id_type = t.name`;
  const states = await sql<{ state: string | null; connections: number }[]>`
    select state, count(*)::int as connections from pg_stat_activity
    where application_name = left(${applicationName}, ${APPLICATION_NAME_MAX}) group by state`;
  const counters = await sql<{ name: string; returned: string }[]>`
    select c.name, coalesce(sum(r.hi - r.lo + 1), 0)::text as returned
    from counter c left join counter_returned r on r.counter = c.name group by c.name`;
  const connections: Record<string, number> = {};
  for (const row of states) {
    const state = row.state === "active" || row.state === "idle" || row.state === "idle in transaction" ? row.state : "other";
    connections[state] = (connections[state] ?? 0) + row.connections;
  }
  return {
    types: types.map((row) => ({
      name: row.name,
      available: Number(row.available ?? 0),
      generated: Number(row.generated),
      capacity: Number(row.capacity ?? 0),
      capacityExact: row.capacity_exact,
    })),
    connections,
    counters: counters.map((row) => ({ name: row.name, returned: Number(row.returned) })),
  };
}
