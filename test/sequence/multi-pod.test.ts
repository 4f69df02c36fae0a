// Three service processes on one database hammered with /next and /range at once, as pods behind a load
// balancer: every number handed out once, every range contiguous, each client's /next answers increasing per
// pod; a strict counter increases across pods; on SIGTERM the pods give back everything they hold (to the
// counter row, or to counter_returned), so every number below the counter's position is handed out or returned.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readCounter, readReturned } from "../../src/sequence/queries";
import { testDatabase, type TestDatabase } from "../support/database";
import { explainFailure, killAll, startPod, startPods, tempFile, type ServiceProcess } from "../support/processes";

// Small blocks, so the load runs through many block takes (and the adaptive size through its range).
const CONFIG = `id_generator:
  id_types:
    farmer:
      id_length: 12
sequences:
  block_min: 20
  block_max: 2000
  counters:
    orders:
      start: 1000
    strict_one:
      mode: strict
`;

const configFile = tempFile("config.yaml", CONFIG);
let db: TestDatabase;
const pods: ServiceProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  db = await testDatabase();
  const started = await startPods(3, { env: { CONFIG_PATH: configFile.path, DATABASE_URL: db.url, PORT: "0" }, label: "seq", timeoutMs: 120_000 });
  pods.push(...started.pods);
  urls.push(...started.urls);
}, 60_000);

afterAll(async () => {
  await killAll();
  await db?.drop();
  configFile.remove();
});

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

test("concurrent /next and /range on three pods: every number once, ranges contiguous, increasing per pod", async () => {
  await explainFailure(() => pods, async () => {
    const counters = ["", "/counters/orders"];
    const handed: Record<string, number[]> = { "": [], "/counters/orders": [] };
    let ranges = 0;
    await Promise.all(
      Array.from({ length: 48 }, async (_, client) => {
        const pod = client % 3;
        const prefix = counters[client % 2]!;
        let previous = -1;
        for (let n = 0; n < 150; n++) {
          if (n % 10 === 9) {
            const count = 1 + ((client * 31 + n) % 400);
            const { status, body } = await getJson(`${urls[pod]}${prefix}/range?count=${count}`);
            expect(status).toBe(200);
            const values = body as number[];
            expect(values.length).toBe(count);
            expect(values.every((v, i) => i === 0 || v === values[i - 1]! + 1)).toBe(true);
            handed[prefix]!.push(...values);
            ranges++;
          } else {
            const { status, body } = await getJson(`${urls[pod]}${prefix}/next`);
            expect(status).toBe(200);
            expect(typeof body).toBe("number");
            // One client talks to one pod, one request at a time: its /next answers increase.
            expect(body as number).toBeGreaterThan(previous);
            previous = body as number;
            handed[prefix]!.push(body as number);
          }
        }
      }),
    );
    for (const [prefix, values] of Object.entries(handed)) {
      expect(new Set(values).size).toBe(values.length);
      expect(Math.min(...values)).toBe(prefix === "" ? 1 : 1000);
    }
    const total = handed[""]!.length + handed["/counters/orders"]!.length;
    console.info(`3 pods, 48 clients: ${total} numbers (${ranges} ranges), 0 duplicates`);
    expect(total).toBeGreaterThan(20_000);
    handedOut.push(...handed[""]!);
  });
}, 120_000);

test("a strict counter increases across pods, and stays unique under concurrent load", async () => {
  await explainFailure(() => pods, async () => {
    let previous = 0;
    const ordered: number[] = [];
    for (let n = 0; n < 90; n++) {
      const { status, body } = await getJson(`${urls[n % 3]}/counters/strict_one/next`);
      expect(status).toBe(200);
      expect(body as number).toBeGreaterThan(previous);
      previous = body as number;
      ordered.push(previous);
    }
    const concurrent = await Promise.all(
      Array.from({ length: 300 }, (_, n) => getJson(`${urls[n % 3]}/counters/strict_one/${n % 5 === 0 ? "range?count=3" : "next"}`)),
    );
    const values = concurrent.flatMap(({ status, body }) => (expect(status).toBe(200), Array.isArray(body) ? (body as number[]) : [body as number]));
    const all = [...ordered, ...values];
    expect(new Set(all).size).toBe(all.length);
    // Strict counters hold no block: nothing in memory to lose, so no gaps at all.
    expect(Math.max(...all)).toBe(all.length);
  });
}, 60_000);

const handedOut: number[] = [];

/** Every number in counter_returned for `name`, ascending. */
async function returnedNumbers(name: string): Promise<number[]> {
  return (await readReturned(db.sql, name)).flatMap((range) => Array.from({ length: Number(range.last - range.first) + 1 }, (_, n) => Number(range.first) + n));
}

/** Numbers 1..last_value of the default counter neither handed out nor returned (after graceful stops: none). */
async function expectNoGap(handed: number[]): Promise<number[]> {
  const state = (await readCounter(db.sql, "default"))!;
  const returned = await returnedNumbers("default");
  const all = [...handed, ...returned];
  // Returned numbers were never handed out: the two sets are disjoint, and together they are the whole span.
  expect(new Set(all).size).toBe(all.length);
  expect(all.every((value) => value >= 1 && value <= Number(state.lastValue))).toBe(true);
  expect(all.length).toBe(Number(state.lastValue));
  return returned;
}

test("SIGTERM: pods give back what they hold, to the counter or to counter_returned; nothing is lost", async () => {
  await explainFailure(() => pods, async () => {
    let returned = 0;
    let recorded = 0;
    for (const pod of pods) {
      pod.signal("SIGTERM");
      expect(await pod.waitForExit(10_000)).toBe(0);
      const line = pod.logs.find((entry) => entry.msg === "counter numbers given back")!;
      expect(line).toBeDefined();
      expect(Number(line.lost)).toBe(0);
      returned += Number(line.returned);
      recorded += Number(line.recorded);
    }
    expect(returned + recorded).toBeGreaterThan(0);
    const waiting = await expectNoGap(handedOut);
    console.info(`SIGTERM of 3 pods: ${returned} numbers given back to the counters, ${recorded} recorded in counter_returned, 0 lost; default counter: ${handedOut.length} handed out + ${waiting.length} returned = its whole span`);
  });
}, 60_000);

test("a pod started after the stops hands out the returned numbers first, and its SIGTERM loses nothing", async () => {
  const before = await returnedNumbers("default");
  const { pod, url } = await startPod({ env: { CONFIG_PATH: configFile.path, DATABASE_URL: db.url, PORT: "0" }, label: "seq-after", timeoutMs: 60_000 });
  await explainFailure(() => [pod], async () => {
    const mine: number[] = [];
    for (let n = 0; n < 5; n++) mine.push((await getJson(`${url}/next`)).body as number);
    // A fresh pod may take any returned range: it takes the lowest first.
    expect(mine).toEqual(before.slice(0, 5));
    pod.signal("SIGTERM");
    expect(await pod.waitForExit(10_000)).toBe(0);
    const line = pod.logs.find((entry) => entry.msg === "counter numbers given back")!;
    expect(Number(line.lost)).toBe(0);
    handedOut.push(...mine);
    await expectNoGap(handedOut);
  });
}, 60_000);
