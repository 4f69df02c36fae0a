// Start-up time against the size of the pools (issue 3: "start-up time independent of pool size", "no hang at
// start-up when the space is almost used"). `npm run bench:startup` (run it under the shared lock:
// `flock /work/scratch/bench.lock npm run bench:startup`); env ROUNDS (default 7), SIZES (comma-separated, default
// 0,100000,1000000,5000000), BENCH_NOTE. Writes bench/results/startup-<date>.json and startup-latest.md, and puts
// the latter into bench/RESULTS.md (between the startup markers; bench/lib/service-report.ts keeps it there).
//
// What it does: one database per pool size, filled with SQL (COPY of the engine's IDs, the primary key built
// once by sorting): of N IDs registered in the registry (pool_id_num) for the length-10 type `bench`, 40 % are
// available (pool_chunk, chunks of the buffer size), 10 % held by a crashed pod (claimed_chunk, no lease) and
// 50 % issued (issued_id, the audit). Size 0 is a fresh install (the first ID waits for the first refill).
// One more database holds 100k like
// the 100k one and, for two length-4 types (465 valid IDs each), `small4` with 460 of them issued and 5
// available, and `used4` with all 465 issued, and for the length-7 type `mid7` (231,359 valid IDs, more than a
// small type: drawn at random, not put in whole) all but one generated and issued: the one left has to be found by
// a refill. Every service process runs the same configuration (the four types) against its database; in the
// sized databases the length-4 and length-7 types start fresh.
//
// Each round starts the real service process (`bun src/main.ts`, the wasm module built beforehand) once against
// every database, in rotated order, and times from the spawn: /livez answering 200, /readyz answering 200, and
// the first answer with an ID (or, for used4, the first 410) for each type, polling every 5 ms. It also reads
// the service's own log lines (their timestamps against the spawn) for where the time goes. Between rounds the
// state each start changed is put back (the empty database emptied again, the length-4 types reset), so every
// round starts from the same pools. Medians over rounds; ratios are medians of per-round ratios to the smallest
// non-empty pool, measured in the same round.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Subprocess } from "bun";
import postgres, { type TransactionSql } from "postgres";
import { insertIssued } from "../src/issuance/audit";
import { deleteExpiredKeys } from "../src/issuance/idempotency";
import { addGenerated, claimChunks, countAvailable, heldByLivePods, readGenerated } from "../src/pool/queries";
import { createRules } from "../wasm/index.js";
import { benchDatabase, withoutRegistryKey, type BenchDatabase } from "./lib/bench-db";
import { cpuProbe, machine } from "./lib/measure.js";
import { STARTUP_BEGIN as BEGIN, STARTUP_END as END } from "./lib/service-report";
import { median } from "./lib/stats";

const ROOT = resolve(import.meta.dir, "..");
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const SIZES = (process.env.SIZES ?? "0,100000,1000000,5000000").split(",").map(Number);
const ALMOST_BASE = 100_000;
const CHUNK = 1000; // the buffer size of the configuration below: a claim takes one chunk
const POLL_MS = 5;
const SETTLE_MS = 300;
const EXPLAIN_REPEATS = 3;
const START_TIMEOUT_MS = 60_000;
const RESULTS_DIR = process.env.RESULTS_DIR ?? join(ROOT, "bench/results");
const REPORT_FILE = process.env.REPORT_FILE ?? join(ROOT, "bench/RESULTS.md");
const log = (message: string) => console.error(`[startup] ${new Date().toISOString().slice(11, 19)} ${message}`);

const started = performance.now();
const machineInfo = { ...machine(), loadBefore: loadavg(), cpuProbeMsBefore: cpuProbe() };
const bench10 = await createRules({ id_length: 10, profile: "openg2p" });
const rules4 = await createRules({ id_length: 4, profile: "openg2p" });
const SPACE4 = rules4.enumerate(); // the 465 valid IDs of length 4
if (SPACE4.length !== 465) throw new Error(`expected 465 valid IDs of length 4, the rules give ${SPACE4.length}`);
const SPACE7 = (await createRules({ id_length: 7, profile: "openg2p" })).enumerate(); // 231,359
const LEFT7 = SPACE7[Math.floor(SPACE7.length / 2)]!; // the one length-7 ID never generated in the almost-used database

