// The database goes away under load. Two service processes on a PostgreSQL cluster this test starts itself
// (never the machine's shared server): a restart mid-load, then a 30 s outage. Pods keep serving from their
// buffers; once a buffer is empty its pod answers 503 IDG-001 in the envelope, never a 500 or a hang; liveness
// stays up, readiness goes down and comes back; normal service within 2 s of the database's return. No ID is
// issued twice, and every 200 carries a valid ID.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRules, type Rules } from "../../wasm/index.js";
import { OwnCluster } from "../support/own-cluster";
import { explainFailure, killAll, startPods, tempFile, type ServiceProcess } from "../support/processes";

const OUTAGE_SECONDS = Number(process.env.IDGEN_TEST_OUTAGE_SECONDS ?? 30);
const BUFFER_SIZE = 2000;
const CONFIG = `id_generator:
  pool_min_threshold: 10000
  pool_generation_batch_size: 20000
  pool_check_interval_seconds: 2
  id_types:
    farmer:
      id_length: 12
      buffer_size: ${BUFFER_SIZE}
      buffer_low_water: 600
`;

const configFile = tempFile("config.yaml", CONFIG);
let cluster: OwnCluster;
let rules: Rules;
const pods: ServiceProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  rules = await createRules({ id_length: 12 });
  cluster = await OwnCluster.start("outage");
  // Audit off: this file is about riding an outage on the buffers, which an audited pod cannot do (an ID is
  // handed out only once its record has committed). The audited pod's outage: test/accountability/outage.test.ts.
  const started = await startPods(2, { env: { CONFIG_PATH: configFile.path, DATABASE_URL: cluster.url, PORT: "0", IDGEN_AUDIT: "off" }, label: "outage", timeoutMs: 240_000 });
  pods.push(...started.pods);
  urls.push(...started.urls);
}, 120_000);

afterAll(async () => {
  await killAll();
  await cluster?.remove();
  configFile.remove();
});

/** The same cluster again, on the same port and data (the pods' DATABASE_URL stays right). */
async function restartCluster(downMs: number): Promise<number> {
  await cluster.stop();
  await Bun.sleep(downMs);
  await cluster.start();
  expect(new URL(cluster.url).port).toBe(String(cluster.port));
  return performance.now();
}

interface Answer {
  at: number;
  pod: number;
  status: number;
  id?: string;
  errorCode?: string;
  /** Body problems: not the envelope, a stack trace, SQL. */
  problem?: string;
}

