// The parallel refill (src/pool/replenish.ts) against a real PostgreSQL, with several pods (each its own
// connection pool, as pods have) refilling one type at once: the pool ends exactly at its target, every ID is
// registered once, and the registry, pool_chunk and id_type.generated agree. A candidate already registered, or
// repeated, never becomes a second ID, even when the other registration is still uncommitted when the refill
// probes; and a coordinator waits for the parts of an earlier refill before it recounts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { createRules, type Rules } from "../../wasm/index.js";
import { connectDatabase } from "../../src/db/connect";
import { claimChunks, countAvailable, REFILL_PART_LOCK_NAMESPACE, registerIdType } from "../../src/pool/queries";
import { replenishPool, splitByKey } from "../../src/pool/replenish";
import { testDatabase, testLog, type TestDatabase } from "../support/database";

let db: TestDatabase;
const pods: Sql[] = [];
beforeAll(async () => {
  db = await testDatabase();
  for (let i = 0; i < 3; i++) pods.push(connectDatabase({ url: db.url, log: testLog, max: 4 }));
});
afterAll(async () => {
  for (const pod of pods) await pod.end({ timeout: 1 });
  await db.drop();
});

const large = { count: 10n ** 10n, exact: false };
/** Parts even for small refills, so that these tests exercise the parallel path. */
const parallel = { parts: 2, parallelMinIds: 1 };

/**
 * Rules whose generate() hands out the given IDs in order, then repeats the first one: candidates a test
 * chooses (a refill asks for a few more than its deficit; the repeats are dropped).
 */
function scripted(ids: string[]): Rules {
  let at = 0;
  return {
    generate(count: number) {
      const out = Array.from({ length: count }, (_, i) => ids[at + i] ?? ids[0]!);
      at += count;
      return out;
    },
  } as unknown as Rules;
}

async function registry(idType: string) {
  const [row] = await db.sql<{ registered: number; distinct: number; generated: number; chunked: number; chunkedDistinct: number; unregistered: number }[]>`
    select (select count(*)::int from registered_id where id_type = ${idType}) as registered,
           (select count(distinct id)::int from registered_id where id_type = ${idType}) as distinct,
           (select generated::int from id_type where name = ${idType}) as generated,
           (select count(*)::int from pool_chunk, unnest(ids) as id where id_type = ${idType}) as chunked,
           (select count(distinct id)::int from pool_chunk, unnest(ids) as id where id_type = ${idType}) as "chunkedDistinct",
           (select count(*)::int from (select unnest(ids) from pool_chunk where id_type = ${idType}
                                       except select id from registered_id where id_type = ${idType}) as x) as unregistered`;
  return row!;
}

/** Waits until some backend waits for an advisory lock (never a timing guess: it polls what PostgreSQL says). */
async function untilWaitingOnAdvisoryLock(): Promise<void> {
  for (;;) {
    const [row] = await db.sql<{ waiting: boolean }[]>`
      select exists (select 1 from pg_locks l join pg_database d on d.oid = l.database
                     where l.locktype = 'advisory' and not l.granted and d.datname = current_database()) as waiting`;
    if (row!.waiting) return;
    await Bun.sleep(10);
  }
}

test("splitByKey: contiguous key ranges of about equal size, candidate order kept, repeats in one range", () => {
  const candidates = ["5", "1", "9", "3", "7", "1", "8", "2"];
  const [low, high] = splitByKey(candidates, 2);
  expect(low).toEqual(["1", "3", "1", "2"]);
  expect(high).toEqual(["5", "9", "7", "8"]);
  expect(splitByKey(candidates, 1)).toEqual([candidates]);
  expect(splitByKey([], 3)).toEqual([[]]);
});

test("a refill whose slices repeat an ID still fills the pool to its target", async () => {
  await registerIdType(db.sql, { name: "repeating", idLength: 10, capacity: large.count, capacityExact: false });
  const ids = ["1000000001", "2000000002", "1000000001", "3000000003", "4000000004", "5000000005"];
  expect(await replenishPool(pods[0]!, { idType: "repeating", rules: scripted(ids), target: 4, chunkSize: 2, capacity: large })).toBe(4);
  expect(await countAvailable(db.sql, "repeating")).toBe(4);
});