const configDir = mkdtempSync(join(tmpdir(), "idgen-startup-bench-"));
const configPath = join(configDir, "config.yaml");
writeFileSync(configPath, `id_generator:
  id_types:
    bench:
      id_length: 10
      profile: openg2p
      buffer_size: ${CHUNK}
    small4:
      id_length: 4
      profile: openg2p
    used4:
      id_length: 4
      profile: openg2p
    mid7:
      id_length: 7
      profile: openg2p
`);

interface Setup {
  label: string;
  /** IDs registered for `bench` (pool_id_num). */
  size: number;
  /** The length-4 types almost and fully used (else fresh). */
  almostUsed: boolean;
  /** Every registered `bench` ID issued: the pool is empty, the first ID waits for a refill into this registry. */
  drained: boolean;
  db: BenchDatabase;
  registered: number;
  counts?: Record<string, number>;
}

interface Run {
  liveMs: number;
  readyMs: number;
  firstIdMs: Record<string, number>;
  /** The service's log lines: first time (ms after the spawn) each message was logged. */
  phases: Record<string, number>;
}

const setups: Setup[] = [];
const live = new Set<Subprocess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

try {
  log(`machine: ${machineInfo.cores} cores, load ${machineInfo.loadBefore.map((n) => n.toFixed(2)).join(" ")}; sizes ${SIZES.join(", ")}, ${ROUNDS} rounds`);
  for (const size of SIZES) setups.push(await prepare(`${size}`, size));
  setups.push(await prepare(`${ALMOST_BASE} + length 4 almost used`, ALMOST_BASE, { almostUsed: true }));
  const largestSize = Math.max(...SIZES);
  if (largestSize > 0) setups.push(await prepare(`${largestSize}, all issued (pool empty)`, largestSize, { drained: true }));
  // One start per database, not measured: the first start of a process reads the files cold.
  for (const setup of setups) await resetBetweenRounds(setup).then(() => startOnce(setup));
  const runs: Run[][] = setups.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    // A new order each round, so that no database always follows the same one (a start leaves PostgreSQL work
    // behind: autovacuum of the rows reset, a checkpoint), and a pause for that work to settle.
    for (const index of shuffled(setups.map((_, i) => i))) {
      const setup = setups[index]!;
      await resetBetweenRounds(setup);
      await Bun.sleep(SETTLE_MS);
      const run = await startOnce(setup);
      runs[index]!.push(run);
      log(`round ${round + 1}/${ROUNDS} ${setup.label}: live ${run.liveMs.toFixed(0)} ms, ready ${run.readyMs.toFixed(0)} ms, first ID ${Object.entries(run.firstIdMs).map(([t, ms]) => `${t} ${ms.toFixed(0)}`).join(", ")} ms`);
    }
  }
  const plans = [];
  for (const setup of setups) plans.push({ label: setup.label, statements: await explainStartPath(setup) });
  const results = { ...summarize(runs), plans };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = join(RESULTS_DIR, `startup-${results.date}.json`);
  writeFileSync(jsonFile, `${JSON.stringify({ ...results, runs: setups.map((s, i) => ({ label: s.label, runs: runs[i] })) }, null, 2)}\n`);
  const markdown = report(results, `bench/results/startup-${results.date}.json`);
  writeFileSync(join(RESULTS_DIR, "startup-latest.md"), markdown);
  spliceIntoResults(markdown);
  console.log(markdown);
  log(`wrote ${jsonFile}, startup-latest.md and ${REPORT_FILE} in ${results.durationSeconds} s`);
} finally {
  for (const setup of setups) await setup.db.drop().catch(() => undefined);
}

