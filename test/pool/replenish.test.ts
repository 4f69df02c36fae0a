// Refills of a type whose space is mostly generated: the draw grows as the space fills (drawsFor), so the last
// IDs are found at once instead of after dozens of refills (issue 3: no hang at start-up when the space is almost
// used), and never more than the deficit is added. Against a real PostgreSQL and the real rules engine.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { countAvailable, readGenerated, registerIdType } from "../../src/pool/queries";
import { drawsFor, MAX_DRAWS, replenishPool } from "../../src/pool/replenish";
import { createRules, type Rules } from "../../wasm/index.js";
import { testDatabase, type TestDatabase } from "../support/database";

let db: TestDatabase;
let rules: Rules;
let space: string[];
beforeAll(async () => {
  db = await testDatabase();
  rules = await createRules({ id_length: 7, profile: "openg2p" });
  space = rules.enumerate();
});
afterAll(() => db.drop());

test("drawsFor: the wanted count while most of the space is left, more as it fills, capped at the space and MAX_DRAWS", () => {
  expect(drawsFor(6000, 1_000_000n, 1_000_000n)).toBe(6000);
  expect(drawsFor(6000, 1_000_000n, 950_000n)).toBe(6000);
  expect(drawsFor(6000, 1_000_000n, 500_000n)).toBe(14_400); // 6000 x 2 x 1.2
  expect(drawsFor(6000, 231_359n, 1n)).toBe(231_359); // the whole space
  expect(drawsFor(6000, 14_000_000n, 1n)).toBe(MAX_DRAWS);
  expect(drawsFor(300_000, 14_000_000n, 1n)).toBe(300_000); // never fewer than wanted
  expect(drawsFor(6000, 231_359n, 0n)).toBe(0);
  expect(drawsFor(0, 231_359n, 10n)).toBe(0);
});

/** A length-7 type (231,359 valid IDs: drawn at random, not put in whole) with all but `left` registered. */
async function almostUsed(name: string, left: string[]): Promise<void> {
  const capacity = BigInt(space.length);
  await registerIdType(db.sql, { name, idLength: 7, capacity, capacityExact: true });
  const skip = new Set(left);
  const registered = space.filter((id) => !skip.has(id));
  await db.sql`insert into registered_id (id_type, id) select ${name}, unnest(${registered}::text[])`;
  await db.sql`update id_type set generated = ${registered.length} where name = ${name}`;
}

const refill = (name: string, target: number) =>
  replenishPool(db.sql, { idType: name, rules, target, chunkSize: 100, capacity: { count: BigInt(space.length), exact: true } });

test("the last IDs of a mostly generated space are found by one refill, and a fully generated one draws nothing", async () => {
  const left = [space[10]!, space[100_000]!, space.at(-1)!];
  await almostUsed("nearly", left);
  expect(await refill("nearly", 6000)).toBe(3);
  const [pool] = await db.sql<{ ids: string[] }[]>`select array_agg(id order by id) as ids from pool_chunk, unnest(ids) id where id_type = 'nearly'`;
  expect(pool!.ids).toEqual([...left].sort());
  expect(await readGenerated(db.sql, "nearly")).toBe(BigInt(space.length));
  // Everything generated: no refill adds anything (and none fails).
  expect(await refill("nearly", 6000)).toBe(0);
});

test("an oversampled refill adds the deficit, not every new candidate it drew", async () => {
  // Half the space left: drawsFor asks for 2.4x the deficit, about 1.2x of which is new.
  const left = space.filter((_, i) => i % 2 === 0);
  await almostUsed("halfway", left);
  expect(await refill("halfway", 5000)).toBe(5000);
  expect(await countAvailable(db.sql, "halfway")).toBe(5000);
  const [row] = await db.sql<{ repeated: number }[]>`
    select count(*)::int as repeated from pool_chunk c, unnest(c.ids) id
    where c.id_type = 'halfway' and id <> all(${left}::text[])`;
  expect(row!.repeated).toBe(0); // every ID added was one of those left
});