test("three pods refilling one type at once, in parts, fill it exactly to its target, every ID once", async () => {
  const rules = await createRules({ id_length: 10 });
  await registerIdType(db.sql, { name: "racing", idLength: 10, capacity: large.count, capacityExact: false });
  const target = 30_000;
  for (let cycle = 0; cycle < 3; cycle++) {
    const added = await Promise.all(pods.map((sql) => replenishPool(sql, { idType: "racing", rules, target, chunkSize: 500, capacity: large }, parallel)));
    expect(await countAvailable(db.sql, "racing")).toBe(target);
    // Whoever came first filled the deficit; the others recounted under the lock and found (almost) none.
    expect(added.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(target);
    const counts = await registry("racing");
    expect(counts.distinct).toBe(counts.registered);
    expect(counts.generated).toBe(counts.registered);
    expect(counts.chunkedDistinct).toBe(counts.chunked);
    expect(counts.unregistered).toBe(0);
    // Pods take some chunks (as buffers would) before the next round of refills.
    await claimChunks(db.sql, "racing", 20 + cycle * 5, "pod-0");
  }
}, 60_000);

test("known and repeated candidates are dropped in every part; what is new is registered once", async () => {
  await registerIdType(db.sql, { name: "repeats", idLength: 10, capacity: large.count, capacityExact: false });
  const first = ["1000000001", "9000000009", "2000000002", "8000000008"];
  expect(await replenishPool(pods[0]!, { idType: "repeats", rules: scripted(first), target: 4, chunkSize: 2, capacity: large }, parallel)).toBe(4);
  // 6 candidates for a deficit of 6: two known (one per key range), one repeated.
  const second = ["9000000009", "3000000003", "3000000003", "1000000001", "7000000007", "4000000004"];
  const added = await replenishPool(pods[1]!, { idType: "repeats", rules: scripted(second), target: 10, chunkSize: 2, capacity: large }, parallel);
  expect(added).toBe(3);
  const [ids] = await db.sql<{ ids: string[] }[]>`select array_agg(id order by id) as ids from registered_id where id_type = 'repeats'`;
  expect(ids!.ids).toEqual(["1000000001", "2000000002", "3000000003", "4000000004", "7000000007", "8000000008", "9000000009"]);
  const counts = await registry("repeats");
  expect(counts).toEqual({ registered: 7, distinct: 7, generated: 7, chunked: 7, chunkedDistinct: 7, unregistered: 0 });
});

test("an ID registered by someone else after the probe: the primary key refuses the refill, which a retry completes", async () => {
  await registerIdType(db.sql, { name: "raced", idLength: 10, capacity: large.count, capacityExact: false });
  // Another writer (not a refill: it ignores the lock, as a bug would) has inserted 6000000006, not committed.
  const other = await db.sql.reserve();
  try {
    await other`begin`;
    await other`insert into registered_id (id_type, id) values ('raced', '6000000006')`;
    const candidates = ["1000000001", "6000000006", "2000000002", "7000000007"];
    const refill = replenishPool(pods[0]!, { idType: "raced", rules: scripted(candidates), target: 4, chunkSize: 2, capacity: large }, parallel);
    refill.catch(() => undefined);
    // The probe could not see the uncommitted row; the COPY waits on it. Then the other writer commits.
    for (;;) {
      const [row] = await db.sql<{ waiting: boolean }[]>`
        select exists (select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'copy pool_id%') as waiting`;
      if (row!.waiting) break;
      await Bun.sleep(10);
    }
    await other`commit`;
    await expect(refill).rejects.toMatchObject({ code: "23505" });
  } finally {
    other.release();
  }
  // Nothing of the failed part was kept; the other part (a disjoint key range) may have committed.
  const [row] = await db.sql<{ copies: number; inChunks: number }[]>`
    select (select count(*)::int from registered_id where id_type = 'raced' and id = '6000000006') as copies,
           (select count(*)::int from pool_chunk, unnest(ids) as id where id_type = 'raced' and id = '6000000006') as "inChunks"`;
  expect(row).toEqual({ copies: 1, inChunks: 0 });
  // The retry (the next refill) registers what is still missing, and never 6000000006 again.
  const retry = ["1000000001", "6000000006", "2000000002", "7000000007", "3000000003", "4000000004"];
  await replenishPool(pods[0]!, { idType: "raced", rules: scripted(retry), target: 4, chunkSize: 2, capacity: large }, parallel);
  const counts = await registry("raced");
  expect(counts.registered).toBe(counts.distinct);
  expect(counts.generated + 1).toBe(counts.registered); // 6000000006 came from the other writer, not a refill
  expect(counts.unregistered).toBe(0);
  const [chunked] = await db.sql<{ ids: string[] }[]>`select array_agg(id order by id) as ids from pool_chunk, unnest(ids) as id where id_type = 'raced'`;
  expect(chunked!.ids).not.toContain("6000000006");
  expect(new Set(chunked!.ids).size).toBe(chunked!.ids.length);
});

test("a coordinator recounts only after the parts of an earlier refill (its coordinator gone) have finished", async () => {
  const rules = await createRules({ id_length: 10 });
  await registerIdType(db.sql, { name: "orphaned", idLength: 10, capacity: large.count, capacityExact: false });
  // An orphaned part: it holds the part lock and is about to add 300 IDs.
  const part = await db.sql.reserve();
  let refill: Promise<number> | undefined;
  try {
    await part`begin`;
    await part`select pg_advisory_xact_lock_shared(${REFILL_PART_LOCK_NAMESPACE}, hashtext('orphaned'))`;
    refill = replenishPool(pods[1]!, { idType: "orphaned", rules, target: 1000, chunkSize: 100, capacity: large }, parallel);
    await untilWaitingOnAdvisoryLock();
    const ids = rules.generate(300);
    await part`insert into registered_id (id_type, id) select 'orphaned', unnest(${ids}::text[])`;
    await part`insert into pool_chunk (id_type, ids) values ('orphaned', ${ids}::text[])`;
    await part`update id_type set generated = generated + 300 where name = 'orphaned'`;
    await part`commit`;
  } finally {
    part.release();
  }
  // The refill saw the part's 300 and added the rest of the target, not the whole of it.
  expect(await refill!).toBe(700);
  expect(await countAvailable(db.sql, "orphaned")).toBe(1000);
});
