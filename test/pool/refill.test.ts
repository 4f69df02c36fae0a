// The refill insert (addGenerated) against a real PostgreSQL: only IDs never generated before are added, each
// once, in the order the engine drew them (the order they will be issued in), and the generated counter
// agrees. Concurrent refills of one type by several connections never register an ID twice.
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { addGenerated, registerIdType, REFILL_LOCK_NAMESPACE } from "../../src/pool/queries";
import { testDatabase, type TestDatabase } from "../support/database";

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
  await registerIdType(db.sql, { name: "refilled", idLength: 10, capacity: 10n ** 9n, capacityExact: false });
});
afterAll(() => db.drop());

const refill = (candidates: string[], chunkSize: number) =>
  db.sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${REFILL_LOCK_NAMESPACE}, hashtext('refilled'))`;
    return addGenerated(tx, "refilled", candidates, chunkSize);
  });

const chunks = () => db.sql<{ ids: string[] }[]>`select ids from pool_chunk where id_type = 'refilled' order by chunk_id`;

test("fresh candidates are registered once and chunked in candidate order; known and repeated ones are dropped", async () => {
  expect(await refill(["5000000003", "9000000001", "2000000007"], 2)).toBe(3);
  // 9000000001 is known; 4000000005 appears twice in the batch; order is not numeric on purpose.
  const added = await refill(["8000000002", "9000000001", "4000000005", "1000000009", "4000000005", "6000000004"], 2);
  expect(added).toBe(4);
  expect((await chunks()).map((row) => row.ids)).toEqual([
    ["5000000003", "9000000001"],
    ["2000000007"],
    ["8000000002", "4000000005"],
    ["1000000009", "6000000004"],
  ]);
  const [counts] = await db.sql<{ registered: number; generated: number }[]>`
    select (select count(*)::int from registered_id where id_type = 'refilled') as registered,
           (select generated::int from id_type where name = 'refilled') as generated`;
  expect(counts).toEqual({ registered: 7, generated: 7 });
  expect(await refill(["5000000003", "8000000002"], 2)).toBe(0);
  expect(await refill([], 2)).toBe(0);
});

test("refills racing on several connections register every ID once", async () => {
  // Overlapping candidate sets, refilled at once: the advisory lock serialises them and the anti-join drops
  // what an earlier one registered.
  const sets = Array.from({ length: 6 }, (_, k) => Array.from({ length: 3000 }, (_, i) => String(3_000_000_000 + ((i * 7 + k * 1000) % 9000))));
  const added = await Promise.all(sets.map((set) => refill(set, 500)));
  const distinct = new Set(sets.flat()).size;
  expect(added.reduce((sum, n) => sum + n, 0)).toBe(distinct);
  const [row] = await db.sql<{ ids: number; distinct: number }[]>`
    select count(*)::int as ids, count(distinct id)::int as distinct
    from pool_chunk, unnest(ids) as id where id_type = 'refilled' and id like '3%'`;
  expect(row).toEqual({ ids: distinct, distinct });
});

test("with a limit, only that many new IDs are added: the first unregistered ones in candidate order", async () => {
  const limited = (candidates: string[], limit: number) =>
    db.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${REFILL_LOCK_NAMESPACE}, hashtext('refilled'))`;
      return addGenerated(tx, "refilled", candidates, 2, limit);
    });
  // 5000000003 and 8000000002 are registered by the first test; the rest are new.
  const before = (await chunks()).length;
  expect(await limited(["7100000001", "5000000003", "7300000003", "8000000002", "7200000002", "7400000004"], 3)).toBe(3);
  expect((await chunks()).slice(before).map((row) => row.ids)).toEqual([["7100000001", "7300000003"], ["7200000002"]]);
  const [row] = await db.sql<{ generated: number; registered: number }[]>`
    select (select generated::int from id_type where name = 'refilled') as generated,
           (select count(*)::int from registered_id where id_type = 'refilled') as registered`;
  expect(row!.generated).toBe(row!.registered);
  expect(await limited(["7400000004"], 0)).toBe(0);
});

