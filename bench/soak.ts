// Soak: the service under moderate load for a long time (default 10 minutes), to show that memory and
// latency stay flat. Not part of `npm test`: `npm run bench:soak` (SOAK_MINUTES, SOAK_CONNECTIONS, SOAK_RATE).
//
// It starts one real service process on a fresh database (DATABASE_URL's server when set, else the machine's
// 127.0.0.1:5432, else it refuses), drives a steady mix of issue (90 %) and validate (10 %) requests from
// this process at a fixed rate, and each minute records the server's RSS and the window's p50/p99/max latency.
// Writes bench/results/soak-<date>.json and prints a table. A window's p99 is client-side (the load generator
// shares the machine's two cores with the service and PostgreSQL).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { spawnService } from "../test/support/processes";
import { IMAGE_RUNTIME_ENV } from "./lib/image-env";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 20);
const RATE = Number(process.env.SOAK_RATE ?? 2000); // requests per second, in all
const ROOT = resolve(import.meta.dir, "..");
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const database = `idgen_soak_${process.pid}`;

const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
await admin`create database ${admin(database)}`;
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${database}`;
const configPath = join(ROOT, ".data", `soak-${process.pid}.yaml`);
mkdirSync(join(ROOT, ".data"), { recursive: true });
writeFileSync(configPath, `id_generator:
  pool_min_threshold: 50000
  pool_generation_batch_size: 100000
  id_types:
    farmer:
      id_length: 12
`);
const pod = spawnService({ env: { ...IMAGE_RUNTIME_ENV, CONFIG_PATH: configPath, DATABASE_URL: dbUrl.href, PORT: "0" }, label: "soak", timeoutMs: (MINUTES + 5) * 60_000 });
const listening = await pod.waitForLog((line) => line.msg === "listening", 60_000);
const base = String(listening.url).replace(/\/$/, "");

// Warm-up: the first refill fills the pool; the soak measures steady state, not start-up.
for (let tries = 0; ; tries++) {
  const res = await fetch(`${base}/v1/idgenerator/farmer/id`, { method: "POST" });
  if (res.status === 200) break;
  if (tries > 600) throw new Error(`the service never issued an ID: ${res.status} ${await res.text()}`);
  await Bun.sleep(100);
}

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pod.pid}/status`, "utf8"))![1]) / 1024;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

interface Window { minute: number; requests: number; errors: number; p50: number; p99: number; max: number; rssMb: number }
const windows: Window[] = [];
let latencies: number[] = [];
let errors = 0;
let sent = 0;
const started = performance.now();
const end = started + MINUTES * 60_000;
const interval = (1000 * CONNECTIONS) / RATE; // each connection's pace

console.log(`soak: ${MINUTES} min, ${CONNECTIONS} connections, ${RATE} req/s, service ${base} (pid ${pod.pid})`);
const reporter = setInterval(() => {
  const sorted = latencies.sort((a, b) => a - b);
  const window: Window = {
    minute: windows.length + 1, requests: sorted.length, errors,
    p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN, rssMb: rss(),
  };
  windows.push(window);
  console.log(`minute ${window.minute}: ${window.requests} requests, ${window.errors} errors, p50 ${window.p50.toFixed(2)} ms, p99 ${window.p99.toFixed(2)} ms, max ${window.max.toFixed(1)} ms, RSS ${window.rssMb.toFixed(0)} MB`);
  latencies = [];
  errors = 0;
}, 60_000);

await Promise.all(
  Array.from({ length: CONNECTIONS }, async (_, client) => {
    let next = performance.now() + (client * interval) / CONNECTIONS;
    while (performance.now() < end) {
      const wait = next - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      next += interval;
      const t0 = performance.now();
      const validate = ++sent % 10 === 0;
      try {
        const res = validate
          ? await fetch(`${base}/v1/idgenerator/farmer/id/validate/742968927519`)
          : await fetch(`${base}/v1/idgenerator/farmer/id`, { method: "POST" });
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }),
);
clearInterval(reporter);
pod.signal("SIGTERM");
const exitCode = await pod.waitForExit(15_000);
await admin`drop database if exists ${admin(database)} with (force)`;
await admin.end();

const first = windows[0];
const last = windows.at(-1);
const result = {
  date: new Date().toISOString(), minutes: MINUTES, connections: CONNECTIONS, rate: RATE, windows, exitCode,
  summary: first && last ? { rssGrowthMb: last.rssMb - first.rssMb, p99First: first.p99, p99Last: last.p99, errors: windows.reduce((n, w) => n + w.errors, 0) } : null,
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
const file = join(ROOT, "bench/results", `soak-${result.date.slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
console.log(`soak: wrote ${file}; ${JSON.stringify(result.summary)}`);
process.exit(0);
