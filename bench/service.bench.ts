// The service under load, every figure beside a trivial Hono-on-Bun handler measured in the same rounds.
// `npm run bench` (full, about 22 minutes) or `npm run bench:quick` (under 2 minutes; proves the harness works,
// says nothing about speed). Writes bench/results/<date>.json, bench/results/<date>.svg and bench/RESULTS.md
// (quick mode: to RESULTS_DIR, default a temporary folder). BENCH_NOTE adds a line on the run's conditions to the
// report. DATABASE_URL names the PostgreSQL server (default 127.0.0.1:5432); each section gets fresh databases.
// What it measures, in order:
//   1. HTTP scenarios with wrk (the k6 scenarios of bench/k6/, same paths and bodies) against the service, each
//      run between two runs of the ceiling, the order rotated each round; endpoints this build lacks are probed
//      and reported as skipped.
//   2. What hand-checking the issue route's parameter would gain over zod-openapi validation (one process).
//   3. Issuance with 1, 2 and 3 pods on one database, memory per pod under load.
//   4. Issuance after 1M and 5M IDs issued, against a fresh pool.
//   5. Refill and claim rates into PostgreSQL (bench/refill.bench.ts), and the rules engine's micro-benchmarks.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createRules } from "../wasm/index.js";
import { benchDatabase, withoutRegistryKey, type BenchDatabase } from "./lib/bench-db";
import { IMAGE_RUNTIME_ENV } from "./lib/image-env";
import { cpuProbe, machine } from "./lib/measure.js";
import { startServer, type Server } from "./lib/procs";
import { runRefillBench } from "./refill.bench";
import { writeReport } from "./lib/service-report";
import { median } from "./lib/stats";
import { ensureWrk, runWrk, type WrkRequest, type WrkResult } from "./lib/wrk";

const ROOT = resolve(import.meta.dir, "..");
const QUICK = process.env.QUICK === "1" || process.argv.includes("--quick");
const S = QUICK
  ? { seconds: 1, rounds: 1, scenarioRounds: 1, connections: 50, pods: [1, 2], issuedAfter: [0, 100_000], refillRounds: 1, refillBatch: 20_000, poolThreshold: 20_000, poolBatch: 40_000 }
  : { seconds: 8, rounds: 3, scenarioRounds: 5, connections: 50, pods: [1, 2, 3], issuedAfter: [0, 1_000_000, 5_000_000], refillRounds: 5, refillBatch: 100_000, poolThreshold: 100_000, poolBatch: 200_000 };
const RESULTS_DIR = process.env.RESULTS_DIR ?? (QUICK ? mkdtempSync(join(tmpdir(), "idgen-bench-quick-")) : join(ROOT, "bench/results"));
const REPORT_FILE = process.env.REPORT_FILE ?? (QUICK ? join(RESULTS_DIR, "RESULTS.md") : join(ROOT, "bench/RESULTS.md"));
const TYPE = "bench";
const log = (message: string) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}`);

const started = performance.now();
const wrk = ensureWrk(log);
const rules = await createRules({ id_length: 10 });
const machineInfo = { ...machine(), loadBefore: loadavg(), cpuProbeMsBefore: cpuProbe() };
log(`machine: ${machineInfo.cores} cores, ${machineInfo.cpu}, load ${machineInfo.loadBefore.map((n) => n.toFixed(2)).join(" ")}, probe ${machineInfo.cpuProbeMsBefore} ms`);

const configDir = mkdtempSync(join(tmpdir(), "idgen-bench-config-"));
const configPath = join(configDir, "config.yaml");
writeFileSync(configPath, `id_generator:
  pool_min_threshold: ${S.poolThreshold}
  pool_generation_batch_size: ${S.poolBatch}
  id_types:
    ${TYPE}:
      id_length: 10
`);
// The same type with its pool filled before the measurements, enough for every round, and a threshold that no
// round reaches: issuance with no refill underneath, to tell the request path's cost from the refill's.
const prefilledPath = join(configDir, "prefilled.yaml");
const PREFILL = S.scenarioRounds * S.seconds * 120_000 + 200_000;
writeFileSync(prefilledPath, `id_generator:
  pool_min_threshold: 1000
  pool_generation_batch_size: ${PREFILL}
  id_types:
    ${TYPE}:
      id_length: 10
