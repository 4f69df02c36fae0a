// Issuance with audit on versus off, beside a trivial Hono handler, in one run: `npm run bench:audit`.
//
// Starts four processes: the service with audit on (4 group-commit writers, the default), with audit on and
// one writer (IDGEN_AUDIT_WRITERS=1), and with audit off (IDGEN_AUDIT=off), each on its own fresh database on DATABASE_URL's server (default the machine's 127.0.0.1:5432), both open (no
// keys), and bench/lib/trivial-server.ts. Then runs interleaved rounds (trivial, off, on, rotating the order
// each round) of `wrk -t1 -cC -dDs` POSTing to /v1/idgenerator/farmer/id, and reports medians and per-round
// ratios. Afterwards it checks the audit: issued_id holds exactly one row per 200 answered by the audited
// service, and its stop-time log line says how many statements wrote them (rows per statement = the group
// commit at work). Writes bench/results/audit-<date>.json and audit-latest.md.
// Knobs: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (50).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { spawnService, type ServiceProcess } from "../test/support/processes";
import { IMAGE_RUNTIME_ENV } from "./lib/image-env";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROOT = resolve(import.meta.dir, "..");
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const CONFIG = `id_generator:
  pool_min_threshold: 100000
  pool_generation_batch_size: 300000
  id_types:
    farmer:
      id_length: 12
      buffer_size: 5000
`;

if (!Bun.which("wrk")) {
  console.error("wrk is not installed: apt-get install -y wrk");
  process.exit(1);
}
mkdirSync(join(ROOT, ".data"), { recursive: true });
const configPath = join(ROOT, ".data", `bench-audit-${process.pid}.yaml`);
writeFileSync(configPath, CONFIG);
const luaPath = join(ROOT, ".data", `bench-audit-${process.pid}.lua`);
writeFileSync(luaPath, 'wrk.method = "POST"\n');

const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
const databases = [`idgen_bench_audit_on_${process.pid}`, `idgen_bench_audit_off_${process.pid}`, `idgen_bench_audit_one_${process.pid}`];
for (const name of databases) await admin`create database ${admin(name)}`;
const urlOf = (name: string) => Object.assign(new URL(serverUrl), { pathname: `/${name}` }).href;

const children: ServiceProcess[] = [];
async function start(label: string, env: Record<string, string>, main?: string): Promise<{ pod: ServiceProcess; url: string }> {
  const pod = spawnService({ env: { ...(main ? {} : IMAGE_RUNTIME_ENV), PORT: "0", ...env }, label, timeoutMs: 3_600_000, ...(main ? { main } : {}) });
  children.push(pod);
  const listening = await pod.waitForLog((line) => line.msg === "listening", 120_000);
  return { pod, url: String(listening.url).replace(/\/$/, "") };
}

interface Sample {
  variant: string;
  round: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  requests: number;
}

function wrk(url: string): Omit<Sample, "variant" | "round"> {
  const run = Bun.spawnSync(["wrk", "-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", luaPath, url]);
  const out = run.stdout.toString();
  const number = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? NaN);
  const latency = (pct: string) => {
    const match = new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) return NaN;
    return Number(match[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[match[2]!]!;
  };
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50ms: latency("50"),
    p99ms: latency("99"),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/) || 0,
    requests: number(/(\d+) requests in/),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

