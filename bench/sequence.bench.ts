// Sequential IDs under wrk: GET /next against a trivial Hono handler measured alongside, and GET
// /range?count=1000 in numbers per second. Each round runs the trivial handler before and after every variant
// (T V1 T V2 T V3 T, variants rotated each round), and a variant's ratio is its rate over the mean of the two
// trivial runs around it: on a shared 2-core machine the speed drifts within seconds, so only neighbours in
// time compare fairly. Medians over rounds. `npm run bench:sequence` (BENCH_ROUNDS, BENCH_SECONDS,
// BENCH_CONNECTIONS). Writes bench/results/sequence-latest.md and sequence-<date>.json.
//
// The service is a real process (src/main.ts) on a fresh database on DATABASE_URL's server (default: the
// machine's 127.0.0.1:5432); the trivial server is another process; wrk (Debian package `wrk`) drives both.
// A second service process on the same database runs with IDGEN_HTTP_LANES=off (every request through Hono,
// none through Bun's router: src/http/lane.ts), so the lanes' gain is measured in the same rounds.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { freePort, spawnService, tempFile } from "../test/support/processes";
import { IMAGE_RUNTIME_ENV } from "./lib/image-env";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROOT = resolve(import.meta.dir, "..");
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const database = `idgen_bench_seq_${process.pid}`;

if (Bun.spawnSync(["sh", "-c", "command -v wrk"]).exitCode !== 0) {
  console.error("wrk is missing: apt-get install -y wrk");
  process.exit(1);
}

const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
await admin`create database ${admin(database)}`;
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${database}`;
const config = tempFile("config.yaml", `id_generator:
  id_types:
    farmer:
      id_length: 12
sequences:
  counters:
    orders: {}
`);
const service = spawnService({ env: { ...IMAGE_RUNTIME_ENV, CONFIG_PATH: config.path, DATABASE_URL: dbUrl.href, PORT: "0" }, label: "service", timeoutMs: 60 * 60_000 });
const serviceUrl = String((await service.waitForLog((line) => line.msg === "listening", 60_000)).url).replace(/\/$/, "").replace("localhost", "127.0.0.1");
const honoOnly = spawnService({ env: { ...IMAGE_RUNTIME_ENV, CONFIG_PATH: config.path, DATABASE_URL: dbUrl.href, PORT: "0", IDGEN_HTTP_LANES: "off" }, label: "service, lanes off", timeoutMs: 60 * 60_000 });
const honoOnlyUrl = String((await honoOnly.waitForLog((line) => line.msg === "listening", 60_000)).url).replace(/\/$/, "").replace("localhost", "127.0.0.1");
const trivialPort = await freePort();
const trivial = Bun.spawn([process.execPath, join(ROOT, "bench/lib/trivial-server.ts")], { env: { ...process.env, PORT: String(trivialPort) }, stdout: "inherit", stderr: "inherit" });
const trivialUrl = `http://127.0.0.1:${trivialPort}`;
for (let tries = 0; ; tries++) {
  try {
    if ((await fetch(trivialUrl)).ok) break;
  } catch {
    if (tries > 100) throw new Error("the trivial server did not start");
    await Bun.sleep(50);
  }
}

const VARIANTS = [
  { name: "trivial Hono handler", url: `${trivialUrl}/`, numbers: 1 },
  // The service's cheapest route (a constant JSON body), through the same edge as /next (a lane too): what
  // the service costs per request before any sequence code runs.
  { name: "GET /livez (the service's floor)", url: `${serviceUrl}/livez`, numbers: 0 },
  { name: "GET /next", url: `${serviceUrl}/next`, numbers: 1 },
  { name: "GET /counters/orders/next", url: `${serviceUrl}/counters/orders/next`, numbers: 1 },
  { name: "GET /range?count=1000", url: `${serviceUrl}/range?count=1000`, numbers: 1000 },
  { name: "GET /livez, lanes off (through Hono)", url: `${honoOnlyUrl}/livez`, numbers: 0 },
  { name: "GET /next, lanes off (through Hono)", url: `${honoOnlyUrl}/next`, numbers: 1 },
] as const;

interface Sample { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }

function parseLatency(text: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function runWrk(url: string, seconds: number): Sample {
  const run = Bun.spawnSync(["wrk", "-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", url]);
  const text = run.stdout.toString();
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!rps) throw new Error(`wrk failed: ${text}${run.stderr.toString()}`);
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+)/.exec(text)?.[1] ?? 0);
  return { requestsPerSecond: Number(rps[1]), p50Ms: parseLatency(text, "50%"), p99Ms: parseLatency(text, "99%"), errors };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const measured = VARIANTS.slice(1);
