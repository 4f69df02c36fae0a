// bench/RESULTS.md and its chart from one run's results (bench/service.bench.ts). The analysis paragraphs are
// written here once and filled with the run's figures, so the report never drifts from the JSON beside it.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, relative } from "node:path";

/* The results object of service.bench.ts; typed loosely here, its shape is defined where it is built. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Results = any;

const k = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "–" : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const x = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "–" : `${n.toFixed(2)}×`);
const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "–" : `${n.toFixed(2)} ms`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "met" : "**not met**");

/** Issue 3: single-ID issuance at this share of the trivial handler's throughput, at least. */
const ISSUANCE_TARGET = 0.8;

/** A bar chart of each scenario's throughput as a share of the ceiling, with the target (ISSUANCE_TARGET) drawn. */
export function chart(results: Results): string {
  const bars: { label: string; value: number }[] = [
    ...results.scenarios.filter((s: Results) => s.ratioToCeiling !== undefined).map((s: Results) => ({ label: s.name, value: s.ratioToCeiling })),
    { label: "issue, zod route (variant process)", value: results.validationCost.zod.ratioToCeiling },
    { label: "issue, hand-checked route (same)", value: results.validationCost.hand.ratioToCeiling },
    ...results.pods.map((p: Results) => ({ label: `issue, ${p.pods} pod(s)`, value: p.ratioToCeiling })),
  ].filter((bar) => Number.isFinite(bar.value));
  const width = 720, left = 210, barHeight = 22, gap = 8, top = 40;
  const height = top + bars.length * (barHeight + gap) + 40;
  const max = Math.max(1.2, ...bars.map((bar) => bar.value));
  const scale = (v: number) => ((width - left - 60) * v) / max;
  const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const rows = bars.map((bar, i) => {
    const y = top + i * (barHeight + gap);
    const fill = bar.value >= ISSUANCE_TARGET ? "#2f855a" : "#c05621";
    return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(bar.label)}</text>` +
      `<rect x="${left}" y="${y}" width="${scale(bar.value).toFixed(1)}" height="${barHeight}" fill="${fill}"/>` +
      `<text x="${left + scale(bar.value) + 6}" y="${y + 15}">${bar.value.toFixed(2)}×</text>`;
  });
  const line = (v: number, label: string, color: string, anchor: "end" | "start") =>
    `<line x1="${left + scale(v)}" y1="${top - 6}" x2="${left + scale(v)}" y2="${height - 30}" stroke="${color}" stroke-dasharray="4 3"/>` +
    `<text x="${left + scale(v) + (anchor === "end" ? -4 : 4)}" y="${height - 14}" text-anchor="${anchor}" fill="${color}">${label}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<text x="10" y="20" font-size="14" font-weight="bold">Requests/s as a share of a trivial Hono handler, same run (${results.date}, ${results.quick ? "quick" : "full"})</text>
${rows.join("\n")}
${line(ISSUANCE_TARGET, `${ISSUANCE_TARGET} target`, "#555", "end")}
${line(1, "ceiling", "#000", "start")}
</svg>
`;
}

/** bench/RESULTS.md's start-up section (bench/startup.bench.ts writes it) lies between these; a new report keeps it. */
export const STARTUP_BEGIN = "<!-- startup:begin -->";
export const STARTUP_END = "<!-- startup:end -->";

/** The start-up section of a report file, markers included, or "" when it has none (or there is no file). */
export function startupSection(reportFile: string): string {
  let text: string;
  try {
    text = readFileSync(reportFile, "utf8");
  } catch {
    return "";
  }
  const at = text.indexOf(STARTUP_BEGIN), end = text.indexOf(STARTUP_END);
  return at >= 0 && end > at ? text.slice(at, end + STARTUP_END.length) : "";
}

export function writeReport(results: Results, files: { reportFile: string; svgFile: string; jsonFile: string }): void {
  writeFileSync(files.svgFile, chart(results));
  const kept = startupSection(files.reportFile);
  writeFileSync(files.reportFile, kept ? `${markdown(results, files).trimEnd()}\n\n${kept}\n` : markdown(results, files));
}

export function markdown(results: Results, files: { reportFile: string; svgFile: string; jsonFile: string }): string {
  const rel = (file: string) => relative(dirname(files.reportFile), file) || basename(file);
  const m = results.machine;
  const issue = results.scenarios.find((s: Results) => s.name === "issue");
  const ceiling = results.scenarios.find((s: Results) => s.target === "ceiling");
  // The target is about refill speed when it matters: pods waiting on a drained pool. The healthy pool's
  // refill (one part, by design: background work that leaves a core to the requests) is shown beside it.
  const shipped = results.refill.variants.find((v: Results) => v.name.startsWith("shipped, pool drained"));
  const healthy = results.refill.variants.find((v: Results) => v.name.startsWith("shipped, pool healthy"));
  const before = results.refill.variants[0];
  const last = results.issuedAfter.at(-1);
  const lines: string[] = [];
  lines.push(`# Benchmark results`, ``);
  lines.push(`Generated by \`${results.command}\` (bench/service.bench.ts) on ${results.finishedAt}, in ${results.durationSeconds} s. Raw figures: [${basename(files.jsonFile)}](${rel(files.jsonFile)}).${results.quick ? " **Quick mode: proves the harness works; the figures mean nothing.**" : ""}`, ``);
  lines.push(`Machine: ${m.cores} cores (${m.cpu}), ${m.runtime} ${m.version}. Load average ${m.loadBefore.map((n: number) => n.toFixed(2)).join(" / ")} before, ${m.loadAfter.map((n: number) => n.toFixed(2)).join(" / ")} after (1/5/15 min). CPU probe (ms for a fixed loop; lower is faster) ${m.cpuProbeMsBefore} before, ${m.cpuProbeMsAfter} after. A load average above 2 on 2 cores means other work shared the machine: absolute figures from such a run are low and noisy, ratios measured in the same rounds still hold.`, ``);
  if (results.note) lines.push(`Conditions noted by whoever ran it: ${results.note}`, ``);
  lines.push(`Load: wrk -t1 -c${results.settings.connections}, ${results.settings.seconds} s per measurement, ${results.settings.scenarioRounds ?? results.settings.rounds} interleaved rounds for the scenarios (${results.settings.rounds} for request validation and issuance after IDs issued, ${Math.max(1, results.settings.rounds - 1)} for the pods), medians; every scenario's run sits between two runs of the ceiling (the order rotates each round), and its ratios are medians over rounds of its figure against the mean of those two (the ceiling row: all its runs). Sections 2 and 3 below compare with a ceiling run of the same round. The service ran with pool_min_threshold ${results.settings.poolThreshold} and pool_generation_batch_size ${results.settings.poolBatch} (refills land underneath the load), and with the audit off (\`IDGEN_AUDIT=off\`) except the row \"issue, audit on\": issue 3's targets are about the pool, and the audit (issue 5) adds a database commit under every issuance, which the audit-on row shows. The "issue" row's service has a database of its own, which only its own issuance grows; the other scenarios share one, where the batch and mixed scenarios register millions of IDs and so make every refill's database work dearer (that growth is measured on its own below, "Issuance after IDs issued"): the row "issue, on the registry the batch and mixed scenarios grow" is the issue row as measured until 2026-12-07.`, ``);

  lines.push(`## Targets (issue 3)`, ``, `| target | measured | verdict |`, `|---|---|---|`);
  lines.push(`| single-ID issuance ≥ ${ISSUANCE_TARGET}× the trivial handler (audit off) | ${x(issue?.ratioToCeiling)} (${k(issue?.requestsPerSecond)} vs ${k(ceiling?.requestsPerSecond)} req/s) | ${verdict(issue?.ratioToCeiling === undefined ? undefined : issue.ratioToCeiling >= ISSUANCE_TARGET)} |`);
  lines.push(`| issuance p99 ≤ 3× the trivial handler's | ${x(issue?.p99RatioToCeiling)} (${ms(issue?.p99Ms)} vs ${ms(ceiling?.p99Ms)}) | ${verdict(issue?.p99RatioToCeiling === undefined ? undefined : issue.p99RatioToCeiling <= 3)} |`);
  lines.push(`| refill ≥ 150k IDs/s into PostgreSQL, length 10 | ${k(shipped?.idsPerSecond)} IDs/s into a drained pool, whole refill path (${x(shipped?.ratioToBefore)} the path before this work, ${k(before?.idsPerSecond)}); ${k(healthy?.idsPerSecond)} IDs/s topping up a healthy pool (one transaction, by design) | ${verdict(shipped ? shipped.idsPerSecond >= 150_000 : undefined)} |`);
  lines.push(`| issuance after 5M issued ≥ 0.9× a fresh pool | after ${k(last?.issued)}: ${x(last?.ratioToFresh)} | ${last?.issued >= 5_000_000 ? verdict(last.ratioToFresh >= 0.9) : "not measured in this mode"} |`, ``);

  lines.push(`## HTTP scenarios`, ``, `![throughput as a share of the ceiling](${rel(files.svgFile)})`, ``);
  lines.push(`| scenario | k6 script | status | req/s | IDs/s | p50 | p99 | ratio to ceiling | p99 ratio | non-2xx |`, `|---|---|---|---|---|---|---|---|---|---|`);
  for (const s of results.scenarios) {
    lines.push(`| ${s.name} | ${s.k6 ? `bench/k6/${s.k6}` : ""} | ${s.status} | ${k(s.requestsPerSecond)} | ${k(s.idsPerSecond)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${x(s.ratioToCeiling)} | ${x(s.p99RatioToCeiling)} | ${s.status === "measured" ? s.errors : ""} |`);
  }
  lines.push(``, `Memory of the service process after these runs: ${results.serviceMemoryMb.rssMb.toFixed(0)} MB resident (peak ${results.serviceMemoryMb.peakMb.toFixed(0)} MB).`, ``);

  const v = results.validationCost;
  lines.push(`## Request validation on the issue route`, ``);
  lines.push(`One process (bench/servers/handchecked.ts: the same startService(), pool and buffers) serving two copies of the issue route without the audit write, identical but for how \`id_type\` is checked, interleaved. The shipped route (src/http/openg2p/routes.ts) checks by hand since 2026-12-06:`, ``);
  lines.push(`| route | req/s | p99 | ratio to ceiling |`, `|---|---|---|---|`);
  lines.push(`| zod-openapi \`c.req.valid("param")\` (before) | ${k(v.zod.requestsPerSecond)} | ${ms(v.zod.p99Ms)} | ${x(v.zod.ratioToCeiling)} |`);
  lines.push(`| hand-checked (\`TYPE_NAME.test(c.req.param("id_type"))\`, shipped) | ${k(v.hand.requestsPerSecond)} | ${ms(v.hand.p99Ms)} | ${x(v.hand.ratioToCeiling)} |`, ``);
  lines.push(`Hand-checking gains ${x(v.handOverZod)} on this route (median of per-round ratios). The OpenAPI document keeps the route's schema (registered with \`app.openAPIRegistry.registerPath\`, the handler served with plain \`app.post\`), so /openapi.json did not change.`, ``);

  lines.push(`## Pods on one database`, ``, `| pods | req/s in all | ratio to ceiling | p99 (worst pod) | non-2xx | memory per pod (RSS / peak) |`, `|---|---|---|---|---|---|`);
  for (const p of results.pods) {
    lines.push(`| ${p.pods} | ${k(p.requestsPerSecond)} | ${x(p.ratioToCeiling)} | ${ms(p.p99Ms)} | ${p.errors} | ${p.memoryMb.map((mem: Results) => `${mem.rssMb.toFixed(0)} / ${mem.peakMb.toFixed(0)} MB`).join(", ")} |`);
  }
  lines.push(``, `Each pod gets its own wrk (connections split evenly), all at once; the ceiling is one process measured in the same round.`, ``);

  lines.push(`## Issuance after IDs issued`, ``, `| IDs issued before (distinct registered) | req/s | p99 | non-2xx | ratio to a fresh pool |`, `|---|---|---|---|---|`);
  for (const r of results.issuedAfter) lines.push(`| ${k(r.issued)} (${k(r.registered)}) | ${k(r.requestsPerSecond)} | ${ms(r.p99Ms)} | ${r.errors} | ${x(r.ratioToFresh)} |`);
  lines.push(``, `"Issued" IDs are registered in the registry (pool_id_num) straight from the engine (COPY), as a long history of issues leaves them, so that 5M fit in the time budget; refills then insert into a registry of that size while the load runs.`, ``);

  lines.push(`## Refill and claim (PostgreSQL)`, ``, `Refill variants side by side (bench/refill.bench.ts), each on its own fresh database, ${results.refill.rounds} interleaved rounds of ${k(results.refill.batch)} IDs of length 10. Every variant is the whole refill as the service runs it (src/pool/replenish.ts replenishPool: generation in slices, lock, recount, insert), with a different insert or number of parallel transactions; rates are IDs added per second of that whole call. Generation alone: ${k(results.refill.generationIdsPerSecond)} IDs/s in the engine.`, ``);
  lines.push(`| variant | note | IDs/s | ratio to before |`, `|---|---|---|---|`);
  for (const variant of results.refill.variants) lines.push(`| ${variant.name} | ${variant.note} | ${k(variant.idsPerSecond)} | ${x(variant.ratioToBefore)} |`);
  lines.push(``, `| claim (one statement) | IDs/s | claims/s |`, `|---|---|---|`);
  for (const claim of results.refill.claims) lines.push(`| ${claim.claimIds} IDs (${claim.chunks} chunk rows) | ${k(claim.idsPerSecond)} | ${k(claim.claimsPerSecond)} |`);
  lines.push(``);

  lines.push(`## Rules engine micro-benchmarks`, ``, `\`${results.rules.command}\`, run inside this harness:`, ``);
  lines.push(results.rules.markdown.replace(/^#/gm, "###").trim(), ``);

  lines.push(`## What limits each figure, and what a larger machine would do`, ``);
  lines.push(`- **The ceiling and every HTTP figure** share ${m.cores} cores between the load generator (wrk, one thread: it takes most of a core by itself), the server, and PostgreSQL. The trivial handler is limited by wrk and by Bun's HTTP stack on about one core. On a machine with more cores and the load generator elsewhere, the ceiling rises roughly with the cores given to the server, and so does issuance: a pod's request path touches no database in steady state.`);
  lines.push(`- **Issuance** is limited by CPU: the pod's event loop (one core), and the cores it shares with wrk and with PostgreSQL. Three rows of the table above, measured in the same rounds, split the cost. "issue, pool filled beforehand" has no refill underneath: what is left between it and the ceiling is the request path (the request id, which reads a request header and so makes Bun build the request's Headers; the metrics; X-Request-Id in the response; until 2026-12-06 10:00 also Hono's TrieRouter, which built a new answer for every request: src/http/memo-router.ts remembers them per path since; and since 2026-12-06 16:30 the issue route's common case no longer goes through Hono at all: Bun's router answers it, src/http/lane.ts; the row "issue, lanes off" is the same service with \`IDGEN_HTTP_LANES=off\`, every request through Hono, measured in the same rounds) and the claims (a profile of 2026-12-06 with \`bun --cpu-prof-md src/main.ts\` under this load puts each at a few % of the pod's CPU, and Bun's own HTTP write, Response and Headers at about a fifth). "issue" adds the refill: its database work (every ID inserted into the registry and a chunk) competes for the same two cores, and its JavaScript runs in the refill thread (src/pool/refill-thread.ts). "issue, refills on the event loop" is the same with the refill's JavaScript on the event loop. With PostgreSQL on its own host the refill's database work leaves the pod's cores.`);
  const filled = results.scenarios.find((s: Results) => s.name.startsWith("issue, pool filled beforehand"));
  if (issue?.ratioToCeiling && filled?.ratioToCeiling) {
    // In units of the trivial handler's time per request (drift cancels, as in every ratio here): what an issued
    // ID costs the machine on top of the ceiling's request, with and without refills underneath.
    const refillShare = 1 / issue.ratioToCeiling - 1 / filled.ratioToCeiling;
    const allowed = 1 / ISSUANCE_TARGET - 1 / filled.ratioToCeiling;
    const verdictText = allowed <= 0 ? `nothing: the request path alone is below ${ISSUANCE_TARGET}×` : refillShare <= allowed ? `${allowed.toFixed(2)}, and the refill fits in it` : `${allowed.toFixed(2)}: the refill would have to cost ${(refillShare / allowed).toFixed(1)}× less than it does`;
    lines.push(`- **What the refill costs the requests**: per issued ID, the machine spends ${(1 / filled.ratioToCeiling).toFixed(2)} trivial requests' time with the pool filled beforehand and ${(1 / issue.ratioToCeiling).toFixed(2)} with refills underneath (1 / ratio, same rounds), so the refill takes ${refillShare.toFixed(2)} of a trivial request's time per ID. Issuance at ${ISSUANCE_TARGET}× leaves it ${verdictText}.`);
  }
  lines.push(`- **Issuance p99** follows the longest stretch the event loop cannot answer: with refills in the thread, mostly CPU taken by the refill's PostgreSQL backends (one transaction at a time unless the pool is under a quarter of its target, then two). Before refills moved off the event loop and into steps, a 200k-ID refill stalled the loop ~150 ms (p99 170 ms, 59x the trivial handler's, in a run of this harness at commit 3a79254 on 2026-12-06 06:04 whose results were not committed).`);
  lines.push(`- **Pods on one database**: on 2 cores extra pods only share the same CPU, so the total cannot grow; on a larger machine or a cluster each pod adds about one pod's throughput until PostgreSQL's claim rate (above: tens of claims/s per pod at these buffer sizes, a small share of what the database can do) becomes the limit.`);
  lines.push(`- **Refill** is limited by PostgreSQL's per-row work in the registry (pool_id_num for these length-10 IDs): a heap tuple, a B-tree entry and their WAL per ID, on a server that shares the cores with everything else (and, in a shared run, with other people's work). COPY writes the heap tuples in batches (one WAL record per page), and a refill is split into 2 transactions on disjoint key ranges so that two backends insert at once; more parts than the database has cores gain nothing (3 parts on 2 cores). Refills of one type are serialised across pods by design, so this scales with the database host's cores (REFILL_PARTS) and disk, not with pods; the ratio to the old path is the transferable figure. Since migration 007 the registry's key is (id, id_type), the ID compared first; the row \"before 007\" is the shipped drained refill on the old key order (id_type first), in the same rounds. Its gain grows with the registry (the probe and the COPY each descend the B-tree once per candidate): little at this benchmark's few hundred thousand IDs, 295-311 against 393 ms for the probe of 200,000 candidates at 3M (sql/migrations/007_registry_key_order.sql). Since migration 008 chunks are stored without compression (pglz took about 0.6 µs of PostgreSQL CPU per ID to compress them); the row \"before 008\" is the shipped drained refill with chunks compressed as before, in the same rounds. The probe for known IDs is one index scan over the sorted candidates (id = any(...), with table scans priced out for the refill's transaction: src/pool/queries.ts probeKnown); the row \"before the one-scan probe\" is the shipped drained refill with the lookup per candidate it replaced, in the same rounds. Its gain grows with the registry and is larger on PostgreSQL 17 and later, whose index scan skips between candidates on a leaf page.`);
  lines.push(`- **After N issued**: the registry grows by N rows, so each refill inserts into a deeper B-tree; issuance itself reads only chunk rows. Issuance stays near its fresh-pool rate because the refill's database work is a small share of the request's cost; that work per ID grows with the registry (at 5M IDs, whose primary key of about 250 MB as text outgrows 128 MB of shared_buffers, 1.7 to 2 times a fresh registry's; a quarter less with 1 GB: \`npm run bench:registry\`; keyed by number since migration 009, the index is about a quarter smaller: 79 against 105 MB for 2M IDs).`);
  lines.push(`- **Memory**: RSS of a pod is dominated by the Bun runtime and the WASM engine; the buffer of 1000 IDs per type is a few tens of KB.`, ``);
  return lines.join("\n") + "\n";
}
