// What a refill costs PostgreSQL as the registry grows: `npm run bench:registry`.
//
// Why: the registry (pool_id_num for IDs of up to 18 digits, pool_id for longer ones) holds every ID ever
// generated, and its primary key is what makes an ID unique forever. Refills
// insert random keys into that B-tree, so each new ID lands on a random leaf page. While the index fits in
// PostgreSQL's shared_buffers that is cheap; past it, pages are read back from the operating system and written
// out again, and right after a checkpoint each first touch of a page also writes the whole page to the WAL.
// A registry of a national ID system holds tens of millions of IDs, so the operator needs to know how the
// insert's cost moves with the registry's size, and what shared_buffers and the refill size do to it.
//
// One fresh database on DATABASE_URL's server (default 127.0.0.1:5432), one length-10 type. The registry is
// grown in steps (BENCH_SIZES, default 0,1000000,5000000 IDs registered) with the refill's own insert, in
// batches of 500,000 outside the timing. At each size, after a CHECKPOINT (the worst case for full-page
// writes, as just after any checkpoint), interleaved rounds insert BENCH_TOTAL fresh candidates (default
// 400,000) per refill size (BENCH_STEPS, default 5000,50000,200000: the default configuration's refill, the refill thread's largest step and a large
// one) with addGenerated (src/pool/queries.ts: the probe for known IDs, COPY into pool_id_num, COPY of the
// chunks, the type's counter), each batch one transaction, as a refill step runs. Measures per inserted ID: wall time, the local
// PostgreSQL server's CPU (from /proc: only when the server runs on this machine) and WAL bytes
// (pg_current_wal_lsn). Generation is outside the timing: this is the database's share of a refill.
// Writes registry-<date>.json and registry-latest.md to RESULTS_DIR (default bench/results).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRules } from "../wasm/index.js";
import { addGenerated } from "../src/pool/queries";
import { benchDatabase, SERVER_URL } from "./lib/bench-db";
import { postgresCpu } from "./lib/proc-cpu";
import { median } from "./lib/stats";