console.log(`sequence bench: ${ROUNDS} rounds × (${measured.length} variants, each between two trivial runs) × ${SECONDS} s, wrk -t1 -c${CONNECTIONS}`);
for (const variant of VARIANTS) runWrk(variant.url, 2); // warm-up: JIT, blocks grown to the traffic
const samples: Sample[][] = VARIANTS.map(() => []);
const ratios: number[][] = VARIANTS.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  let before = runWrk(VARIANTS[0]!.url, SECONDS);
  samples[0]!.push(before);
  for (let k = 0; k < measured.length; k++) {
    const index = 1 + ((k + round) % measured.length);
    const sample = runWrk(VARIANTS[index]!.url, SECONDS);
    const after = runWrk(VARIANTS[0]!.url, SECONDS);
    samples[index]!.push(sample);
    samples[0]!.push(after);
    const ratio = sample.requestsPerSecond / ((before.requestsPerSecond + after.requestsPerSecond) / 2);
    ratios[index]!.push(ratio);
    console.log(`round ${round + 1}: ${VARIANTS[index]!.name}: ${Math.round(sample.requestsPerSecond)} req/s (trivial around it ${Math.round(before.requestsPerSecond)} / ${Math.round(after.requestsPerSecond)}: ${ratio.toFixed(2)}), p50 ${sample.p50Ms} ms, p99 ${sample.p99Ms} ms, errors ${sample.errors}`);
    before = after;
  }
}

const rows = VARIANTS.map((variant, index) => {
  const mine = samples[index]!;
  return {
    name: variant.name,
    requestsPerSecond: Math.round(median(mine.map((s) => s.requestsPerSecond))),
    numbersPerSecond: Math.round(median(mine.map((s) => s.requestsPerSecond * variant.numbers))),
    ratioToTrivial: index === 0 ? 1 : median(ratios[index]!),
    ratiosPerRound: index === 0 ? [] : ratios[index]!.map((r) => Number(r.toFixed(3))),
    p50Ms: median(mine.map((s) => s.p50Ms)),
    p99Ms: median(mine.map((s) => s.p99Ms)),
    errors: mine.reduce((sum, s) => sum + s.errors, 0),
  };
});
const state = await (await fetch(`${serviceUrl}/counters/default`)).json();

service.signal("SIGTERM");
honoOnly.signal("SIGTERM");
await service.waitForExit(15_000);
await honoOnly.waitForExit(15_000);
trivial.kill("SIGTERM");
await trivial.exited;
await admin`drop database if exists ${admin(database)} with (force)`;
await admin.end();
config.remove();

const date = new Date().toISOString();
const nextRatio = rows.find((row) => row.name === "GET /next")!.ratioToTrivial;
const floorRatio = rows[1]!.ratioToTrivial;
const honoNextRatio = rows.find((row) => row.name === "GET /next, lanes off (through Hono)")!.ratioToTrivial;
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const result = { date, command: "npm run bench:sequence", settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS }, loadAverageAtEnd: load, rows, samples: VARIANTS.map((v, i) => ({ name: v.name, samples: samples[i] })), counterAfter: state };
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results", `sequence-${date.slice(0, 10)}.json`), JSON.stringify(result, null, 2) + "\n");
const table = rows
  .map((row) => `| ${row.name} | ${row.requestsPerSecond.toLocaleString("en")} | ${row.numbersPerSecond.toLocaleString("en")} | ${row.ratioToTrivial.toFixed(2)} | ${row.ratiosPerRound.map((r) => r.toFixed(2)).join(" ")} | ${row.p50Ms.toFixed(2)} | ${row.p99Ms.toFixed(2)} | ${row.errors} |`)
  .join("\n");
const markdown = `# Sequential IDs: benchmark

\`npm run bench:sequence\`, ${date}: ${ROUNDS} rounds, ${SECONDS} s per run, each variant run between two runs of the trivial
handler and compared with their mean (variants rotated each round); \`wrk -t1 -c${CONNECTIONS}\` over loopback; the service is a
real process on PostgreSQL (${new URL(serverUrl).host}); medians over rounds. The machine has ${navigator.hardwareConcurrency} cores shared by wrk, both servers and PostgreSQL (and, on a shared machine,
others: load average ${load} at the end of the run).

| variant | req/s | numbers/s | ratio to trivial (median) | ratios per round | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|---|---|
${table}

Target: \`/next\` ≥ 0.9 × the trivial handler: **${nextRatio >= 0.9 ? "met" : "missed"}** (${nextRatio.toFixed(2)}). The service's own floor, \`/livez\`
through the same edge (request id, metrics, drain), is ${floorRatio.toFixed(2)} × the trivial handler in the same rounds: \`/next\` is ${(nextRatio / floorRatio).toFixed(2)} × that floor.
The lanes (Bun's router in front of Hono, src/http/lane.ts): \`/next\` ${nextRatio.toFixed(2)} × against ${honoNextRatio.toFixed(2)} × with \`IDGEN_HTTP_LANES=off\`, ${(nextRatio / honoNextRatio).toFixed(2)} × faster.
Per-round figures: \`bench/results/sequence-${date.slice(0, 10)}.json\`. The default counter's block size at the end: ${state?.pod?.block_size}.
`;
writeFileSync(join(ROOT, "bench/results/sequence-latest.md"), markdown);
console.log(markdown);
process.exit(0);