try {
  const trivial = await start("trivial", {}, join(ROOT, "bench/lib/trivial-server.ts"));
  const on = await start("audit-on", { CONFIG_PATH: configPath, DATABASE_URL: urlOf(databases[0]!) });
  const off = await start("audit-off", { CONFIG_PATH: configPath, DATABASE_URL: urlOf(databases[1]!), IDGEN_AUDIT: "off" });
  const oneWriter = await start("audit-on-1-writer", { CONFIG_PATH: configPath, DATABASE_URL: urlOf(databases[2]!), IDGEN_AUDIT_WRITERS: "1" });
  const targets: Record<string, string> = {
    trivial: `${trivial.url}/`,
    "audit off": `${off.url}/v1/idgenerator/farmer/id`,
    "audit on": `${on.url}/v1/idgenerator/farmer/id`,
    "audit on, 1 writer": `${oneWriter.url}/v1/idgenerator/farmer/id`,
  };
  // Warm-up: pools filled (the first refill), JIT warm, connections open.
  for (const [name, db] of [["on", databases[0]!], ["off", databases[1]!], ["one writer", databases[2]!]] as const) {
    const sql = postgres(urlOf(db), { max: 1, onnotice: () => undefined });
    for (let waited = 0; ; waited += 200) {
      const [row] = await sql<{ n: number }[]>`select coalesce(sum(size), 0)::int as n from pool_chunk`.catch(() => [{ n: 0 }]);
      if (row!.n >= 300_000) break;
      if (waited > 300_000) throw new Error(`pool of ${name} not filled`);
      await Bun.sleep(200);
    }
    await sql.end();
  }
  for (const url of Object.values(targets)) Bun.spawnSync(["wrk", "-t1", `-c${CONNECTIONS}`, "-d2s", "-s", luaPath, url]);

  const samples: Sample[] = [];
  const names = Object.keys(targets);
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const variant of order) {
      const sample = { variant, round, ...wrk(targets[variant]!) };
      samples.push(sample);
      console.log(JSON.stringify(sample));
    }
  }

  // The audit's own check: one row per ID answered 200 by the audited service (warm-up included).
  on.pod.signal("SIGTERM");
  const written = await on.pod.waitForLog((line) => line.msg === "audit records written", 30_000);
  await on.pod.waitForExit(15_000);
  const onDb = postgres(urlOf(databases[0]!), { max: 1, onnotice: () => undefined });
  const [audit] = await onDb<{ rows: number; distinct_ids: number }[]>`select count(*)::int as rows, count(distinct id)::int as distinct_ids from issued_id`;
  await onDb.end();

  const byVariant = (variant: string) => samples.filter((sample) => sample.variant === variant);
  const ratioTo = (variant: string, base: string) =>
    median(byVariant(variant).map((sample) => sample.rps / byVariant(base).find((other) => other.round === sample.round)!.rps));
  const summary = names.map((variant) => ({
    variant,
    rpsMedian: Math.round(median(byVariant(variant).map((sample) => sample.rps))),
    p50msMedian: Number(median(byVariant(variant).map((sample) => sample.p50ms)).toFixed(2)),
    p99msMedian: Number(median(byVariant(variant).map((sample) => sample.p99ms)).toFixed(2)),
    ratioToTrivial: Number(ratioTo(variant, "trivial").toFixed(3)),
    non2xx: byVariant(variant).reduce((sum, sample) => sum + sample.non2xx, 0),
  }));
  const onVsOff = Number(ratioTo("audit on", "audit off").toFixed(3));
  const writersGain = Number(ratioTo("audit on", "audit on, 1 writer").toFixed(3));
  const date = new Date().toISOString();
  const results = {
    date, command: "npm run bench:audit", settings: { ROUNDS, SECONDS, CONNECTIONS, wrk: "-t1" },
    summary, onVsOff, writersGain, groupCommit: { statements: written.statements, rows: written.rows, failures: written.failures, rowsPerStatement: Number(((written.rows as number) / (written.statements as number)).toFixed(1)) },
    auditRows: audit, samples,
  };
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/audit-${date.slice(0, 10)}.json`), JSON.stringify(results, null, 2) + "\n");
  const md = [
    `# Issuance with audit on and off (${date})`,
    "",
    `\`npm run bench:audit\`: wrk -t1 -c${CONNECTIONS}, ${ROUNDS} interleaved rounds of ${SECONDS} s, POST /v1/idgenerator/farmer/id.`,
    "",
    "| variant | req/s (median) | ratio to trivial (per-round median) | p50 ms | p99 ms | non-2xx |",
    "|---|---|---|---|---|---|",
    ...summary.map((row) => `| ${row.variant} | ${row.rpsMedian} | ${row.ratioToTrivial} | ${row.p50msMedian} | ${row.p99msMedian} | ${row.non2xx} |`),
    "",
    `Audit on / audit off (per-round median): **${onVsOff}**. Audit on with 4 writers / with 1 writer: **${writersGain}**.`,
    `Group commit: ${written.rows} rows in ${written.statements} statements (${results.groupCommit.rowsPerStatement} rows per INSERT), ${written.failures} failed; issued_id holds ${audit!.rows} rows, ${audit!.distinct_ids} distinct.`,
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "bench/results/audit-latest.md"), md);
  console.log(md);
} finally {
  for (const child of children) child.signal("SIGTERM");
  await Promise.all(children.map((child) => child.waitForExit(15_000)));
  for (const child of children) child.signal("SIGKILL");
  for (const name of databases) await admin`drop database if exists ${admin(name)} with (force)`;
  await admin.end();
}