/** One issue request with a 5 s limit: a hang is an answer too (status 0). */
async function issue(pod: number): Promise<Answer> {
  const at = performance.now();
  try {
    const res = await fetch(`${urls[pod]}/v1/idgenerator/farmer/id`, { method: "POST", signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    const body = JSON.parse(text) as { id?: string; response: { id: string } | null; errors: { errorCode: string; message: string }[] };
    const problem =
      body.id !== "openg2p.idgenerator" ? "not the envelope" : /\bat .+:\d+|select |insert |postgres/i.test(text) ? `leaks internals: ${text}` : undefined;
    if (res.status === 200) return { at, pod, status: 200, id: body.response!.id, problem };
    return { at, pod, status: res.status, errorCode: body.errors[0]?.errorCode, problem };
  } catch (error) {
    return { at, pod, status: 0, problem: String(error) };
  }
}

async function probe(pod: number, path: "/livez" | "/readyz"): Promise<number> {
  try {
    return (await fetch(`${urls[pod]}${path}`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

/** Clients issuing on both pods until stop() (each pauses `pauseMs` between requests). */
function load(clients: number, pauseMs: number) {
  const answers: Answer[] = [];
  let running = true;
  const done = Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const pod = client % 2;
      while (running) {
        answers.push(await issue(pod));
        await Bun.sleep(pauseMs);
      }
    }),
  );
  return { answers, stop: async () => ((running = false), await done) };
}

function checkAnswers(answers: Answer[]) {
  expect(answers.filter((a) => a.problem !== undefined).slice(0, 5)).toEqual([]);
  expect(answers.filter((a) => a.status !== 200 && !(a.status === 503 && a.errorCode === "IDG-001")).slice(0, 5)).toEqual([]);
  const ids = answers.flatMap((a) => (a.id ? [a.id] : []));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.filter((id) => !rules.validate(id).valid)).toEqual([]);
  return ids;
}

const issuedEver: string[] = [];

test("a PostgreSQL restart mid-load: no error, no duplicate", async () => {
  await explainFailure(() => pods, async () => {
    // Both pods serving first: on a loaded machine the first refill can take longer than the 2 s of load
    // before the restart, and the test would then measure start-up, not a restart under load.
    for (const pod of [0, 1]) {
      const started = performance.now();
      while ((await issue(pod)).status !== 200) {
        if (performance.now() - started > 30_000) throw new Error(`pod ${pod} issued nothing in 30 s`);
        await Bun.sleep(100);
      }
    }
    const traffic = load(20, 5);
    await Bun.sleep(2000);
    const stoppedAt = performance.now();
    await restartCluster(200);
    const restartedAt = performance.now();
    await Bun.sleep(3000);
    await traffic.stop();
    const ids = checkAnswers(traffic.answers);
    // The load was real on both sides of the restart (a count, not a rate: these cores are often shared).
    expect(traffic.answers.some((a) => a.id !== undefined && a.at < stoppedAt)).toBe(true);
    expect(traffic.answers.some((a) => a.id !== undefined && a.at > restartedAt)).toBe(true);
    issuedEver.push(...ids);
    // Back to normal: both pods issue.
    for (const pod of [0, 1]) expect((await issue(pod)).status).toBe(200);
    console.info(`restart: ${traffic.answers.length} answers, ${ids.length} IDs, ${traffic.answers.filter((a) => a.status === 503).length} × 503`);
  });
}, 60_000);

test(`PostgreSQL stopped for ${OUTAGE_SECONDS} s: buffers serve, then 503 in the envelope; liveness up, readiness down and back; service within 2 s of its return`, async () => {
  await explainFailure(() => pods, async () => {
    const traffic = load(10, 10);
    await Bun.sleep(1000);
    const downAt = performance.now();
    await cluster.stop();
    const probes: { at: number; pod: number; live: number; ready: number }[] = [];
    const probing = (async () => {
      while (performance.now() - downAt < OUTAGE_SECONDS * 1000) {
        for (const pod of [0, 1]) probes.push({ at: performance.now(), pod, live: await probe(pod, "/livez"), ready: await probe(pod, "/readyz") });
        await Bun.sleep(500);
      }
    })();
    await probing;
    await cluster.start();
    const upAt = performance.now();
    // Each pod serves again, and says it is ready, within 2 s of the database's return.
    const recovered = await Promise.all(
      [0, 1].map(async (pod) => {
        for (;;) {
          const answer = await issue(pod);
          if (answer.status === 200) {
            issuedEver.push(answer.id!);
            return performance.now() - upAt;
          }
          if (performance.now() - upAt > 10_000) return Infinity;
          await Bun.sleep(50);
        }
      }),
    );
    await Bun.sleep(1000);
    await traffic.stop();
    const ids = checkAnswers(traffic.answers);
    issuedEver.push(...ids);

    const during = traffic.answers.filter((a) => a.at > downAt && a.at < upAt);
    const served = during.filter((a) => a.status === 200).length;
    const refused = during.filter((a) => a.status === 503).length;
    expect(served).toBeGreaterThan(0); // the buffers carried on
    expect(refused).toBeGreaterThan(0); // and ran dry: 503, not a hang
    expect(probes.every((p) => p.live === 200)).toBe(true);
    for (const pod of [0, 1]) {
      const mine = probes.filter((p) => p.pod === pod);
      expect(mine.some((p) => p.ready === 503)).toBe(true);
    }
    expect(Math.max(...recovered)).toBeLessThan(2000);
    for (const pod of [0, 1]) expect(await probe(pod, "/readyz")).toBe(200);
    // Slowest answer during the outage: no request hung (5 s would have been a client timeout, status 0).
    console.info(
      `outage ${OUTAGE_SECONDS} s: ${served} served from buffers, ${refused} × 503 while down; back in ${recovered.map((ms) => Math.round(ms)).join(" / ")} ms`,
    );
    expect(new Set(issuedEver).size).toBe(issuedEver.length);
  });
}, 120_000);
