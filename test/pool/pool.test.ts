// The pool domain against a real PostgreSQL: chunk claims, refills, graceful return, and exact exhaustion,
// with several TypePool instances (as several pods would) sharing one database.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRules } from "../../wasm/index.js";
import { TypePool } from "../../src/pool/pool";
import { renewLease } from "../../src/pool/lease";
import { claimChunks, countWasted, registerIdType } from "../../src/pool/queries";
import { testDatabase, testLog, type TestDatabase } from "../support/database";

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.drop());

async function poolsFor(idType: string, length: number, pods: number, sizes = { target: 5000, threshold: 2000, bufferSize: 500, lowWater: 150 }, refillWaitMs = 5000) {
  const rules = await createRules({ id_length: length });
  const capacity = await rules.capacity();
  await registerIdType(db.sql, { name: idType, idLength: length, capacity: capacity.count, capacityExact: capacity.exact });
  // Live pods, as the service's heartbeat would keep them.
  for (let pod = 0; pod < pods; pod++) await renewLease(db.sql, `pod-${pod}`);
  return Array.from({ length: pods }, (_, pod) =>
    new TypePool({ sql: db.sql, log: testLog, pod: `pod-${pod}`, idType, rules, capacity, ...sizes, refillWaitMs }),
  );
}

async function oldestChunk(idType: string): Promise<string> {
  const [row] = await db.sql<{ chunk: string }[]>`select min(chunk_id)::text as chunk from pool_chunk where id_type = ${idType}`;
  return row!.chunk;
}

