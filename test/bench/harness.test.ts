// The benchmark harness works: `bench/service.bench.ts --quick` runs end to end against real processes and a
// real PostgreSQL, and writes well-formed results, chart and report. Nothing here judges speed (no timing
// assertion): figures of a quick run on a shared machine mean nothing; the full run's are in bench/RESULTS.md.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded";
import { startupSection, STARTUP_BEGIN, STARTUP_END } from "../../bench/lib/service-report";
import { testLog } from "../support/database";

const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "idgen-harness-test-"));
let embedded: EmbeddedPostgres | undefined;
let serverUrl: string;

beforeAll(async () => {
  serverUrl = process.env.DATABASE_URL ?? "";
  if (!serverUrl) {
    // Its own temporary folder as the data directory (as test/support/database.ts does): the server runs as
    // user postgres, which may not enter a folder inside another private one.
    const dataDir = mkdtempSync(join(tmpdir(), "idgen-harness-pg-"));
    embedded = await startEmbeddedPostgres({ log: testLog, dataDir, port: 0, database: "postgres", ephemeral: true });
    serverUrl = embedded.url;
  }
}, 60_000);
afterAll(async () => {
  await embedded?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("bench:quick runs every section and writes well-formed results", async () => {
  const child = Bun.spawn([process.execPath, join(ROOT, "bench/service.bench.ts"), "--quick"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: serverUrl, RESULTS_DIR: dir, REPORT_FILE: join(dir, "RESULTS.md") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  if (code !== 0) console.error(stderr);
  expect(code).toBe(0);
  const { jsonFile, svgFile, reportFile } = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const results = JSON.parse(readFileSync(jsonFile, "utf8"));

  expect(results.quick).toBe(true);
  expect(results.machine.cores).toBeGreaterThan(0);
  expect(results.machine.cpuProbeMsBefore).toBeGreaterThan(0);
  expect(results.machine.cpuProbeMsAfter).toBeGreaterThan(0);
  const byName = Object.fromEntries(results.scenarios.map((s: { name: string }) => [s.name, s]));
  // The ceiling and the endpoints this build has are measured; the others are reported as absent, not failed.
  for (const name of ["ceiling: trivial Hono handler", "issue", "validate", "mixed registry day"]) {
    expect(byName[name].status).toBe("measured");
    if (name.startsWith("ceiling")) {
      // Run before and after every other run of a round: once more than there are runs.
      expect(byName[name].rounds.length).toBeGreaterThan(results.settings.rounds);
    } else {
      expect(byName[name].rounds.length).toBe(results.settings.rounds);
      // Each run is compared with the ceiling measured just before and after it.
      expect(byName[name].around.length).toBe(results.settings.rounds);
    }
    expect(byName[name].requestsPerSecond).toBeGreaterThan(0);
    expect(byName[name].p99Ms).toBeGreaterThanOrEqual(byName[name].p50Ms);
  }
  // Requests the harness builds are well-formed: answers that cannot fail (the ceiling, validation) are all 2xx.
  expect(byName["ceiling: trivial Hono handler"].errors).toBe(0);
  expect(byName.validate.errors).toBe(0);
  expect(byName.issue.ratioToCeiling).toBeGreaterThan(0);
  for (const scenario of results.scenarios) expect(scenario.status).toMatch(/^(measured|skipped: endpoint absent)$/);
  expect(results.validationCost.handOverZod).toBeGreaterThan(0);
  expect(results.pods.map((p: { pods: number }) => p.pods)).toEqual(results.settings.pods);
  for (const pods of results.pods) {
    expect(pods.requestsPerSecond).toBeGreaterThan(0);
    expect(pods.memoryMb).toHaveLength(pods.pods);
    for (const memory of pods.memoryMb) expect(memory.rssMb).toBeGreaterThan(10);
  }
  expect(results.issuedAfter.map((r: { issued: number }) => r.issued)).toEqual(results.settings.issuedAfter);
  expect(results.issuedAfter[0].ratioToFresh).toBe(1);
  // Every refill variant built an exact pool (the bench checks that and throws otherwise) at some rate.
  expect(results.refill.variants.length).toBeGreaterThanOrEqual(2);
  for (const variant of results.refill.variants) expect(variant.idsPerSecond).toBeGreaterThan(0);
  expect(results.refill.claims[0].idsPerSecond).toBeGreaterThan(0);
  expect(results.rules.markdown).toContain("|");

  const svg = readFileSync(svgFile, "utf8");
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg).toContain("<rect");
  const report = readFileSync(reportFile, "utf8");
  expect(report).toContain("## Targets (issue 3)");
  expect(report).toContain("## What limits each figure");
  expect(report).toContain("| issue |");
}, 300_000);

test("bench:startup runs end to end and puts its section into the report, replacing the one there", async () => {
  const reportFile = join(dir, "STARTUP.md");
  writeFileSync(reportFile, `# Benchmark results\n\nother sections\n\n${STARTUP_BEGIN}\nan old start-up section\n${STARTUP_END}\n`);
  const child = Bun.spawn([process.execPath, join(ROOT, "bench/startup.bench.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: serverUrl, RESULTS_DIR: dir, REPORT_FILE: reportFile, SIZES: "0,2000", ROUNDS: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) console.error(stderr);
  expect(code).toBe(0);
  const report = readFileSync(reportFile, "utf8");
  expect(report.startsWith("# Benchmark results\n\nother sections")).toBe(true);
  expect(report).not.toContain("an old start-up section");
  expect(report.split(STARTUP_BEGIN)).toHaveLength(2);
  const section = startupSection(reportFile);
  expect(section).toContain("## Start-up time against pool size (issue 3)");
  // One row per database: the two sizes, the almost-used one and the drained largest one; the SQL timed.
  for (const label of ["| 0 |", "| 2000 |", "| 100000 + length 4 almost used |", "| 2000, all issued (pool empty) |", "| claimChunks(bench, 1 chunk) |"]) {
    expect(section).toContain(label);
  }
  const jsonName = readdirSync(dir).find((name) => name.startsWith("startup-") && name.endsWith(".json"));
  const results = JSON.parse(readFileSync(join(dir, jsonName!), "utf8"));
  for (const row of results.rows) expect(row.medians.ready).toBeGreaterThanOrEqual(row.medians.live);
}, 300_000);

test("bench:registry grows a registry, measures refills at each size and step, writes its results and drops its database", async () => {
  const out = mkdtempSync(join(dir, "registry-"));
  const child = Bun.spawn([process.execPath, join(ROOT, "bench/registry.bench.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: serverUrl, RESULTS_DIR: out, BENCH_SIZES: "0,30000", BENCH_STEPS: "1000,4000", BENCH_TOTAL: "8000", BENCH_ROUNDS: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) console.error(stderr);
  expect(code).toBe(0);
  const results = JSON.parse(readFileSync(join(out, readdirSync(out).find((name) => /^registry-.*\.json$/.test(name))!), "utf8"));
  // Two sizes (the second reached by the preload, past what the first size's refills added) times two steps.
  expect(results.summary.map((row: { step: number }) => row.step)).toEqual([1000, 4000, 1000, 4000]);
  expect(results.summary[0].registered).toBe(0);
  expect(results.summary[2].registered).toBeGreaterThanOrEqual(30_000);
  expect(results.summary[2].indexMb).toBeGreaterThan(0); // ~1.5 MB of primary key for 30,000+ IDs
  for (const sample of results.samples) {
    expect(sample.added).toBeGreaterThan(0.9 * 8000); // BENCH_TOTAL per step and round
    expect(sample.walBytesPerId).toBeGreaterThan(0);
  }
  const md = readFileSync(join(out, "registry-latest.md"), "utf8");
  expect(md).toContain("| IDs registered (at the start) |");
  expect(md.split("\n").filter((line) => /^\| [\d,]+ \| \d+ \| \d+ \| [\d,]+ \|/.test(line))).toHaveLength(4);
  const postgres = (await import("postgres")).default;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    const left = await admin`select datname from pg_database where datname like 'idgen_bench_registry_%'`;
    expect(left.map((row) => row.datname)).toEqual([]);
  } finally {
    await admin.end({ timeout: 1 });
  }
}, 300_000);
