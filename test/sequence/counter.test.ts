// The counter domain on a real database: block takes clamp at the maximum, exact ranges, the double buffer
// and its adaptive size, give-back on close (and its compare-and-set), strict mode. Several Counter objects on
// one database stand in for pods here; test/sequence/multi-pod.test.ts does it with real processes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Counter } from "../../src/sequence/counter";
import { defineCounter, readCounter, takeNumbers } from "../../src/sequence/queries";
import { testDatabase, testLog, type TestDatabase } from "../support/database";

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.drop());

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UNLIMITED = 9223372036854775807n;

function counter(name: string, options: { mode?: "prefetch" | "strict"; min?: number; max?: number } = {}) {
  return new Counter({
    sql: db.sql, log: testLog, name, start: 1n, mode: options.mode ?? "prefetch",
    block: { min: options.min ?? 10, max: options.max ?? 1000, targetSeconds: 10 },
  });
}

test("a block take clamps at the maximum, hands out the tail, then finds nothing", async () => {
  await defineCounter(db.sql, { name: "clamped", start: 5n, max: 12n, mode: "prefetch" });
  expect(await takeNumbers(db.sql, "clamped", 5)).toEqual({ first: 5n, last: 9n });
  expect(await takeNumbers(db.sql, "clamped", 5)).toEqual({ first: 10n, last: 12n });
  expect(await takeNumbers(db.sql, "clamped", 5)).toBeNull();
  expect((await readCounter(db.sql, "clamped"))!.lastValue).toBe(12n);
});

test("an exact take is all or nothing, and a ceiling stops it below the maximum", async () => {
  await defineCounter(db.sql, { name: "exact", start: 1n, max: 10n, mode: "prefetch" });
  expect(await takeNumbers(db.sql, "exact", 8, { exact: true })).toEqual({ first: 1n, last: 8n });
  expect(await takeNumbers(db.sql, "exact", 3, { exact: true })).toBeNull();
  expect(await takeNumbers(db.sql, "exact", 2, { exact: true, ceiling: 9n })).toBeNull();
  expect(await takeNumbers(db.sql, "exact", 2, { exact: true })).toEqual({ first: 9n, last: 10n });
});

test("the counter runs to 2^63 - 1 without overflowing", async () => {
  await defineCounter(db.sql, { name: "top", start: UNLIMITED - 3n, mode: "prefetch" });
  expect(await takeNumbers(db.sql, "top", 100)).toEqual({ first: UNLIMITED - 3n, last: UNLIMITED });
  expect(await takeNumbers(db.sql, "top", 100)).toBeNull();
  expect(await takeNumbers(db.sql, "top", 1, { exact: true })).toBeNull();
});

test("redefining a counter never moves it back, and a higher start moves it forward", async () => {
  await defineCounter(db.sql, { name: "moved", start: 1n, mode: "prefetch" });
  await takeNumbers(db.sql, "moved", 50);
  await defineCounter(db.sql, { name: "moved", start: 1n, mode: "strict" });
  expect(await readCounter(db.sql, "moved")).toMatchObject({ lastValue: 50n, mode: "strict" });
  await defineCounter(db.sql, { name: "moved", start: 1000n, mode: "prefetch" });
  expect((await readCounter(db.sql, "moved"))!.lastValue).toBe(999n);
});

test("concurrent Counters on one database: every number once, per-counter increasing", async () => {
  await defineCounter(db.sql, { name: "shared", start: 1n, mode: "prefetch" });
  const pods = [0, 1, 2, 3].map(() => counter("shared", { min: 7, max: 50 }));
  await Promise.all(pods.map((pod) => pod.start()));
  const seen: bigint[][] = pods.map(() => []);
  const nexts: bigint[][] = pods.map(() => []);
  await Promise.all(pods.map(async (pod, i) => {
    for (let n = 0; n < 500; n++) {
      if (n % 50 === 49) {
        const range = await pod.range(13, SAFE);
        if ("error" in range) throw new Error(range.error);
        for (let v = range.first; v <= range.last; v++) seen[i]!.push(v);
      } else {
        const result = await pod.next(SAFE);
        if (!("value" in result)) throw new Error(result.error);
        seen[i]!.push(result.value);
        nexts[i]!.push(result.value);
      }
      if (n % 10 === 0) await Bun.sleep(0);
    }
  }));
  const all = seen.flat();
  expect(new Set(all).size).toBe(all.length);
  // Per pod, /next answers increase (ranges taken straight from the counter may sit above them).
  for (const mine of nexts) expect(mine.every((v, n) => n === 0 || v > mine[n - 1]!)).toBe(true);
  const last = (await readCounter(db.sql, "shared"))!.lastValue;
  expect(all.every((v) => v >= 1n && v <= last)).toBe(true);
});