`);
// The audit (issue 5) puts a database commit under every issuance; the pool's own cost (issue 3's targets) is
// measured with it off, and issuance with it on (the default) is measured beside it in the same rounds.
// The service runs as the container image runs it (IMAGE_RUNTIME_ENV: the allocator's setting, measured by
// bench/memory.bench.ts).
const serviceEnv = (db: BenchDatabase, audit = false, extra: Record<string, string> = {}) => ({ ...IMAGE_RUNTIME_ENV, CONFIG_PATH: configPath, DATABASE_URL: db.url, PORT: "0", LOG_LEVEL: "info", IDGEN_AUDIT: audit ? "on" : "off", ...extra });

const databases: BenchDatabase[] = [];
const servers: Server[] = [];
async function newDatabase(label: string) {
  const db = await benchDatabase(label);
  databases.push(db);
  return db;
}
async function newServer(label: string, script: string, env: Record<string, string>) {
  const server = await startServer(label, script, env);
  servers.push(server);
  return server;
}

/** Waits until the service issues IDs (its first refill has landed), then warms it up for a second. */
async function warm(server: Server, path = `/v1/idgenerator/${TYPE}/id`) {
  for (let tries = 0; ; tries++) {
    const res = await fetch(server.url + path, { method: "POST" });
    await res.arrayBuffer();
    if (res.status === 200) break;
    if (tries > 600) throw new Error(`${server.label} never issued an ID (last status ${res.status})`);
    await Bun.sleep(100);
  }
  if (!QUICK) await runWrk({ wrk, baseUrl: server.url, requests: [{ method: "POST", path }], seconds: 1, connections: S.connections });
}

interface Scenario {
  name: string;
  /** What k6 script of bench/k6/ runs the same requests. */
  k6: string;
  requests: WrkRequest[];
  /** IDs per request, for IDs/s. */
  idsPerRequest?: number;
  /** The request that tells whether this build has the endpoint. */
  probe: WrkRequest;
}

const validIds = rules.generate(8);
const invalidIds = validIds.slice(0, 2).map((id) => id.slice(0, -1) + String((Number(id.at(-1)) + 1) % 10));
const issue: WrkRequest = { method: "POST", path: `/v1/idgenerator/${TYPE}/id` };
const batch: WrkRequest = { method: "POST", path: `/v1/idgenerator/${TYPE}/ids`, body: JSON.stringify({ count: 100 }) };
const validate = [...validIds, ...invalidIds].map((id): WrkRequest => ({ method: "GET", path: `/v1/idgenerator/${TYPE}/id/validate/${id}` }));
const next: WrkRequest = { method: "GET", path: "/next" };
const range: WrkRequest = { method: "GET", path: "/range?count=100" };
// "issue" (issue 3's target row) runs against a service of its own, on a database only its own issuance grows:
// the others share one service and database, where the batch and mixed scenarios register millions of IDs (about
// 15M by the end of the run of 2026-12-07 07:20, from its request counts: batch 8M, mixed about 7M), and every
// refill's database work per ID grows with the registry
// (bench/results/registry-latest.md). That growth has its own target and section (issuance after 5M IDs issued);
// measured on the shared registry, the issue row mixed the two. The row "issue, on the registry the batch and
// mixed scenarios grow" is the issue row as measured until 2026-12-07, kept beside it.
const SCENARIOS: Scenario[] = [
  { name: "issue", k6: "issue.js", requests: [issue], idsPerRequest: 1, probe: issue },
  { name: "batch issue (100)", k6: "batch.js", requests: [batch], idsPerRequest: 100, probe: batch },
  { name: "validate", k6: "validate.js", requests: validate, probe: validate[0]! },
  { name: "/next", k6: "next.js", requests: [next], idsPerRequest: 1, probe: next },
  { name: "/range (100)", k6: "range.js", requests: [range], idsPerRequest: 100, probe: range },
];

/** Present when the probe answers 2xx; absent on 404/405 (an endpoint of a branch not merged yet). */
async function probe(server: Server, request: WrkRequest): Promise<boolean> {
  const res = await fetch(server.url + request.path, { method: request.method, body: request.body, headers: request.body ? { "content-type": "application/json" } : {} });
  await res.arrayBuffer();
  if (res.ok) return true;
  if (res.status === 404 || res.status === 405) return false;
  throw new Error(`probe of ${request.method} ${request.path} answered ${res.status}`);
}

/** `around`: per round, the ceiling as measured just before and just after this series' run (their mean), what
 * its ratios are taken against when present; absent, the ceiling series' run of the same round. */
type Series = { name: string; k6?: string; target: string; status: string; idsPerRequest?: number; rounds: WrkResult[]; around?: WrkResult[] };
const summarizeSeries = (series: Series, ceiling?: Series) => {
  const rps = median(series.rounds.map((r) => r.requestsPerSecond));
  const reference = series.around ?? (ceiling && ceiling.rounds.length === series.rounds.length ? ceiling.rounds : undefined);
  const paired = (pick: (r: WrkResult) => number) =>
    ceiling && reference ? median(series.rounds.map((r, i) => pick(r) / pick(reference[i]!))) : undefined;
  return {
    ...series,
    requestsPerSecond: rps,
    idsPerSecond: series.idsPerRequest ? rps * series.idsPerRequest : undefined,
    p50Ms: median(series.rounds.map((r) => r.p50Ms)),
    p99Ms: median(series.rounds.map((r) => r.p99Ms)),
    errors: series.rounds.reduce((sum, r) => sum + r.errors, 0),
    ratioToCeiling: ceiling && series !== ceiling ? paired((r) => r.requestsPerSecond) : undefined,
    p99RatioToCeiling: ceiling && series !== ceiling ? paired((r) => r.p99Ms) : undefined,
  };
};

const measure = (server: Server, requests: WrkRequest[], seconds = S.seconds, connections = S.connections) =>
  runWrk({ wrk, baseUrl: server.url, requests, seconds, connections });

try {
  // 1. Scenarios against the service and the ceiling, interleaved.
  const mainDb = await newDatabase("main");
  const issueDb = await newDatabase("issue");
  const auditedDb = await newDatabase("audited");
  const loopDb = await newDatabase("loop");
  const prefilledDb = await newDatabase("prefilled");
  const honoDb = await newDatabase("hono");
  const [service, issuer, audited, onLoop, prefilled, honoOnly, ceiling] = await Promise.all([
    newServer("service", "src/main.ts", serviceEnv(mainDb)),
    // The issue scenario's own service and database (see SCENARIOS).
    newServer("issue", "src/main.ts", serviceEnv(issueDb)),
    newServer("audited", "src/main.ts", serviceEnv(auditedDb, true)),
    // Refills on the event loop, as before the refill thread (src/pool/refill-thread.ts), for comparison.
    newServer("refills on the event loop", "src/main.ts", serviceEnv(loopDb, false, { IDGEN_ID_GENERATOR__REFILL_IN_WORKER: "false" })),
    newServer("prefilled", "src/main.ts", { ...serviceEnv(prefilledDb), CONFIG_PATH: prefilledPath }),
    // Every request through Hono, none through Bun's router (src/http/lane.ts), for comparison.
    newServer("lanes off", "src/main.ts", serviceEnv(honoDb, false, { IDGEN_HTTP_LANES: "off" })),
    newServer("ceiling", "bench/servers/ceiling.ts", { PORT: "0" }),
  ]);
  await Promise.all([warm(service), warm(issuer), warm(audited), warm(onLoop), warm(honoOnly), warm(ceiling)]);
  for (let waited = 0; ; waited++) {
    const [row] = await prefilledDb.sql<{ available: number }[]>`select coalesce(sum(size), 0)::int as available from pool_chunk`;
    if (row!.available >= PREFILL - 2000) break;
    if (waited > 1200) throw new Error(`the prefilled pool reached only ${row!.available} of ${PREFILL} IDs in 2 minutes`);
    await Bun.sleep(100);
  }
  await warm(prefilled);
  log(`prefilled pool: ${PREFILL} IDs`);
  // Issuance by the other services, each measured in every round beside the main one.
  const issueSeries = (name: string, target: string): Series => ({ name, k6: "issue.js", target, status: "measured", idsPerRequest: 1, rounds: [] });
  const issueVariants: [Series, Server][] = [
    [issueSeries("issue, audit on (the default)", "audited"), audited],
    [issueSeries("issue, refills on the event loop (refill_in_worker: false)", "refills on the event loop"), onLoop],
    [issueSeries("issue, pool filled beforehand (no refill underneath)", "prefilled"), prefilled],
    [issueSeries("issue, lanes off (IDGEN_HTTP_LANES=off: every request through Hono)", "lanes off"), honoOnly],
    [issueSeries("issue, on the registry the batch and mixed scenarios grow (the issue row until 2026-12-07)", "service"), service],
  ];
  const ceilingIssue: Series = { name: "ceiling: trivial Hono handler", target: "ceiling", status: "measured", rounds: [] };
  const scenarioSeries: Series[] = [];
  for (const scenario of SCENARIOS) {
    const present = await probe(service, scenario.probe);
    scenarioSeries.push({ name: scenario.name, k6: scenario.k6, target: "service", status: present ? "measured" : "skipped: endpoint absent", idsPerRequest: scenario.idsPerRequest, rounds: [] });
  }
  const mixed: WrkRequest[] = [issue, issue, issue, issue, issue, issue, validate[0]!, validate[1]!, validate[8]!, { method: "GET", path: "/v1/idgenerator/config" }];
  if (scenarioSeries[1]!.status === "measured") mixed.push(batch);
  if (scenarioSeries[3]!.status === "measured") mixed.push(next);
  const mixedSeries: Series = { name: "mixed registry day", k6: "registry-day.js", target: "service", status: "measured", rounds: [] };
  // Every run sits between two runs of the ceiling (C S1 C S2 C ... per round) and is compared with their mean,
  // and the order rotates each round: on these machines the speed drifts within a minute (the ceiling moved
  // from 56k to 33k req/s inside one 90-second round on 2026-12-06), so only neighbours in time compare fairly.
  // Five rounds (S.scenarioRounds), not three: on 2026-12-07 the ceiling's runs in one bench ranged from 32k to
  // 73k req/s and the issue row's per-round ratios were 0.57/0.82/0.72, so one bad round of three moved the
  // median by a tenth; with five, two bad rounds leave it where the others are. It costs about 6 minutes.
  const runs: [Series, () => Promise<WrkResult>][] = [
    ...SCENARIOS.flatMap((scenario, index): [Series, () => Promise<WrkResult>][] =>
      scenarioSeries[index]!.status === "measured" ? [[scenarioSeries[index]!, () => measure(scenario.name === "issue" ? issuer : service, scenario.requests)]] : []),
    [mixedSeries, () => measure(service, mixed)],
    ...issueVariants.map(([series, server]): [Series, () => Promise<WrkResult>] => [series, () => measure(server, [issue])]),
  ];
  const meanOf = (a: WrkResult, b: WrkResult): WrkResult => ({
    requestsPerSecond: (a.requestsPerSecond + b.requestsPerSecond) / 2,
    requests: (a.requests + b.requests) / 2,
    p50Ms: (a.p50Ms + b.p50Ms) / 2,
    p99Ms: (a.p99Ms + b.p99Ms) / 2,
    errors: a.errors + b.errors,
  });
  for (let round = 0; round < S.scenarioRounds; round++) {
    let before = await measure(ceiling, [issue]);
    ceilingIssue.rounds.push(before);
    for (let k = 0; k < runs.length; k++) {
      const [series, run] = runs[(k + round) % runs.length]!;
      const result = await run();
      const after = await measure(ceiling, [issue]);
      ceilingIssue.rounds.push(after);
      series.rounds.push(result);
      (series.around ??= []).push(meanOf(before, after));
      before = after;
    }
    const issued = scenarioSeries[0]!;
    log(`scenarios round ${round + 1}/${S.scenarioRounds}: issue ${Math.round(issued.rounds.at(-1)!.requestsPerSecond)} req/s, ceiling around it ${Math.round(issued.around!.at(-1)!.requestsPerSecond)} (${(issued.rounds.at(-1)!.requestsPerSecond / issued.around!.at(-1)!.requestsPerSecond).toFixed(2)}x)`);
  }
  const serviceMemory = service.memory();
  const scenarios = [ceilingIssue, ...scenarioSeries, mixedSeries, ...issueVariants.map(([series]) => series)].map((series) => summarizeSeries(series, ceilingIssue));
  await service.stop();
  await issuer.stop();
  await audited.stop();
  await onLoop.stop();
  await prefilled.stop();
  await honoOnly.stop();

  // 2. zod-openapi validation versus a hand-checked parameter, same process, interleaved.
  const variantDb = await newDatabase("variant");
  const variant = await newServer("handchecked", "bench/servers/handchecked.ts", serviceEnv(variantDb));
  await warm(variant, `/zod/v1/idgenerator/${TYPE}/id`);
  await warm(variant, `/handchecked/v1/idgenerator/${TYPE}/id`);
  const zodSeries: Series = { name: "issue route, zod-openapi validation (as before 2026-12-06)", target: "variant", status: "measured", rounds: [] };
  const handSeries: Series = { name: "issue route, parameter checked by hand (as shipped)", target: "variant", status: "measured", rounds: [] };
  const ceilingAgain: Series = { name: "ceiling", target: "ceiling", status: "measured", rounds: [] };
  for (let round = 0; round < S.rounds; round++) {
    ceilingAgain.rounds.push(await measure(ceiling, [issue]));
    zodSeries.rounds.push(await measure(variant, [{ method: "POST", path: `/zod/v1/idgenerator/${TYPE}/id` }]));
    handSeries.rounds.push(await measure(variant, [{ method: "POST", path: `/handchecked/v1/idgenerator/${TYPE}/id` }]));
  }
  const zod = summarizeSeries(zodSeries, ceilingAgain);
  const hand = summarizeSeries(handSeries, ceilingAgain);
  const validationCost = { zod, hand, handOverZod: median(handSeries.rounds.map((r, i) => r.requestsPerSecond / zodSeries.rounds[i]!.requestsPerSecond)) };
  log(`validation: zod ${Math.round(zod.requestsPerSecond)} req/s, by hand ${Math.round(hand.requestsPerSecond)} req/s (${validationCost.handOverZod.toFixed(2)}x)`);
  await variant.stop();

  // 3. 1, 2 and 3 pods on one database; wrk per pod at once, the connections split between them.
  const podsDb = await newDatabase("pods");
  const pods: Server[] = [];
  const podResults: { pods: number; requestsPerSecond: number; p99Ms: number; errors: number; ratioToCeiling: number; memoryMb: { rssMb: number; peakMb: number }[] }[] = [];
  for (const count of S.pods) {
    while (pods.length < count) {
      const pod = await newServer(`pod-${pods.length + 1}`, "src/main.ts", serviceEnv(podsDb));
      await warm(pod);
      pods.push(pod);
    }
    const rounds: { total: number; p99: number; errors: number; ratio: number }[] = [];
    for (let round = 0; round < Math.max(1, S.rounds - 1); round++) {
      const ceilingRun = await measure(ceiling, [issue]);
      const perPod = await Promise.all(pods.map((pod) => measure(pod, [issue], S.seconds, Math.ceil(S.connections / count))));
      const total = perPod.reduce((sum, r) => sum + r.requestsPerSecond, 0);
      rounds.push({ total, p99: Math.max(...perPod.map((r) => r.p99Ms)), errors: perPod.reduce((sum, r) => sum + r.errors, 0), ratio: total / ceilingRun.requestsPerSecond });
    }
    podResults.push({
      pods: count,
      requestsPerSecond: median(rounds.map((r) => r.total)),
      p99Ms: median(rounds.map((r) => r.p99)),
      errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      ratioToCeiling: median(rounds.map((r) => r.ratio)),
      memoryMb: pods.map((pod) => pod.memory()),
    });
    log(`${count} pod(s): ${Math.round(podResults.at(-1)!.requestsPerSecond)} req/s in all`);
  }
  for (const pod of pods) await pod.stop();

  // 4. After N IDs issued: the registry (pool_id_num) holds N more IDs than the pool, as after N issues. They are
  // generated by the engine and copied in directly (issuing 5M over HTTP would take minutes of the budget).
  // The engine draws with replacement, so N draws register slightly fewer distinct IDs: `registered` says how many.
  const afterDbs: { issued: number; registered: number; server: Server }[] = [];
  for (const issued of S.issuedAfter) {
    const db = await newDatabase(`after${issued}`);
    const registered = issued > 0 ? await preIssue(db, issued) : 0;
    afterDbs.push({ issued, registered, server: await newServer(`after-${issued}`, "src/main.ts", serviceEnv(db)) });
  }
  await Promise.all(afterDbs.map(({ server }) => warm(server)));
  const afterSeries = afterDbs.map(({ issued }): Series => ({ name: `after ${issued} issued`, target: "service", status: "measured", rounds: [] }));
  for (let round = 0; round < S.rounds; round++) {
    for (let k = 0; k < afterDbs.length; k++) {
      const index = (k + round) % afterDbs.length;
      afterSeries[index]!.rounds.push(await measure(afterDbs[index]!.server, [issue]));
    }
  }
  const issuedAfter = afterDbs.map(({ issued, registered }, index) => {
    const series = afterSeries[index]!;
    return { issued, registered, ...summarizeSeries(series), ratioToFresh: median(series.rounds.map((r, i) => r.requestsPerSecond / afterSeries[0]!.rounds[i]!.requestsPerSecond)) };
  });
  log(`after issued: ${issuedAfter.map((r) => `${r.issued}: ${Math.round(r.requestsPerSecond)} req/s (${r.ratioToFresh.toFixed(2)}x)`).join(", ")}`);
  for (const { server } of afterDbs) await server.stop();
  await ceiling.stop();

  // 5. Refill and claim rates; the engine's micro-benchmarks (a child: it runs Bun and Node itself).
  const refill = await runRefillBench({ rounds: S.refillRounds, batch: S.refillBatch, claimSizes: [1000, 5000], log, onlyBeforeAndShipped: QUICK });
  const rulesBench = await runRulesBench();

  const results = {
    date: new Date().toISOString().slice(0, 10),
    finishedAt: new Date().toISOString(),
    command: QUICK ? "npm run bench:quick" : "npm run bench",
    quick: QUICK,
    /** BENCH_NOTE: what the person running it knows about the conditions (a shared machine, say). */
    note: process.env.BENCH_NOTE ?? null,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine: { ...machineInfo, loadAfter: loadavg(), cpuProbeMsAfter: cpuProbe() },
    settings: S,
    scenarios,
    serviceMemoryMb: serviceMemory,
    validationCost,
    pods: podResults,
    issuedAfter,
    refill,
    rules: rulesBench,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = join(RESULTS_DIR, `${results.date}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  const svgFile = join(RESULTS_DIR, `${results.date}.svg`);
  writeReport(results, { reportFile: REPORT_FILE, svgFile, jsonFile });
  log(`wrote ${jsonFile}, ${svgFile} and ${REPORT_FILE} in ${results.durationSeconds} s`);
  console.log(JSON.stringify({ jsonFile, svgFile, reportFile: REPORT_FILE }));
} finally {
  for (const server of servers) await server.stop().catch(() => undefined);
  for (const db of databases) await db.drop().catch(() => undefined);
}

