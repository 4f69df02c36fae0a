// The audit's group commit alone, in-process: `npm run bench:group-commit`. 50 concurrent callers each add one
// record and wait for its commit, again and again, for GC_SECONDS (2) per variant; variants are the number of
// INSERTs allowed in flight: 1, 4 (the default), 16, and 50 (= one statement per caller: no grouping at all).
// Interleaved rounds (GC_ROUNDS, 4) on a fresh database on DATABASE_URL's server (default 127.0.0.1:5432).
// Writes bench/results/group-commit-<date>.json and group-commit-latest.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { GroupCommit } from "../src/db/group-commit";
import { migrate } from "../src/db/migrate";
import { insertIssued, type IssuedRecord } from "../src/issuance/audit";

const ROUNDS = Number(process.env.GC_ROUNDS ?? 4);
const SECONDS = Number(process.env.GC_SECONDS ?? 2);
const CALLERS = 50;
const WRITERS = [1, 4, 16, CALLERS];
const ROOT = resolve(import.meta.dir, "..");
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const name = `idgen_bench_gc_${process.pid}`;
const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
await admin`create database ${admin(name)}`;
const sql = postgres(Object.assign(new URL(serverUrl), { pathname: `/${name}` }).href, { max: CALLERS, onnotice: () => undefined });
try {
  await migrate(sql, { dir: join(ROOT, "sql/migrations"), log: () => undefined });
  await sql`insert into id_type (name, id_length) values ('farmer', 12)`;
  let next = 0;
  const samples: { writers: number; round: number; perSecond: number; rowsPerStatement: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < WRITERS.length; i++) {
      const writers = WRITERS[(i + round) % WRITERS.length]!;
      const group = new GroupCommit<IssuedRecord>({ write: (rows) => insertIssued(sql, rows), writers });
      const end = performance.now() + SECONDS * 1000;
      let done = 0;
      await Promise.all(
        Array.from({ length: CALLERS }, async () => {
          while (performance.now() < end) {
            await group.add([{ idType: "farmer", id: String(next++), issuedTo: "bench", requestId: "r" }]);
            done++;
          }
        }),
      );
      const sample = { writers, round, perSecond: Math.round(done / SECONDS), rowsPerStatement: Number((group.stats.rows / group.stats.statements).toFixed(1)) };
      samples.push(sample);
      console.log(JSON.stringify(sample));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const of = (writers: number) => samples.filter((sample) => sample.writers === writers);
  const ratio = (writers: number) => median(of(writers).map((sample) => sample.perSecond / of(CALLERS).find((other) => other.round === sample.round)!.perSecond));
  const summary = WRITERS.map((writers) => ({
    writers: writers === CALLERS ? `${writers} (no grouping)` : String(writers),
    perSecond: median(of(writers).map((sample) => sample.perSecond)),
    rowsPerStatement: median(of(writers).map((sample) => sample.rowsPerStatement)),
    ratioToUngrouped: Number(ratio(writers).toFixed(2)),
  }));
  const date = new Date().toISOString();
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/group-commit-${date.slice(0, 10)}.json`), JSON.stringify({ date, command: "npm run bench:group-commit", settings: { ROUNDS, SECONDS, CALLERS }, summary, samples }, null, 2) + "\n");
  const md = [
    `# Audit group commit in-process (${date})`,
    "",
    `\`npm run bench:group-commit\`: ${CALLERS} callers, each adding one record and waiting for its commit; ${ROUNDS} interleaved rounds of ${SECONDS} s.`,
    "",
    "| writers in flight | records/s (median) | rows per INSERT | ratio to no grouping (per-round median) |",
    "|---|---|---|---|",
    ...summary.map((row) => `| ${row.writers} | ${row.perSecond} | ${row.rowsPerStatement} | ${row.ratioToUngrouped} |`),
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "bench/results/group-commit-latest.md"), md);
  console.log(md);
} finally {
  await sql.end();
  await admin`drop database if exists ${admin(name)} with (force)`;
  await admin.end();
}
