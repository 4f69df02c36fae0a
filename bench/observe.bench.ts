// What request ids, request metrics and the pools' observers cost on issuance: `npm run bench:observe`.
//
// One process starts the service twice on one fresh database (DATABASE_URL's server, else 127.0.0.1:5432):
// once with observation on (as deployed) and once with it off, plus a trivial Hono handler. wrk (Debian package
// `wrk`) drives POST /v1/idgenerator/farmer/id against each in turn, interleaved round by round (the machine's
// speed drifts), and the report gives per-round ratios' medians: observed / bare issuance, and each against the
// trivial handler. Writes bench/results/observe-<date>.json. OBSERVE_ROUNDS, OBSERVE_SECONDS, OBSERVE_CONNECTIONS, OBSERVE_PAIR_ISSUES.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Hono } from "hono";
import postgres from "postgres";
import { loadConfig } from "../src/config";
import { startService, type Service } from "../src/service";

const ROUNDS = Number(process.env.OBSERVE_ROUNDS ?? 6);
const SECONDS = Number(process.env.OBSERVE_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.OBSERVE_CONNECTIONS ?? 50);
/** Issues per variant in each in-process pair (with audit on, issuance is database-bound: keep pairs short). */
const PAIR_ISSUES = Number(process.env.OBSERVE_PAIR_ISSUES ?? 1000);
const ROOT = resolve(import.meta.dir, "..");
const wrk = Bun.which("wrk");
if (!wrk) throw new Error("wrk is not installed (apt-get install wrk)");

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const database = `idgen_observe_${process.pid}`;
const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
await admin`create database ${admin(database)}`;
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${database}`;
const work = join(tmpdir(), `idgen-observe-${process.pid}`);
mkdirSync(work, { recursive: true });
const configPath = join(work, "config.yaml");
// A pool deep enough that refills are rare during the run; buffers as deployed.
writeFileSync(configPath, "id_generator:\n  pool_min_threshold: 300000\n  pool_generation_batch_size: 900000\n  id_types:\n    farmer:\n      id_length: 12\n");
const post = join(work, "post.lua");
writeFileSync(post, 'wrk.method = "POST"\n');

const config = loadConfig({ env: { DATABASE_URL: dbUrl.href, CONFIG_PATH: configPath, LOG_LEVEL: "warn" } });
const quiet = (entry: { level: string }) => void (entry.level === "error" && console.error(JSON.stringify(entry)));
const services: Service[] = [];
const servers: ReturnType<typeof Bun.serve>[] = [];
try {
  const observed = await startService({ config, log: quiet, pod: "bench-observed", observe: true });
  services.push(observed);
  const bare = await startService({ config, log: quiet, pod: "bench-bare", observe: false });
  services.push(bare);
  const trivial = new Hono().post("/v1/idgenerator/farmer/id", (c) => c.json({ id: "123456789012" }));
  const targets = { observed: observed.app, bare: bare.app, trivial } as const;
  const urls: Record<string, string> = {};
  for (const [name, app] of Object.entries(targets)) {
    const server = Bun.serve({ port: 0, fetch: app.fetch });
    servers.push(server);
    urls[name] = new URL("v1/idgenerator/farmer/id", server.url).href;
  }
  // Wait for the first refill to fill the pool (most of its target), so the rounds measure steady state.
  const probe = postgres(dbUrl.href, { max: 1 });
  for (let tries = 0; tries < 600; tries++) {
    const [level] = await probe<{ n: number }[]>`select coalesce(sum(size), 0)::int as n from pool_chunk`;
    if (level!.n >= 1_000_000) break;
    await Bun.sleep(500);
  }
  await probe.end();

  // Asynchronous on purpose: the services under test run on this process's event loop.
  const run = async (url: string) => {
    const child = Bun.spawn([wrk, "-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", post, url], { stdout: "pipe", stderr: "pipe" });
    const text = await new Response(child.stdout).text();
    await child.exited;
    const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(text);
    const p99ms = p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[p99[2]!]! : NaN;
    return { rate, non2xx, p99ms };
  };
  const rounds: Record<string, Awaited<ReturnType<typeof run>>>[] = [];
  await run(urls.observed!); // warm-up, both code paths
  await run(urls.bare!);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["observed", "bare", "trivial"] : ["bare", "observed", "trivial"];
    const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
    for (const name of order) results[name] = await run(urls[name]!);
    rounds.push(results);
    console.log(`round ${round + 1}: ${order.map((name) => `${name} ${Math.round(results[name]!.rate)} req/s (p99 ${results[name]!.p99ms} ms, non-2xx ${results[name]!.non2xx})`).join(", ")}`);
  }
  // The same comparison without sockets or wrk: app.request() in a loop, the cost per request in microseconds
  // (the difference is what observation adds to one issuance).
  // Wall time and this process's CPU time per issue: CPU time is what observation adds to the work, and it
  // drifts much less than wall time when other processes compete for the cores.
  const perRequest = async (app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, count: number) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const res = await app.request("/v1/idgenerator/farmer/id", { method: "POST" });
      if (res.status !== 200) throw new Error(`issue answered ${res.status}`);
    }
    const used = process.cpuUsage(cpu);
    return { wall: ((performance.now() - started) * 1000) / count, cpu: (used.user + used.system) / count };
  };
  // Short alternating pairs: the machine's speed drifts within seconds, so each pair's difference is taken
  // between neighbours in time, and the median over many pairs is reported.
  const inProcess: Record<string, { wall: number; cpu: number }>[] = [];
  const PAIRS = ROUNDS * 5;
  for (let pair = 0; pair < PAIRS; pair++) {
    const order = pair % 2 === 0 ? (["observed", "bare"] as const) : (["bare", "observed"] as const);
    const micros: Record<string, { wall: number; cpu: number }> = {};
    for (const name of order) micros[name] = await perRequest(targets[name], PAIR_ISSUES);
    inProcess.push(micros);
  }
  console.log(`in-process: ${PAIRS} pairs of ${PAIR_ISSUES} issues each`);

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratio = (a: string, b: string) => median(rounds.map((round) => round[a]!.rate / round[b]!.rate));
  const summary = {
    observedOverBare: ratio("observed", "bare"),
    observedOverTrivial: ratio("observed", "trivial"),
    bareOverTrivial: ratio("bare", "trivial"),
    inProcessMicros: Object.fromEntries((["wall", "cpu"] as const).map((kind) => [kind, {
      observed: median(inProcess.map((pair) => pair.observed![kind])),
      bare: median(inProcess.map((pair) => pair.bare![kind])),
      added: median(inProcess.map((pair) => pair.observed![kind] - pair.bare![kind])),
      ratio: median(inProcess.map((pair) => pair.observed![kind] / pair.bare![kind])),
    }])),
    wrkRatioSpread: rounds.map((round) => round.observed!.rate / round.bare!.rate).sort((a, b) => a - b),
    medianRate: Object.fromEntries(Object.keys(targets).map((name) => [name, median(rounds.map((round) => round[name]!.rate))])),
    medianP99ms: Object.fromEntries(Object.keys(targets).map((name) => [name, median(rounds.map((round) => round[name]!.p99ms))])),
  };
  console.log(JSON.stringify(summary, null, 2));
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/observe-${date}.json`), JSON.stringify({ date, command: "npm run bench:observe", settings: { ROUNDS, SECONDS, CONNECTIONS, PAIR_ISSUES }, rounds, inProcess, summary }, null, 2) + "\n");
} finally {
  for (const server of servers) server.stop(true);
  for (const service of services) await service.stop().catch(() => undefined);
  await admin`drop database if exists ${admin(database)} with (force)`;
  await admin.end();
  rmSync(work, { recursive: true, force: true });
}