describe("TypePool", () => {
  test("three pods issue 6,000 IDs concurrently: all distinct, all valid, all registered", async () => {
    const pods = await poolsFor("household", 10, 3);
    const rules = await createRules({ id_length: 10 });
    const issued = await Promise.all(
      pods.map(async (pool) => {
        const ids: string[] = [];
        for (let i = 0; i < 2000; i++) {
          const result = await pool.issue();
          if (!("id" in result)) throw new Error(`no ID: ${JSON.stringify(result)}`);
          ids.push(result.id);
        }
        return ids;
      }),
    );
    const all = issued.flat();
    expect(new Set(all).size).toBe(6000);
    expect(all.every((id) => rules.validate(id).valid)).toBe(true);
    const [row] = await db.sql<{ known: number }[]>`select count(*)::int as known from registered_id where id_type = 'household' and id = any(${all}::text[])`;
    expect(row!.known).toBe(6000);
    const returned = await Promise.all(pods.map((pool) => pool.close()));
    const [left] = await db.sql<{ held: number }[]>`select count(*)::int as held from claimed_chunk where id_type = 'household'`;
    expect(left!.held).toBe(0);
    const [available] = await db.sql<{ ids: string[] }[]>`select coalesce(array_agg(i), '{}') as ids from pool_chunk, unnest(ids) i where id_type = 'household'`;
    expect(available!.ids.filter((id) => all.includes(id))).toEqual([]);
    expect(returned.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
  }, 60_000);

  test("a length-4 type (465 IDs) drains through three pods exactly, then every pod says exhausted", async () => {
    const pods = await poolsFor("tiny", 4, 3);
    const issued: string[] = [];
    await Promise.all(
      pods.map(async (pool) => {
        for (;;) {
          const result = await pool.issue();
          if ("id" in result) issued.push(result.id);
          else if ("exhausted" in result) return;
        }
      }),
    );
    expect(issued.length).toBe(465);
    expect(new Set(issued).size).toBe(465);
    expect((await createRules({ id_length: 4 })).enumerate().sort()).toEqual([...issued].sort());
    for (const pool of pods) expect(await pool.issue()).toEqual({ exhausted: true });
  }, 60_000);

  test("IDs held by a live pod keep a drained type at 503; once its lease expires they are waste and the type is exhausted", async () => {
    const [pool] = await poolsFor("tiny_lease", 4, 1, undefined, 300);
    await pool!.replenish();
    // A second pod claims one ID and holds it (in its buffer, or it is about to crash).
    await renewLease(db.sql, "holder");
    const [held] = await claimChunks(db.sql, "tiny_lease", 1, "holder");
    expect(held!.ids.length).toBe(1);
    const issued: string[] = [];
    for (;;) {
      const result = await pool!.issue();
      if (!("id" in result)) {
        expect(result).toEqual({ behind: true });
        break;
      }
      issued.push(result.id);
    }
    expect(issued.length).toBe(464);
    expect(issued).not.toContain(held!.ids[0]);
    expect(await countWasted(db.sql, "tiny_lease", 30)).toBe(0);
    // The holder stops renewing: after the lease its ID is counted as wasted, and the type is spent.
    await db.sql`update pod_lease set seen_at = now() - interval '31 seconds' where pod = 'holder'`;
    expect(await countWasted(db.sql, "tiny_lease", 30)).toBe(1);
    expect(await pool!.issue()).toEqual({ exhausted: true });
  }, 60_000);

  test("a graceful close returns unissued IDs under the chunk_id they were claimed with, so they go out first", async () => {
    const [first, second] = await poolsFor("returned", 10, 2, { target: 3000, threshold: 100, bufferSize: 1000, lowWater: 1 });
    await first!.replenish();
    const min = await oldestChunk("returned");
    const taken = await first!.issue();
    expect("id" in taken).toBe(true);
    expect(await first!.close()).toBe(999);
    expect(await oldestChunk("returned")).toBe(min);
    const next = await second!.issue();
    const [claimed] = await db.sql<{ ids: string[] }[]>`select ids from claimed_chunk where chunk_id = ${min}::bigint`;
    const ids = claimed!.ids;
    expect(ids).toContain((next as { id: string }).id);
    expect(ids).not.toContain((taken as { id: string }).id);
    await second!.close();
  }, 60_000);
  test("a close returns what a pod holds in chunks of at most buffer_size, under the chunk_ids it claimed", async () => {
    // A batch of 150 claims two chunks of 100 at once and leaves 50, under the mark of 90, so the pod claims
    // ahead of demand: at least one chunk, and up to five (bufferMax), as claims grow with the rate just seen
    // (src/pool/buffer.ts). It then holds IDs from several chunks. They go back as chunks of at most 100, not as
    // one chunk that the next pod claiming one chunk would take whole.
    const sizes = { target: 3000, threshold: 100, bufferSize: 100, lowWater: 90, bufferMax: 500 };
    const [pod] = await poolsFor("rechunked", 10, 1, sizes);
    await pod!.replenish();
    const batch = await pod!.issueMany(150);
    expect("ids" in batch && batch.ids.length).toBe(150);
    for (let waited = 0; pod!.buffered <= 50 && waited < 250; waited++) await Bun.sleep(20);
    const held = pod!.buffered;
    expect(held).toBeGreaterThanOrEqual(150);
    const claimedIds = (await db.sql<{ chunk_id: string }[]>`select chunk_id::text from claimed_chunk where id_type = 'rechunked'`).map((row) => row.chunk_id);
    const before = await db.sql<{ chunk_id: string }[]>`select chunk_id::text from pool_chunk where id_type = 'rechunked'`;
    const returned = await pod!.close();
    expect(returned).toBe(held);
    const after = await db.sql<{ chunk_id: string; n: number }[]>`
      select chunk_id::text, cardinality(ids)::int as n from pool_chunk where id_type = 'rechunked'`;
    const known = new Set(before.map((row) => row.chunk_id));
    const back = after.filter((row) => !known.has(row.chunk_id));
    expect(back.reduce((sum, row) => sum + row.n, 0)).toBe(returned);
    expect(Math.max(...back.map((row) => row.n))).toBeLessThanOrEqual(100);
    expect(back.length).toBe(Math.ceil(returned / 100));
    // Each returned chunk took the chunk_id of a chunk this pod had claimed: they go out first again.
    for (const row of back) expect(claimedIds).toContain(row.chunk_id);
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from claimed_chunk where id_type = 'rechunked'`;
    expect(left!.n).toBe(0);
  }, 60_000);
});


describe("waiting on a refill", () => {
  // A refill lands in steps (src/pool/replenish.ts). A request that finds the pool empty claims again while the
  // refill runs, so it is served once the first step has committed, not when the whole refill ends.
  test("a request on an empty pool gets an ID as soon as the first step lands, long before the refill ends", async () => {
    const rules = await createRules({ id_length: 10 });
    await registerIdType(db.sql, { name: "stepped", idLength: 10, capacity: 0n, capacityExact: false });
    let finish!: () => void;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    let refills = 0;
    const pool = new TypePool({
      sql: db.sql, log: testLog, pod: "pod-stepped", idType: "stepped", rules, capacity: { count: 0n, exact: false },
      target: 1000, threshold: 100, bufferSize: 100, lowWater: 30, refillWaitMs: 3000,
      // A refill whose first step commits at once and whose end comes only when the test says so.
      refill: async (wanted) => {
        refills++;
        const ids = rules.generate(200);
        const chunks = [ids.slice(0, 100), ids.slice(100)];
        await db.sql.begin(async (tx) => {
          await tx`insert into registered_id (id_type, id) select ${wanted.idType}, unnest(${ids}::text[])`;
          for (const chunk of chunks) await tx`insert into pool_chunk (id_type, ids) values (${wanted.idType}, ${chunk}::text[])`;
        });
        await ended;
        return ids.length;
      },
    });
    try {
      // Served by a claim made while the refill still runs: it ends only after this answer, so a request that
      // waited for the whole refill would be answered `behind` (503) when refillWaitMs runs out.
      expect(await pool.issue()).toEqual({ id: expect.stringMatching(/^\d{10}$/) });
      expect(refills).toBe(1);
    } finally {
      finish();
      await pool.close();
    }
  });
});