/** A migrated database whose `bench` pool holds `size` registered IDs (40 % available, 10 % held by a crashed pod, 50 % issued). */
async function prepare(label: string, size: number, { almostUsed = false, drained = false } = {}): Promise<Setup> {
  const t0 = performance.now();
  const db = await benchDatabase(`startup_${size}${almostUsed ? "_almost" : ""}${drained ? "_drained" : ""}`);
  const { sql } = db;
  await sql`insert into id_type (name, id_length) values ('bench', 10)`;
  let registered = 0;
  if (size > 0) {
    await sql`create unlogged table staging (id text collate "C")`;
    for (let done = 0; done < size;) {
      const bytes = bench10.generateBytes(Math.min(500_000, size - done));
      const writable = await sql`copy staging (id) from stdin`.writable();
      await pipeline(Readable.from([Buffer.from(bytes)]), writable);
      done += bytes.length / 11;
    }
    // Distinct IDs numbered in random order (the engine draws each batch without replacement, batches may overlap).
    await sql`create unlogged table d as select id, (row_number() over (order by md5(id)) - 1)::int as n from (select distinct id from staging) s`;
    await sql`drop table staging`;
    await withoutRegistryKey(sql, () => sql`insert into pool_id_num (id, type_no) select id::bigint, (select type_no from id_type where name = 'bench') from d`);
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from d`;
    registered = row!.n;
    const available = drained ? 0 : Math.floor(registered * 0.4), held = drained ? 0 : Math.floor(registered * 0.1);
    await sql`update id_type set generated = ${registered} where name = 'bench'`;
    await sql`
      insert into pool_chunk (id_type, ids)
      select 'bench', array_agg(id order by n) from (select id, n, n / ${CHUNK} as chunk from d where n < ${available + held}) c
      group by chunk order by chunk`;
    // The newest chunks were claimed by a pod that then crashed: its lease is gone, its claims stay (waste).
    await sql`
      with taken as (
        delete from pool_chunk where chunk_id in (select chunk_id from pool_chunk order by chunk_id desc limit ${Math.ceil(held / CHUNK)})
        returning chunk_id, id_type, ids
      )
      insert into claimed_chunk (chunk_id, id_type, ids, claimed_by) select chunk_id, id_type, ids, 'crashed-pod' from taken`;
    await sql`
      insert into issued_id (id_type, id, issued_to, request_id)
      select 'bench', id, 'anonymous', 'prefilled-' || n from d where n >= ${available + held}`;
    await sql`drop table d`;
  }
  if (almostUsed) {
    const issued = SPACE7.filter((id) => id !== LEFT7);
    await sql`insert into id_type (name, id_length, generated) values ('mid7', 7, ${issued.length})`;
    await sql`insert into pool_id_num (id, type_no) select id::bigint, (select type_no from id_type where name = 'mid7') from unnest(${issued}::text[]) id`;
    await sql`insert into issued_id (id_type, id, issued_to, request_id) select 'mid7', id, 'anonymous', 'prefilled' from unnest(${issued}::text[]) id`;
  }
  await sql`vacuum analyze`;
  const setup: Setup = { label, size, almostUsed, drained, db, registered };
  await resetBetweenRounds(setup);
  setup.counts = await counts(sql);
  log(`prepared ${label}: ${JSON.stringify(setup.counts)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return setup;
}

async function counts(sql: BenchDatabase["sql"]): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, number>[]>`
    select ((select count(*) from pool_id) + (select count(*) from pool_id_num))::int as pool_id, (select coalesce(sum(size), 0) from pool_chunk)::int as available,
      (select count(*) from pool_chunk)::int as pool_chunk_rows, (select coalesce(sum(cardinality(ids)), 0) from claimed_chunk)::int as claimed,
      (select count(*) from issued_id)::int as issued_id`;
  return { ...row! };
}

/**
 * Puts back what a start changed that would make the next start different: the empty database emptied again
 * (its first start refilled it), the length-4 types fresh, or (almost-used database) 460 and 465 of 465 issued.
 */
async function resetBetweenRounds(setup: Setup): Promise<void> {
  await setup.db.sql.begin(async (tx) => {
    await tx`delete from pod_lease`;
    const types = setup.size === 0 ? ["bench", "small4", "used4"] : ["small4", "used4"];
    // mid7 in the almost-used database: only what a start added (the one ID left, found and issued) goes.
    if (setup.almostUsed) {
      await tx`delete from issued_id where id_type = 'mid7' and id = ${LEFT7}`;
      await tx`delete from pool_id_num where type_no = (select type_no from id_type where name = 'mid7') and id = ${LEFT7}::bigint`;
      for (const table of ["claimed_chunk", "pool_chunk"]) await tx`delete from ${tx(table)} where id_type = 'mid7'`;
      await tx`update id_type set generated = ${SPACE7.length - 1} where name = 'mid7'`;
    } else {
      types.push("mid7");
    }
    // The drained pool's refill at start stays registered, as if issued since; what it put in the pool goes.
    if (setup.drained) for (const table of ["claimed_chunk", "pool_chunk"]) await tx`delete from ${tx(table)} where id_type = 'bench'`;
    for (const table of ["issued_id", "claimed_chunk", "pool_chunk", "pool_id", "idempotency_key"]) {
      await tx`delete from ${tx(table)} where id_type = any(${types})`;
    }
    await tx`delete from pool_id_num where type_no in (select type_no from id_type where name = any(${types}))`;
    await tx`update id_type set generated = 0 where name = any(${types})`;
    if (!setup.almostUsed) return;
    for (const [type, issued] of [["small4", 460], ["used4", 465]] as const) {
      await tx`insert into id_type (name, id_length, generated) values (${type}, 4, 465) on conflict (name) do update set generated = 465`;
      await tx`insert into pool_id_num (id, type_no) select id::bigint, (select type_no from id_type where name = ${type}) from unnest(${SPACE4}::text[]) id`;
      await tx`insert into issued_id (id_type, id, issued_to, request_id) select ${type}, id, 'anonymous', 'prefilled' from unnest(${SPACE4.slice(0, issued)}::text[]) id`;
      // Small types hold one ID per chunk (src/pool/sizing.ts).
      await tx`insert into pool_chunk (id_type, ids) select ${type}, array[id] from unnest(${SPACE4.slice(issued)}::text[]) id`;
    }
  });
}

/** Fisher-Yates with Math.random: the order only has to differ between rounds. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts the service against the setup's database, times it, and stops it (SIGTERM: buffered IDs go back). */
async function startOnce(setup: Setup): Promise<Run> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const wallStart = Date.now();
  const t0 = performance.now();
  const child = Bun.spawn([process.execPath, join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", CONFIG_PATH: configPath, DATABASE_URL: setup.db.url, PORT: String(port), LOG_LEVEL: "info" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(child);
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const since = () => performance.now() - t0;
  const deadline = t0 + START_TIMEOUT_MS;
  const until = async (what: string, ok: () => Promise<boolean>): Promise<number> => {
    for (;;) {
      if (await ok().catch(() => false)) return since();
      if (child.exitCode !== null) throw new Error(`${setup.label}: the service exited (${child.exitCode}) before ${what}: ${(await output)[1].slice(-2000)}`);
      if (performance.now() > deadline) throw new Error(`${setup.label}: no ${what} within ${START_TIMEOUT_MS} ms`);
      await Bun.sleep(POLL_MS);
    }
  };
  try {
    const liveMs = await until("/livez", async () => (await fetch(`${base}/livez`)).status === 200);
    const readyMs = await until("/readyz", async () => (await fetch(`${base}/readyz`)).status === 200);
    // The types in parallel, as clients would ask; used4 has nothing left, its first answer is a 410.
    const firstId = async (type: string, want: number) => [type, await until(`a first ${want} for ${type}`, async () => {
      const response = await fetch(`${base}/v1/idgenerator/${type}/id`, { method: "POST" });
      await response.arrayBuffer();
      return response.status === want;
    })] as const;
    const wantUsed = setup.almostUsed ? 410 : 200;
    const firstIdMs = Object.fromEntries(await Promise.all([firstId("bench", 200), firstId("small4", 200), firstId("used4", wantUsed), firstId("mid7", 200)]));
    child.kill("SIGTERM");
    await child.exited;
    const [stdout, stderr] = await output;
    const phases: Record<string, number> = {};
    for (const line of `${stdout}\n${stderr}`.split("\n")) {
      if (!line.startsWith("{")) continue;
      const entry = JSON.parse(line) as { time?: string; msg?: string; idType?: string; migration?: string };
      if (!entry.time || !entry.msg) continue;
      const key = entry.idType ? `${entry.msg} (${entry.idType})` : entry.msg;
      phases[key] ??= Date.parse(entry.time) - wallStart;
    }
    return { liveMs, readyMs, firstIdMs, phases };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await child.exited;
    live.delete(child);
  }
}

function summarize(runs: Run[][]) {
  const plain = (s: Setup) => !s.almostUsed && !s.drained;
  const reference = setups.findIndex((s) => s.size > 0 && plain(s));
  const largest = setups.reduce((best, s, i) => (plain(s) && s.size > setups[best]!.size ? i : best), 0);
  const fresh = setups.findIndex((s) => s.size === 0);
  const drained = setups.findIndex((s) => s.drained);
  const measures = (run: Run): Record<string, number> => ({
    live: run.liveMs, ready: run.readyMs, ...Object.fromEntries(Object.entries(run.firstIdMs).map(([t, ms]) => [`first ${t}`, ms])),
  });
  const rows = setups.map((setup, i) => {
    const keys = Object.keys(measures(runs[i]![0]!));
    const medians = Object.fromEntries(keys.map((key) => [key, median(runs[i]!.map((run) => measures(run)[key]!))]));
    const ratios = Object.fromEntries(keys.map((key) => [key, median(runs[i]!.map((run, r) => measures(run)[key]! / measures(runs[reference]![r]!)[key]!))]));
    const phaseKeys = [...new Set(runs[i]!.flatMap((run) => Object.keys(run.phases)))];
    const phases = Object.fromEntries(phaseKeys.map((key) => [key, median(runs[i]!.map((run) => run.phases[key]).filter((v): v is number => v !== undefined))]));
    // The drained pool's first ID waits for a refill, as a fresh install's does: compared with that one.
    const toFresh = fresh >= 0 ? median(runs[i]!.map((run, r) => run.firstIdMs.bench! / runs[fresh]![r]!.firstIdMs.bench!)) : NaN;
    return { label: setup.label, size: setup.size, almostUsed: setup.almostUsed, drained: setup.drained, counts: setup.counts, medians, ratiosToReference: ratios, firstIdToFresh: toFresh, phases };
  });
  return {
    date: new Date().toISOString().slice(0, 10),
    finishedAt: new Date().toISOString(),
    command: "flock /work/scratch/bench.lock npm run bench:startup",
    note: process.env.BENCH_NOTE ?? null,
    rounds: ROUNDS,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine: { ...machineInfo, loadAfter: loadavg(), cpuProbeMsAfter: cpuProbe() },
    reference: setups[reference]?.label,
    largest: setups[largest]!.label,
    fresh: setups[fresh]?.label,
    drained: setups[drained]?.label,
    rows,
  };
}

type Results = ReturnType<typeof summarize> & { plans: { label: string; statements: ExplainedStatement[] }[] };

interface ExplainedStatement {
  statement: string;
  /** Median over EXPLAIN_REPEATS of auto_explain's durations (execution, ms; summed over the function's statements). */
  ms: number;
  /** The scans of its plan (e.g. "Index Scan using pool_chunk_type_idx on pool_chunk"). */
  scans: string[];
}

/**
 * The statements the start-up and first-ID path send, through the service's own functions, timed by
 * auto_explain (actual execution, plan included) on one connection, each pass in a transaction rolled back.
 * Shows which statements read more as the pool grows, and how (a Seq Scan over a table that grows would).
 */
async function explainStartPath(setup: Setup): Promise<ExplainedStatement[]> {
  const notices: string[] = [];
  const sql = postgres(setup.db.url, { max: 1, onnotice: (notice) => notices.push(String(notice.message)) });
  const candidates = bench10.generate(6000);
  // The audit row's ID: one never issued in this database (the primary key would refuse it).
  const [unissued] = await setup.db.sql<{ id: string }[]>`
    select c as id from unnest(${candidates}::text[]) c where not exists (select 1 from issued_id i where i.id_type = 'bench' and i.id = c) limit 1`;
  const found = new Map<string, { ms: number[]; scans: string[] }>();
  try {
    const conn = await sql.reserve();
    await conn.unsafe(`load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on;
      set auto_explain.log_buffers = on; set client_min_messages = log`);
    const steps: [string, () => Promise<unknown>][] = [
      ["readGenerated(bench)", () => readGenerated(conn, "bench")],
      ["countAvailable(bench)", () => countAvailable(conn, "bench")],
      ["claimChunks(bench, 1 chunk)", () => claimChunks(conn, "bench", 1, "explain-pod")],
      ["insertIssued (audit, 1 row)", () => insertIssued(conn, [{ idType: "bench", id: unissued!.id, issuedTo: "anonymous", requestId: "explain" }])],
      ["countAvailable(used4)", () => countAvailable(conn, "used4")],
      ["heldByLivePods(used4)", () => heldByLivePods(conn, "used4", 30)],
      ["deleteExpiredKeys", () => deleteExpiredKeys(conn)],
      ["addGenerated(bench, 6000) (a refill)", () => addGenerated(conn as unknown as TransactionSql, "bench", candidates, CHUNK)],
    ];
    for (let pass = 0; pass < EXPLAIN_REPEATS; pass++) {
      await conn`begin`;
      try {
        for (const [name, step] of steps) {
          notices.length = 0;
          await step();
          // auto_explain logs a plan when the portal closes: with the extended protocol inside a transaction,
          // at the next statement. This one closes it; its own plan arrives during the next step and is dropped.
          await conn`select 'flush'`;
          // A function may send more than one statement (addGenerated: the insert, then the counter): summed.
          const plans = notices.filter((m) => m.startsWith("duration:") && !m.includes("'flush'"));
          const text = plans.join("\n");
          const ms = plans.length === 0 ? NaN : plans.reduce((sum, m) => sum + Number(/duration: ([\d.]+) ms/.exec(m)?.[1] ?? NaN), 0);
          const scans = [...text.matchAll(/((?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan)(?: Backward)?(?: using \S+)? on \S+)/g)].map((m) => m[1]!);
          const entry = found.get(name) ?? { ms: [], scans };
          entry.ms.push(ms);
          found.set(name, entry);
        }
      } finally {
        await conn`rollback`;
      }
    }
    conn.release();
  } finally {
    await sql.end({ timeout: 1 });
  }
  return [...found].map(([statement, { ms, scans }]) => ({ statement, ms: median(ms), scans: [...new Set(scans)] }));
}

function report(results: Results, jsonFile: string): string {
  const f = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? "–" : `${Math.round(ms)} ms`);
  const x = (r: number | undefined) => (r === undefined || Number.isNaN(r) ? "–" : `${r.toFixed(2)}×`);
  const n = (v: number | undefined) => (v ?? 0).toLocaleString("en-US");
  const lines: string[] = [];
  lines.push(`## Start-up time against pool size (issue 3)`, ``);
  lines.push(`\`${results.command}\` (bench/startup.bench.ts), ${results.finishedAt}, ${results.durationSeconds} s: ${results.rounds} interleaved rounds, each starting the service process (\`bun src/main.ts\`, wasm built beforehand) once per database, in rotated order; times from the spawn, polled every ${POLL_MS} ms; medians over rounds. Load average ${results.machine.loadBefore.map((v) => v.toFixed(2)).join(" / ")} before, ${results.machine.loadAfter.map((v) => v.toFixed(2)).join(" / ")} after; CPU probe ${results.machine.cpuProbeMsBefore} ms before, ${results.machine.cpuProbeMsAfter} ms after.${results.note ? ` Conditions: ${results.note}.` : ""}`, ``);
  lines.push(`Each database holds N IDs of the length-10 type \`bench\` in the registry (pool_id_num): 40 % available (pool_chunk, ${CHUNK} per row), 10 % held by a crashed pod (claimed_chunk, no lease), 50 % issued (issued_id). N = 0 is a fresh install: its first ID waits for the first refill; "all issued (pool empty)" has every registered ID issued, so its first ID waits for a refill into that registry (reset between rounds: the refill's IDs stay registered, its chunks go). One database adds two length-4 types of 465 valid IDs: \`small4\` with 460 issued (5 left), \`used4\` with all 465 issued (its first answer is the 410 it owes), and the length-7 type \`mid7\` (231,359 valid IDs, drawn at random like a large type) with all but one issued and that one never generated. In the other databases those three types start fresh (the length-4 spaces go into the pool whole at start, mid7 gets a first refill).`, ``);
  lines.push(`| pool (bench IDs registered) | registry rows | available | crashed pod's | /livez | /readyz | first bench ID | first small4 ID | first used4 answer | first mid7 ID | /readyz ratio | first bench ID ratio |`, `|---|---|---|---|---|---|---|---|---|---|---|---|`);
  for (const row of results.rows) {
    const c = row.counts ?? {};
    lines.push(`| ${row.label} | ${n(c.pool_id)} | ${n(c.available)} | ${n(c.claimed)} | ${f(row.medians.live)} | ${f(row.medians.ready)} | ${f(row.medians["first bench"])} | ${f(row.medians["first small4"])} | ${f(row.medians["first used4"])}${row.almostUsed ? " (410)" : ""} | ${f(row.medians["first mid7"])} | ${x(row.ratiosToReference.ready)} | ${x(row.ratiosToReference["first bench"])} |`);
  }
  const largest = results.rows.find((r) => r.label === results.largest)!;
  lines.push(``, `Ratios: medians of per-round ratios to the ${results.reference} pool in the same round. **Largest / smallest non-empty pool (${results.largest} / ${results.reference}): /livez ${x(largest.ratiosToReference.live)}, /readyz ${x(largest.ratiosToReference.ready)}, first ID ${x(largest.ratiosToReference["first bench"])}.**`);
  const drained = results.rows.find((r) => r.drained);
  if (drained) lines.push(`First ID when it waits for a refill: ${drained.label} against the fresh install, same rounds: ${x(drained.firstIdToFresh)}.`);
  const almost = results.rows.find((r) => r.almostUsed);
  if (almost) lines.push(`Space almost used: small4 (5 of 465 left) gave its first ID at ${f(almost.medians["first small4"])}, used4 (none left) answered 410 at ${f(almost.medians["first used4"])}, mid7 (1 of 231,359 left, not generated yet) gave it at ${f(almost.medians["first mid7"])}; in the same rounds the fresh types of the ${results.reference} pool took ${f(results.rows.find((r) => r.label === results.reference)?.medians["first small4"])} (small4) and ${f(results.rows.find((r) => r.label === results.reference)?.medians["first mid7"])} (mid7).`);
  lines.push(``);
  const phaseKeys = ["configuration", "pod lease taken", "id type ready (bench)", "listening", "pool replenished (small4)", "pool replenished (bench)", "pool replenished (mid7)"];
  lines.push(`Where the time goes (the service's own log lines, ms after the spawn, medians):`, ``, `| pool | ${phaseKeys.join(" | ")} |`, `|---|${phaseKeys.map(() => "---").join("|")}|`);
  for (const row of results.rows) lines.push(`| ${row.label} | ${phaseKeys.map((key) => f(row.phases[key])).join(" | ")} |`);
  lines.push(``, `The SQL of the start-up and first-ID path (the service's own functions of src/pool/queries.ts and src/issuance/), timed by auto_explain (execution, ms, median of ${EXPLAIN_REPEATS}) on each database after the rounds, each pass rolled back:`, ``);
  lines.push(`| statement | ${results.plans.map((p) => p.label).join(" | ")} | scans (largest pool) |`, `|---|${results.plans.map(() => "---").join("|")}|---|`);
  const largestPlan = results.plans.find((p) => p.label === results.largest) ?? results.plans.at(-1)!;
  for (const { statement } of results.plans[0]!.statements) {
    const cell = (p: (typeof results.plans)[number]) => {
      const ms = p.statements.find((st) => st.statement === statement)?.ms;
      return ms === undefined || Number.isNaN(ms) ? "–" : ms.toFixed(3);
    };
    lines.push(`| ${statement} | ${results.plans.map(cell).join(" | ")} | ${largestPlan.statements.find((st) => st.statement === statement)?.scans.join("; ") ?? ""} |`);
  }
  lines.push(``, `Per-round figures and every log phase: \`${jsonFile}\`.`, ``);
  return lines.join("\n");
}

/** Replaces the start-up section of bench/RESULTS.md (or appends it): the rest of the file is npm run bench's. */
function spliceIntoResults(markdown: string): void {
  let text = "";
  try {
    text = readFileSync(REPORT_FILE, "utf8");
  } catch {
    /* no report yet */
  }
  const section = `${BEGIN}\n${markdown.trim()}\n${END}`;
  const at = text.indexOf(BEGIN), end = text.indexOf(END);
  text = at >= 0 && end > at ? text.slice(0, at) + section + text.slice(end + END.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(REPORT_FILE, text);
}
