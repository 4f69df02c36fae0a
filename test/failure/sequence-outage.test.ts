// The database goes away while pods hand out counter numbers. Two service processes on a PostgreSQL cluster
// this test starts itself (never the machine's shared server). An outage shorter than what the pods hold in
// their double buffers is invisible to /next clients: every answer a 200, no number twice, each client's
// answers increasing. /range that does not fit in a block needs the database: 503 SEQ-005 while it is down.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { OwnCluster } from "../support/own-cluster";
import { explainFailure, killAll, startPods, tempFile, type ServiceProcess } from "../support/processes";

const OUTAGE_SECONDS = Number(process.env.IDGEN_TEST_SEQ_OUTAGE_SECONDS ?? 4);
// About 400 numbers/s per pod below: blocks of at least 10,000 hold 20+ s of it, so the outage fits.
const CONFIG = `id_generator:
  id_types:
    farmer:
      id_length: 12
sequences:
  block_min: 10000
  block_max: 100000
`;

const configFile = tempFile("config.yaml", CONFIG);
let cluster: OwnCluster;
const pods: ServiceProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  cluster = await OwnCluster.start("seq-outage");
  const started = await startPods(2, { env: { CONFIG_PATH: configFile.path, DATABASE_URL: cluster.url, PORT: "0" }, label: "seq-outage", timeoutMs: 180_000 });
  pods.push(...started.pods);
  urls.push(...started.urls);
}, 120_000);

afterAll(async () => {
  await killAll();
  await cluster?.remove();
  configFile.remove();
});

interface Answer {
  at: number;
  client: number;
  status: number;
  value?: number;
  code?: string;
}

async function next(client: number, path = "/next"): Promise<Answer> {
  const at = performance.now();
  try {
    const res = await fetch(`${urls[client % 2]}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as number | { code: string };
    return typeof body === "number" ? { at, client, status: res.status, value: body } : { at, client, status: res.status, code: body.code };
  } catch (error) {
    return { at, client, status: 0, code: String(error) };
  }
}

/** Clients asking /next on both pods until stop(), each pausing `pauseMs` between requests. */
function load(clients: number, pauseMs: number) {
  const answers: Answer[] = [];
  let running = true;
  const done = Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (running) {
        answers.push(await next(client));
        await Bun.sleep(pauseMs);
      }
    }),
  );
  return { answers, stop: async () => ((running = false), await done) };
}

function checkAllServed(answers: Answer[]): number[] {
  expect(answers.filter((a) => a.status !== 200).slice(0, 5)).toEqual([]);
  const values = answers.map((a) => a.value!);
  expect(new Set(values).size).toBe(values.length);
  for (let client = 0; client < 10; client++) {
    const mine = answers.filter((a) => a.client === client).map((a) => a.value!);
    expect(mine.every((v, i) => i === 0 || v > mine[i - 1]!)).toBe(true);
  }
  return values;
}

const everything: number[] = [];

test(`PostgreSQL down for ${OUTAGE_SECONDS} s, less than the pods' buffers: /next clients see nothing`, async () => {
  await explainFailure(() => pods, async () => {
    const traffic = load(10, 5);
    await Bun.sleep(2000); // blocks sized to the traffic, the next one queued
    await cluster.stop();
    const downAt = performance.now();
    // /range larger than a block needs the counter itself: refused with 503 SEQ-005, at once, not a hang.
    const range = await fetch(`${urls[0]}/range?count=100000`, { signal: AbortSignal.timeout(5000) });
    expect(range.status).toBe(503);
    expect(((await range.json()) as { code: string }).code).toBe("SEQ-005");
    expect(range.headers.get("retry-after")).toBe("1");
    await Bun.sleep(OUTAGE_SECONDS * 1000 - (performance.now() - downAt));
    await cluster.start();
    const upAt = performance.now();
    await Bun.sleep(2000);
    await traffic.stop();
    const values = checkAllServed(traffic.answers);
    const during = traffic.answers.filter((a) => a.at > downAt && a.at < upAt).length;
    expect(during).toBeGreaterThan(500);
    everything.push(...values);
    console.info(`outage ${OUTAGE_SECONDS} s: ${traffic.answers.length} answers, ${during} while the database was down, all 200, 0 duplicates`);
  });
}, 60_000);

test("a PostgreSQL restart mid-load: no error, no duplicate, and blocks are taken again after it", async () => {
  await explainFailure(() => pods, async () => {
    const traffic = load(10, 2);
    await Bun.sleep(1000);
    await cluster.stop();
    await Bun.sleep(200);
    await cluster.start();
    await Bun.sleep(2000);
    // A range straight from the counter works again.
    const range = await fetch(`${urls[1]}/range?count=100000`);
    expect(range.status).toBe(200);
    await traffic.stop();
    everything.push(...checkAllServed(traffic.answers), ...((await range.json()) as number[]));
    expect(new Set(everything).size).toBe(everything.length);
  });
}, 60_000);