/** Registers `count` generated IDs in the registry (pool_id_num; COPY of the engine's bytes), as if they had been issued. */
async function preIssue(db: BenchDatabase, count: number): Promise<number> {
  const t0 = performance.now();
  await db.sql`insert into id_type (name, id_length) values (${TYPE}, 10) on conflict do nothing`;
  await db.sql`create unlogged table staging (id text collate "C")`;
  for (let done = 0; done < count; ) {
    const bytes = rules.generateBytes(Math.min(500_000, count - done));
    const writable = await db.sql`copy staging (id) from stdin`.writable();
    await pipeline(Readable.from([Buffer.from(bytes)]), writable);
    done += bytes.length / 11;
  }
  const [row] = await withoutRegistryKey(db.sql, () => db.sql<{ n: number }[]>`
    with fresh as (
      insert into pool_id_num (id, type_no) select distinct id::bigint, (select type_no from id_type where name = ${TYPE}) from staging
      returning 1
    )
    select count(*)::int as n from fresh`);
  await db.sql`update id_type set generated = ${row!.n} where name = ${TYPE}`;
  await db.sql`drop table staging`;
  await db.sql`vacuum analyze pool_id_num`;
  log(`pre-issued ${row!.n} IDs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return row!.n;
}

async function runRulesBench() {
  const dir = mkdtempSync(join(tmpdir(), "idgen-rules-bench-"));
  const child = Bun.spawn([process.execPath, join(ROOT, "bench/rules.bench.ts")], {
    cwd: ROOT,
    env: { ...process.env, RESULTS_DIR: dir, ...(QUICK ? { QUICK: "1" } : { ROUNDS: "1" }) },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`bench/rules.bench.ts failed (${code}): ${stderr.slice(-1000)}`);
  const file = readFileSync(join(dir, "rules-latest.md"), "utf8");
  const jsonName = readdirSync(dir).find((name) => name.startsWith("rules-") && name.endsWith(".json"));
  if (!jsonName) throw new Error(`bench/rules.bench.ts wrote no results into ${dir}`);
  const json = JSON.parse(readFileSync(join(dir, jsonName), "utf8"));
  return { command: QUICK ? "QUICK=1 bun bench/rules.bench.ts" : "ROUNDS=1 bun bench/rules.bench.ts", summary: json.summary, markdown: file };
}