const SIZES = (process.env.BENCH_SIZES ?? "0,1000000,5000000").split(",").map(Number);
const STEPS = (process.env.BENCH_STEPS ?? "5000,50000,200000").split(",").map(Number);
const TOTAL = Number(process.env.BENCH_TOTAL ?? 400_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PRELOAD_BATCH = 500_000;
const RESULTS_DIR = process.env.RESULTS_DIR ?? resolve(import.meta.dir, "results");
const TYPE = "bench";

for (const [name, values] of [["BENCH_SIZES", SIZES], ["BENCH_STEPS", STEPS], ["BENCH_TOTAL", [TOTAL]], ["BENCH_ROUNDS", [ROUNDS]]] as const) {
  if (values.some((value) => !Number.isInteger(value) || value < 0) || (name !== "BENCH_SIZES" && values.some((value) => value === 0))) {
    console.error(`${name} must be ${name === "BENCH_SIZES" ? "non-negative integers, comma-separated" : "positive integers"}`);
    process.exit(1);
  }
}
// The length-10 space holds 103,311,928 valid IDs (bench/results/rules-latest.md); past about half of it most
// draws are IDs registered already and the preload crawls, so larger registries need a longer type.
const MAX_SIZE = 50_000_000;
if (SIZES.some((size) => size > MAX_SIZE)) {
  console.error(`BENCH_SIZES: at most ${MAX_SIZE.toLocaleString("en")} IDs (half of the length-10 space this benchmark uses)`);
  process.exit(1);
}
const log = (message: string) => console.error(`[bench:registry] ${message}`);

interface Sample {
  registered: number;
  step: number;
  round: number;
  added: number;
  wallUsPerId: number;
  /** null when the database server is not on this machine. */
  postgresUsPerId: number | null;
  walBytesPerId: number;
}

const rules = await createRules({ id_length: 10 });
const db = await benchDatabase("registry", { max: 2 });
const { sql } = db;
const samples: Sample[] = [];
const sizes: { registered: number; indexMb: number; heapMb: number }[] = [];
try {
  await sql`insert into id_type (name, id_length) values (${TYPE}, 10)`;
  const [settings] = await sql<{ shared_buffers: string; version: string }[]>`select current_setting('shared_buffers') as shared_buffers, current_setting('server_version') as version`;
  log(`PostgreSQL ${settings!.version} at ${new URL(SERVER_URL).host}, shared_buffers ${settings!.shared_buffers}`);
  const local = postgresCpu().processes > 0;
  if (!local) log("no postgres process on this machine: the database's CPU is not measured (wall time and WAL only)");
  const registered = async () => Number((await sql<{ generated: string }[]>`select generated from id_type where name = ${TYPE}`)[0]!.generated);
  // What a refill step does inside its transaction once it holds the type's lock (replenish.ts).
  const insert = (candidates: string[]) => sql.begin((tx) => addGenerated(tx, TYPE, candidates, 1000));

  for (const size of [...SIZES].sort((a, b) => a - b)) {
    for (let now = await registered(); now < size; now = await registered()) {
      const started = performance.now();
      await insert(rules.generate(Math.min(PRELOAD_BATCH, size - now)));
      log(`registry ${(await registered()).toLocaleString("en")} of ${size.toLocaleString("en")} IDs (${Math.round(performance.now() - started)} ms for the last batch)`);
    }
    const [rel] = await sql<{ index: string; heap: string }[]>`select pg_relation_size('pool_id_num_pkey') as index, pg_relation_size('pool_id_num') as heap`;
    const at = await registered();
    sizes.push({ registered: at, indexMb: Math.round(Number(rel!.index) / 2 ** 20), heapMb: Math.round(Number(rel!.heap) / 2 ** 20) });
    await sql`checkpoint`;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < STEPS.length; k++) {
        const step = STEPS[(k + round) % STEPS.length]!;
        const batches = Math.max(1, Math.round(TOTAL / ROUNDS / step));
        const candidates = Array.from({ length: batches }, () => rules.generate(step));
        const [lsn0] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
        const cpu0 = postgresCpu().seconds;
        const started = performance.now();
        let added = 0;
        for (const batch of candidates) added += await insert(batch);
        const wall = performance.now() - started;
        const cpu1 = postgresCpu().seconds;
        const [wal] = await sql<{ bytes: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn0!.lsn}::pg_lsn)::bigint as bytes`;
        const sample: Sample = {
          registered: at,
          step,
          round,
          added,
          wallUsPerId: (wall * 1000) / added,
          postgresUsPerId: local ? ((cpu1 - cpu0) * 1e6) / added : null,
          walBytesPerId: Number(wal!.bytes) / added,
        };
        samples.push(sample);
        log(`registry ${at.toLocaleString("en")}, refills of ${step.toLocaleString("en")}: ${sample.wallUsPerId.toFixed(2)} µs/ID wall, ${sample.postgresUsPerId?.toFixed(2) ?? "–"} µs/ID database CPU, ${Math.round(sample.walBytesPerId)} WAL bytes/ID`);
      }
    }
  }

  const summary = sizes.flatMap(({ registered, indexMb, heapMb }) =>
    STEPS.map((step) => {
      const rows = samples.filter((sample) => sample.registered === registered && sample.step === step);
      const wallUsPerId = median(rows.map((row) => row.wallUsPerId));
      const cpu = rows.map((row) => row.postgresUsPerId).filter((value): value is number => value !== null);
      return {
        registered, indexMb, heapMb, step,
        wallUsPerId: Number(wallUsPerId.toFixed(2)),
        idsPerSecond: Math.round(1e6 / wallUsPerId),
        postgresUsPerId: cpu.length > 0 ? Number(median(cpu).toFixed(2)) : null,
        walBytesPerId: Math.round(median(rows.map((row) => row.walBytesPerId))),
      };
    }),
  );
  const date = new Date().toISOString();
  const results = { date, command: "npm run bench:registry", server: { version: settings!.version, sharedBuffers: settings!.shared_buffers, local }, settings: { SIZES, STEPS, TOTAL, ROUNDS }, summary, samples };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `registry-${date.slice(0, 10)}.json`), JSON.stringify(results, null, 2) + "\n");
  const md = [
    `# Refill cost in PostgreSQL against the registry's size (${date})`,
    "",
    `\`npm run bench:registry\`: PostgreSQL ${settings!.version}, shared_buffers ${settings!.shared_buffers}; one length-10 type; at each registry size a`,
    `CHECKPOINT, then ${ROUNDS} interleaved rounds inserting ${TOTAL.toLocaleString("en")} candidates per refill size with the refill's insert`,
    "(addGenerated: probe, COPY into pool_id_num, COPY of the chunks, the counter; one transaction per refill). Medians over rounds, per ID added.",
    "Generation is not included: this is the database's share of a refill.",
    "",
    "| IDs registered (at the start) | pool_id_num index, MB | pool_id_num heap, MB | refill size | µs per ID (wall) | IDs/s | PostgreSQL CPU µs per ID | WAL bytes per ID |",
    "|---|---|---|---|---|---|---|---|",
    ...summary.map((row) => `| ${row.registered.toLocaleString("en")} | ${row.indexMb} | ${row.heapMb} | ${row.step.toLocaleString("en")} | ${row.wallUsPerId} | ${row.idsPerSecond.toLocaleString("en")} | ${row.postgresUsPerId ?? "not local"} | ${row.walBytesPerId} |`),
    "",
    "The index grows by about " + (sizes.length > 1 && sizes.at(-1)!.registered > 0 ? `${Math.round((sizes.at(-1)!.indexMb / sizes.at(-1)!.registered) * 1e6)} MB` : "–") + " per million IDs registered. docs/operations.md (\"The registry and shared_buffers\") says what to do with these figures.",
    "",
  ].join("\n");
  writeFileSync(join(RESULTS_DIR, "registry-latest.md"), md);
  console.log(md);
} finally {
  await db.drop();
}
