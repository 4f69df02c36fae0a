// Refills in a worker thread (src/pool/refill-thread.ts) against a real PostgreSQL: the thread fills a pool
// to its target with valid, distinct IDs and keeps the counters right; two pods' threads refilling one type at
// once never overfill or register an ID twice; a failing refill rejects with the database's message (no hang);
// close() waits for the refill in flight; and a TypePool given the thread refills through it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRules } from "../../wasm/index.js";
import { RefillThread } from "../../src/pool/refill-thread";
import { TypePool } from "../../src/pool/pool";
import { countAvailable, registerIdType } from "../../src/pool/queries";
import { testDatabase, testLog, type TestDatabase } from "../support/database";

let db: TestDatabase;
const large = { count: 10n ** 9n, exact: false };
const RULES = { id_length: 10 };
beforeAll(async () => {
  db = await testDatabase();
  for (const name of ["threaded", "raced", "pooled"]) await registerIdType(db.sql, { name, idLength: 10, capacity: 0n, capacityExact: false });
});
afterAll(() => db.drop());

const state = async (idType: string) => {
  const [row] = await db.sql<{ registered: number; generated: number; available: number; distinct: number }[]>`
    select (select count(*)::int from registered_id where id_type = ${idType}) as registered,
           (select generated::int from id_type where name = ${idType}) as generated,
           (select count(*)::int from pool_chunk, unnest(ids) where id_type = ${idType}) as available,
           (select count(distinct id)::int from pool_chunk, unnest(ids) as id where id_type = ${idType}) as distinct`;
  return row!;
};

test("fills the pool to its target with valid, distinct IDs; a second refill at target adds none", async () => {
  const thread = new RefillThread({ url: db.url, applicationName: "idgen/test-thread" });
  try {
    expect(await thread.refill({ idType: "threaded", rules: RULES, target: 120_000, chunkSize: 1000, capacity: large })).toBe(120_000);
    expect(await state("threaded")).toEqual({ registered: 120_000, generated: 120_000, available: 120_000, distinct: 120_000 });
    expect(await thread.refill({ idType: "threaded", rules: RULES, target: 120_000, chunkSize: 1000, capacity: large })).toBe(0);
    const rules = await createRules(RULES);
    const sample = await db.sql<{ id: string }[]>`select id from registered_id where id_type = 'threaded' order by random() limit 2000`;
    expect(sample.filter(({ id }) => !rules.validate(id).valid)).toEqual([]);
  } finally {
    await thread.close();
  }
});

test("two pods' threads refilling one type at once reach the target exactly, every ID once", async () => {
  const threads = [0, 1].map((i) => new RefillThread({ url: db.url, applicationName: `idgen/test-race-${i}` }));
  try {
    const added = await Promise.all(threads.map((thread) => thread.refill({ idType: "raced", rules: RULES, target: 60_000, chunkSize: 500, capacity: large })));
    expect(added[0]! + added[1]!).toBe(60_000);
    expect(await state("raced")).toEqual({ registered: 60_000, generated: 60_000, available: 60_000, distinct: 60_000 });
  } finally {
    await Promise.all(threads.map((thread) => thread.close()));
  }
});

test("a refill that fails rejects with the database's message, and the thread serves the next one", async () => {
  const thread = new RefillThread({ url: db.url, applicationName: "idgen/test-fail" });
  try {
    // Not registered in id_type: the generated counter's update finds no row, the chunks' foreign key refuses.
    const failed = await thread.refill({ idType: "nosuchtype", rules: RULES, target: 100, chunkSize: 10, capacity: large }).then(() => "resolved", (error: Error) => error.message);
    expect(failed).toMatch(/foreign key|violates|nosuchtype/);
    expect(await thread.refill({ idType: "threaded", rules: RULES, target: 121_000, chunkSize: 1000, capacity: large })).toBe(1000);
  } finally {
    await thread.close();
  }
});

test("an unreachable database fails the refill: it rejects, it does not hang", async () => {
  const thread = new RefillThread({ url: "postgres://postgres@127.0.0.1:1/nothing", applicationName: "idgen/test-down" });
  try {
    const outcome = await thread.refill({ idType: "threaded", rules: RULES, target: 10, chunkSize: 10, capacity: large }).then(() => "resolved", () => "rejected");
    expect(outcome).toBe("rejected");
  } finally {
    await thread.close();
  }
});

test("close() waits for the refill in flight; refills after it are refused", async () => {
  const thread = new RefillThread({ url: db.url, applicationName: "idgen/test-close" });
  const refill = thread.refill({ idType: "threaded", rules: RULES, target: 200_000, chunkSize: 1000, capacity: large });
  await Bun.sleep(20);
  await thread.close();
  expect(await refill).toBe(79_000);
  expect(await thread.refill({ idType: "threaded", rules: RULES, target: 300_000, chunkSize: 1000, capacity: large }).catch((error: Error) => error.message)).toBe("refill thread closed");
});

test("a TypePool given the thread refills through it, then serves claims from what it added", async () => {
  const thread = new RefillThread({ url: db.url, applicationName: "idgen/test-pool" });
  const rules = await createRules(RULES);
  const pool = new TypePool({
    sql: db.sql, log: testLog, pod: "pod-thread", idType: "pooled", rules, capacity: large, target: 5000, threshold: 1000, bufferSize: 100, lowWater: 30,
    refill: (wanted) => thread.refill({ ...wanted, rules: RULES }),
  });
  try {
    expect(await pool.replenish()).toBe(5000);
    expect(await countAvailable(db.sql, "pooled")).toBe(5000);
    const issued = await Promise.all(Array.from({ length: 250 }, () => pool.issue()));
    const ids = issued.map((result) => ("id" in result ? result.id : "none"));
    expect(new Set(ids).size).toBe(250);
    expect(ids.every((id) => rules.validate(id).valid)).toBe(true);
  } finally {
    await pool.close();
    await thread.close();
  }
});