test("a batch where thousands are known keeps exactly the new ones, in candidate order (new ones that differ from a known one in one digit included)", async () => {
  // 2,000 IDs registered first; then 6,000 candidates in a scrambled order: those 2,000 again and 4,000 new
  // ones, half of which end in the same digits as a known one and differ only in their second digit.
  const known = Array.from({ length: 2000 }, (_, i) => String(6_100_000_000 + i * 4099));
  expect(await refill(known, 1000)).toBe(2000);
  const sameTail = known.map((id) => `62${id.slice(2)}`);
  const otherTail = Array.from({ length: 2000 }, (_, i) => String(6_300_000_000 + i * 7919));
  const candidates = [...known, ...sameTail, ...otherTail].map((id, i) => ({ id, key: (i * 2654435761) % 6007 })).sort((a, b) => a.key - b.key).map((c) => c.id);
  const fresh = candidates.filter((id) => !id.startsWith("61"));
  const before = (await chunks()).length;
  expect(await refill(candidates, 1000)).toBe(4000);
  expect((await chunks()).slice(before).flatMap((row) => row.ids)).toEqual(fresh);
  const [row] = await db.sql<{ registered: number }[]>`select count(*)::int as registered from registered_id where id_type = 'refilled' and id between '61' and '64'`;
  expect(row!.registered).toBe(6000);
});

test.each([
  ["probed", 10, "pool_id_num"],
  ["probed_long", 20, "pool_id"],
] as const)("the probe for known IDs (type %s, length %d: %s) reads the key, never scanning the registry, even where a scan looks cheaper", async (name, length, table) => {
  // A registry of 30,000 IDs with fresh statistics and 30,000 candidates: sizes at which PostgreSQL's planner,
  // shown the array (a prepared statement's first executions), prefers scanning the registry's table, for
  // `id = any(...)` without the probe's settings as for a plain join (checked on PostgreSQL 15 and 18 for
  // pool_id, and on 15 for pool_id_num, whose probe gets the candidates as one string: this test then fails).
  // A new connection, so that this is the statement's first execution there.
  await registerIdType(db.sql, { name, idLength: length, capacity: 10n ** 9n, capacityExact: false });
  const padding = "1".repeat(length - 10);
  const registered = Array.from({ length: 30_000 }, (_, i) => padding + String(4_000_000_000 + i * 7));
  if (table === "pool_id_num") {
    await db.sql`insert into pool_id_num (id, type_no) select unnest(${registered}::bigint[]), (select type_no from id_type where name = ${name})`;
  } else {
    await db.sql`insert into pool_id (id_type, id) select ${name}, unnest(${registered}::text[])`;
  }
  await db.sql`analyze ${db.sql(table)}`;
  const candidates = Array.from({ length: 30_000 }, (_, i) => padding + String(4_000_000_000 + i * 5));
  const expected = candidates.filter((id) => (Number(id.slice(-10)) - 4_000_000_000) % 7 !== 0).length;
  const fresh = postgres(db.url, { max: 1, onnotice: () => undefined });
  try {
    const scans = await fresh.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${REFILL_LOCK_NAMESPACE}, hashtext(${name}))`;
      expect(await addGenerated(tx, name, candidates, 1000)).toBe(expected);
      // This transaction's own counts, before they are reported anywhere.
      const [row] = await tx<{ seq_scan: number }[]>`select seq_scan::int from pg_stat_xact_user_tables where relname = ${table}`;
      return row?.seq_scan;
    });
    expect(scans).toBe(0);
    // The settings that price the scan out end with the refill's transaction; the connection's other work
    // plans as usual.
    const [after] = await fresh<{ seqscan: string; bitmapscan: string; workers: string }[]>`
      select current_setting('enable_seqscan') as seqscan, current_setting('enable_bitmapscan') as bitmapscan,
             current_setting('max_parallel_workers_per_gather') as workers`;
    expect(after).toEqual({ seqscan: "on", bitmapscan: "on", workers: (await db.sql<{ w: string }[]>`select current_setting('max_parallel_workers_per_gather') as w`)[0]!.w });
  } finally {
    await fresh.end({ timeout: 1 });
  }
});

test("a batch that mixes kinds of ID is refused whole, so that no ID can land in the other registry table", async () => {
  const before = await db.sql<{ n: number }[]>`select count(*)::int as n from registered_id where id_type = 'refilled'`;
  // Up to 18 digits go to pool_id_num, longer ones to pool_id: a short ID in a long batch (or the reverse, or
  // another length among numbers) would be registered where a later probe does not look.
  await expect(refill(["7700000001", "77000000017700000001"], 2)).rejects.toThrow(/is not 10 digits/);
  await expect(refill(["77000000017700000001", "7700000001"], 2)).rejects.toThrow(/not a number of up to 18 digits/);
  await expect(refill(["7700000001", "770000001"], 2)).rejects.toThrow(/is not 10 digits/);
  const after = await db.sql<{ n: number }[]>`select count(*)::int as n from registered_id where id_type = 'refilled'`;
  expect(after[0]!.n).toBe(before[0]!.n);
});
