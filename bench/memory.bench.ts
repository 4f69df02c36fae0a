// The allocator's purge setting, measured: `npm run bench:memory`.
//
// Why: a profile of the service under wrk (server CPU per thread, from /proc/<pid>/task/*/stat) showed two
// threads a trivial handler does not have: mimalloc's purge thread (`mi-scavenger`, returning freed memory to
// the OS with madvise) and JavaScriptCore's `JSCWarmUp` (allocating and touching fresh heap blocks again), plus
// page faults on the main thread. The service's heap is larger than a trivial handler's (the rules engine's
// WebAssembly memory alone is 6 MB per instance), so JSC lets more garbage pile up between collections, frees
// it in bulk, and Bun's allocator hands those pages back to the OS within 100 ms, only for the next cycle to
// fault them in again. A trivial handler holding one rules engine shows the same threads.
// MIMALLOC_PURGE_DELAY=-1 keeps freed pages in the process instead (the Dockerfile sets it).
//
// Starts three processes: bench/lib/trivial-server.ts, the service with Bun's default purging, and the service
// with MIMALLOC_PURGE_DELAY=-1, each service on its own fresh database on DATABASE_URL's server (default
// 127.0.0.1:5432), audit off, the built-in example types and pool sizes (so refills run under the load, as
// they do in production). Then interleaved rounds (order rotating) of `wrk -t1 -cC -dDs` POSTing to
// /v1/idgenerator/farmer/id, reading each process's CPU per thread and the database server's CPU before and
// after each run. Reports medians, per-round ratios and resident memory. Writes bench/results/memory-<date>.json
// and memory-latest.md. Knobs: BENCH_ROUNDS (6), BENCH_SECONDS (5), BENCH_CONNECTIONS (50).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { benchDatabase, type BenchDatabase } from "./lib/bench-db";
import { IMAGE_RUNTIME_ENV } from "./lib/image-env";
import { postgresCpu, threadCpu } from "./lib/proc-cpu";
import { startServer, type Server } from "./lib/procs";
import { median } from "./lib/stats";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROOT = resolve(import.meta.dir, "..");
const PATH = "/v1/idgenerator/farmer/id";

if (!Bun.which("wrk")) {
  console.error("wrk is not installed: apt-get install -y wrk");
  process.exit(1);
}
mkdirSync(join(ROOT, ".data"), { recursive: true });
const luaPath = join(ROOT, ".data", `bench-memory-${process.pid}.lua`);
writeFileSync(luaPath, 'wrk.method = "POST"\nwrk.body = ""\n');

const databases: BenchDatabase[] = [];
const servers: Server[] = [];
async function start(label: string, script: string, env: Record<string, string>): Promise<Server> {
  const server = await startServer(label, script, { PORT: "0", ...env });
  servers.push(server);
  return server;
}
async function service(label: string, env: Record<string, string>): Promise<Server> {
  const db = await benchDatabase(label);
  databases.push(db);
  return start(label, "src/main.ts", { IDGEN_AUDIT: "off", DATABASE_URL: db.url, ...env });
}

interface Sample {
  variant: string;
  round: number;
  rps: number;
  requests: number;
  non2xx: number;
  /** Server CPU µs per request: the main thread, all threads, and each thread by name. */
  mainUs: number;
  processUs: number;
  threadsUs: Record<string, number>;
  /** The database server's CPU µs per request in the same seconds (refills and claims; 0 for the trivial handler). */
  postgresUs: number;
}