test("the double buffer: the next block is taken when a fifth is used, and the size follows the rate", async () => {
  await defineCounter(db.sql, { name: "buffered", start: 1n, mode: "prefetch" });
  const pod = counter("buffered", { min: 100, max: 100_000 });
  await pod.start();
  expect(pod.buffered).toBe(100n);
  for (let n = 0; n < 20; n++) pod.takeBuffered(SAFE);
  await Bun.sleep(50);
  expect(pod.buffered).toBe(80n); // no take yet: a fifth used, not more
  pod.takeBuffered(SAFE);
  await Bun.sleep(100);
  // 21 used in well under a second: the rate asks for more than the maximum growth (×4).
  expect(pod.blockSize).toBe(400);
  expect(pod.buffered).toBe(79n + 400n);
  // Every number of both blocks comes out without waiting, in order.
  const values: bigint[] = [];
  for (let value = pod.takeBuffered(SAFE); value !== undefined && values.length < 480; value = pod.takeBuffered(SAFE)) values.push(value);
  expect(values[0]).toBe(22n);
  expect(values.every((v, i) => i === 0 || v === values[i - 1]! + 1n)).toBe(true);
  await pod.close();
});

test("close gives the unused numbers back when nobody took any since, and loses them otherwise", async () => {
  await defineCounter(db.sql, { name: "returned", start: 1n, mode: "prefetch" });
  const pod = counter("returned", { min: 100 });
  await pod.start();
  for (let n = 0; n < 10; n++) pod.takeBuffered(SAFE);
  expect(await pod.close()).toEqual({ returned: 90n, lost: 0n });
  expect((await readCounter(db.sql, "returned"))!.lastValue).toBe(10n);

  const first = counter("returned", { min: 100 });
  await first.start(); // 11..110
  const other = counter("returned", { min: 100 });
  await other.start(); // 111..210: the counter has moved on
  first.takeBuffered(SAFE);
  expect(await first.close()).toEqual({ returned: 0n, lost: 99n });
  expect(await other.close()).toEqual({ returned: 100n, lost: 0n });
  expect((await readCounter(db.sql, "returned"))!.lastValue).toBe(110n);
});

test("strict mode: each number is above every number handed out before, by any counter object", async () => {
  await defineCounter(db.sql, { name: "strict", start: 1n, mode: "strict" });
  const pods = [0, 1, 2].map(() => counter("strict", { mode: "strict" }));
  await Promise.all(pods.map((pod) => pod.start()));
  let previous = 0n;
  for (let n = 0; n < 60; n++) {
    const result = await pods[n % 3]!.next(SAFE);
    if (!("value" in result)) throw new Error(result.error);
    expect(result.value).toBeGreaterThan(previous);
    previous = result.value;
  }
  expect(pods[0]!.buffered).toBe(0n);
});

test("next and range refuse numbers past 2^53 - 1 without using them up", async () => {
  await defineCounter(db.sql, { name: "unsafe", start: SAFE, mode: "prefetch" });
  const pod = counter("unsafe", { min: 10 });
  await pod.start();
  expect(await pod.next(SAFE)).toEqual({ value: SAFE });
  expect(await pod.next(SAFE)).toEqual({ error: "unsafe" });
  expect(await pod.next(UNLIMITED)).toEqual({ value: SAFE + 1n });
  expect(await pod.range(100, SAFE)).toEqual({ error: "unsafe" });
  expect(await pod.range(2, UNLIMITED)).toEqual({ first: SAFE + 2n, last: SAFE + 3n });
});