async function measure(variant: string, round: number, pid: number, url: string): Promise<Sample> {
  const before = threadCpu(pid);
  const pg0 = postgresCpu().seconds;
  const run = Bun.spawn(["wrk", "-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "-s", luaPath, url + PATH], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(run.stdout).text();
  await run.exited;
  const after = threadCpu(pid);
  const pg1 = postgresCpu().seconds;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const perRequest = (seconds: number) => Number(((seconds * 1e6) / requests).toFixed(2));
  const threadsUs: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(after)) {
    const used = seconds - (before[name] ?? 0);
    if (used > 0) threadsUs[name] = perRequest(used);
  }
  return {
    variant,
    round,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    requests,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    mainUs: threadsUs.main ?? 0,
    processUs: Number(Object.values(threadsUs).reduce((a, b) => a + b, 0).toFixed(2)),
    threadsUs,
    postgresUs: perRequest(Math.max(0, pg1 - pg0)),
  };
}

try {
  const processes = {
    trivial: await start("trivial", "bench/lib/trivial-server.ts", {}),
    "service, purging (Bun's default)": await service("purge_default", {}),
    "service, MIMALLOC_PURGE_DELAY=-1 (the image's)": await service("purge_off", IMAGE_RUNTIME_ENV),
  };
  // Warm-up: the first refill landed (an ID is issued), JIT warm, connections open.
  for (const { url } of Object.values(processes)) {
    for (let tries = 0; ; tries++) {
      const res = await fetch(url + PATH, { method: "POST" });
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (tries > 1200) throw new Error(`${url} never issued an ID`);
      await Bun.sleep(100);
    }
    Bun.spawnSync(["wrk", "-t1", `-c${CONNECTIONS}`, "-d2s", "-s", luaPath, url + PATH]);
  }

  const samples: Sample[] = [];
  const names = Object.keys(processes) as (keyof typeof processes)[];
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const variant of order) {
      const { pid, url } = processes[variant];
      const sample = await measure(variant, round, pid, url);
      samples.push(sample);
      console.log(JSON.stringify(sample));
    }
  }
  const memory = Object.fromEntries(names.map((name) => {
    const { rssMb, peakMb } = processes[name].memory();
    return [name, { rss: Math.round(rssMb), peak: Math.round(peakMb) }];
  }));

  const byVariant = (variant: string) => samples.filter((sample) => sample.variant === variant);
  const ratioTo = (variant: string, base: string) =>
    median(byVariant(variant).map((sample) => sample.rps / byVariant(base).find((other) => other.round === sample.round)!.rps));
  const threadNames = [...new Set(samples.flatMap((sample) => Object.keys(sample.threadsUs)))].filter((name) => name !== "main");
  const summary = names.map((variant) => {
    const rows = byVariant(variant);
    const threads = Object.fromEntries(threadNames.map((name) => [name, Number(median(rows.map((row) => row.threadsUs[name] ?? 0)).toFixed(1))]));
    return {
      variant,
      rpsMedian: Math.round(median(rows.map((row) => row.rps))),
      ratioToTrivial: Number(ratioTo(variant, "trivial").toFixed(3)),
      mainUs: Number(median(rows.map((row) => row.mainUs)).toFixed(1)),
      processUs: Number(median(rows.map((row) => row.processUs)).toFixed(1)),
      postgresUs: Number(median(rows.map((row) => row.postgresUs)).toFixed(1)),
      threads,
      non2xx: rows.reduce((sum, row) => sum + row.non2xx, 0),
      ...memory[variant]!,
    };
  });
  const gain = Number(ratioTo(names[2]!, names[1]!).toFixed(3));
  const roundsFaster = byVariant(names[2]!).filter((sample) => sample.rps > byVariant(names[1]!).find((other) => other.round === sample.round)!.rps).length;
  const date = new Date().toISOString();
  const results = { date, command: "npm run bench:memory", settings: { ROUNDS, SECONDS, CONNECTIONS, wrk: "-t1", path: PATH }, summary, gain, roundsFaster, samples };
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/memory-${date.slice(0, 10)}.json`), JSON.stringify(results, null, 2) + "\n");
  const md = [
    `# Issuance and the allocator's purging (${date})`,
    "",
    `\`npm run bench:memory\`: wrk -t1 -c${CONNECTIONS}, ${ROUNDS} interleaved rounds of ${SECONDS} s, POST ${PATH}; the service with the`,
    "built-in example types and pool sizes (refills run under the load), audit off. CPU is per request, medians over rounds, read",
    "from /proc per thread; the database server's CPU is that of every local `postgres` process in the same seconds.",
    "",
    `| variant | req/s | ratio to trivial | main thread µs | process µs | ${threadNames.join(" µs | ")} µs | PostgreSQL µs | RSS after, MB | peak RSS, MB | non-2xx |`,
    `|---|---|---|---|---|${threadNames.map(() => "---|").join("")}---|---|---|---|`,
    ...summary.map((row) => `| ${row.variant} | ${row.rpsMedian} | ${row.ratioToTrivial} | ${row.mainUs} | ${row.processUs} | ${threadNames.map((name) => row.threads[name]).join(" | ")} | ${row.postgresUs} | ${row.rss} | ${row.peak} | ${row.non2xx} |`),
    "",
    `MIMALLOC_PURGE_DELAY=-1 / Bun's default (per-round median of req/s): **${gain}**, faster in ${roundsFaster} of ${ROUNDS} rounds.`,
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "bench/results/memory-latest.md"), md);
  console.log(md);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all(databases.map((db) => db.drop()));
}
