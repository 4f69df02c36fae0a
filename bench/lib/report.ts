// Turns the raw rounds of the rules benchmark into medians, per-round ratios and the markdown report, and
// states each target as pass or miss (the report asserts nothing).
import { median } from "./measure.js";

export interface Sample { items: number; seconds: number; rate: number; valid?: number }
export interface ValidationSeries { type: string; corpus: string; runtime: "bun" | "node"; variant: string; samples: Sample[] }
export interface GenerationSeries { type: string; call: string; samples: (Sample & { batch: number })[] }
export interface CapacitySeries { type: string; samples: { createSeconds: number; capacitySeconds: number; count: string; method: string }[] }
export interface Results {
  date: string;
  command: string;
  settings: Record<string, unknown>;
  machine: { bun: Record<string, unknown>; node: Record<string, unknown> };
  probes: { unit: string; before: number; after: number; rounds: number[]; node: number };
  validation: ValidationSeries[];
  generation: GenerationSeries[];
  capacity: CapacitySeries[];
}

const WASM = ["validate", "validateMany", "validateBytes"];

/** The median over rounds of a / b, each ratio taken within one round (the CPU's speed drifts between rounds). */
function ratio(a: Sample[] | undefined, b: Sample[] | undefined): number {
  if (!a || !b) return NaN;
  return median(a.map((sample, round) => sample.rate / (b[round]?.rate ?? NaN)));
}

/** Median extra nanoseconds per ID of `slow` over `fast`, within each round. */
function extraNanos(slow: Sample[] | undefined, fast: Sample[] | undefined): number {
  if (!slow || !fast) return NaN;
  return median(slow.map((sample, round) => 1e9 / sample.rate - 1e9 / (fast[round]?.rate ?? NaN)));
}

export function summarize(results: Results) {
  const find = (type: string, corpus: string, runtime: string, variant: string) =>
    results.validation.find((s) => s.type === type && s.corpus === corpus && s.runtime === runtime && s.variant === variant)?.samples;
  const rows = new Map<string, { type: string; corpus: string }>();
  for (const { type, corpus } of results.validation) rows.set(`${type}/${corpus}`, { type, corpus });
  const validation = [...rows.values()].map(({ type, corpus }) => {
    const rate = (runtime: string, variant: string) => median((find(type, corpus, runtime, variant) ?? []).map((s) => s.rate));
    const oracle = find(type, corpus, "bun", "oracle");
    const entry = (runtime: string) =>
      Object.fromEntries(WASM.map((variant) => [variant, rate(runtime, variant)])) as Record<string, number>;
    return {
      type, corpus, bun: entry("bun"), node: entry("node"), oracle: rate("bun", "oracle"),
      overOracle: Object.fromEntries(WASM.map((v) => [v, ratio(find(type, corpus, "bun", v), oracle)])) as Record<string, number>,
      nodeOverBun: Object.fromEntries(WASM.map((v) => [v, ratio(find(type, corpus, "node", v), find(type, corpus, "bun", v))])) as Record<string, number>,
      perCallNanos: {
        bun: extraNanos(find(type, corpus, "bun", "validate"), find(type, corpus, "bun", "validateBytes")),
        node: extraNanos(find(type, corpus, "node", "validate"), find(type, corpus, "node", "validateBytes")),
      },
    };
  });
  const generation = results.generation.map(({ type, call, samples }) => ({
    type, call, batch: samples[0]?.batch ?? 0, rate: median(samples.map((s) => s.rate)),
  }));
  const capacity = results.capacity.map(({ type, samples }) => ({
    type, createSeconds: median(samples.map((s) => s.createSeconds)),
    capacitySeconds: median(samples.map((s) => s.capacitySeconds)),
    count: samples[0]?.count ?? "", method: samples[0]?.method ?? "",
  }));
  return { validation, generation, capacity };
}

export type Summary = ReturnType<typeof summarize>;

const rate = (value: number) =>
  !Number.isFinite(value) ? "–" : value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(0);
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value >= 10 ? 0 : 1)}×` : "–");
const nanos = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)}` : "–");
const seconds = (value: number) => (value >= 1 ? `${value.toFixed(2)} s` : `${(value * 1000).toFixed(1)} ms`);
const table = (head: string[], body: string[][]) =>
  [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...body.map((cells) => `| ${cells.join(" | ")} |`)].join("\n");

function targets(summary: Summary) {
  const check = (what: string, measured: number, min: number) =>
    [what, rate(measured), `≥ ${rate(min)}`, Number.isFinite(measured) ? (measured >= min ? "pass" : "**miss**") : "–"];
  const rows: string[][] = [];
  for (const row of summary.validation.filter((r) => r.type === "openg2p-10")) {
    for (const runtime of ["bun", "node"] as const) {
      rows.push(check(`batch validation, validateBytes, ${runtime}, openg2p-10 ${row.corpus}`, row[runtime].validateBytes ?? NaN, 50e6));
    }
    rows.push(check(`per-call validation of strings, validate(), bun, openg2p-10 ${row.corpus}`, row.bun.validate ?? NaN, 20e6));
  }
  for (const [type, min] of [["openg2p-10", 1e6], ["openg2p-16", 150e3], ["openg2p-20", 30e3]] as const) {
    const found = summary.generation.find((g) => g.type === type && g.call === "generateBytes");
    rows.push(check(`generation, generateBytes, ${type}`, found?.rate ?? NaN, min));
  }
  return table(["target", "measured", "wanted", "result"], rows);
}

export function markdown(results: Results, summary: Summary): string {
  const { settings, machine, probes } = results;
  const validation = table(
    ["type", "corpus", "bun validate", "bun validateMany", "bun validateBytes", "node validate", "node validateMany",
      "node validateBytes", "TS oracle (bun)", "validate ÷ oracle", "validateBytes ÷ oracle"],
    summary.validation.map((r) => [r.type, r.corpus, ...WASM.map((v) => rate(r.bun[v] ?? NaN)), ...WASM.map((v) => rate(r.node[v] ?? NaN)),
      rate(r.oracle), times(r.overOracle.validate ?? NaN), times(r.overOracle.validateBytes ?? NaN)]),
  );
  const costs = table(
    ["type", "corpus", "bun ns/ID in validateBytes", "bun extra ns per validate() call", "node ns/ID in validateBytes",
      "node extra ns per validate() call", "node ÷ bun, validate", "node ÷ bun, validateBytes"],
    summary.validation.map((r) => [r.type, r.corpus, nanos(1e9 / (r.bun.validateBytes ?? NaN)), nanos(r.perCallNanos.bun),
      nanos(1e9 / (r.node.validateBytes ?? NaN)), nanos(r.perCallNanos.node), (r.nodeOverBun.validate ?? NaN).toFixed(2),
      (r.nodeOverBun.validateBytes ?? NaN).toFixed(2)]),
  );
  const generation = table(["type", "call", "batch", "valid IDs/s (one core)"],
    summary.generation.map((g) => [g.type, g.call, String(g.batch), rate(g.rate)]));
  const capacity = table(["type", "createRules()", "capacity()", "count", "method"],
    summary.capacity.map((c) => [c.type, seconds(c.createSeconds), seconds(c.capacitySeconds), c.count, c.method]));
  return `# Rules engine benchmark, ${results.date}

\`${results.command}\` — ${settings.rounds} interleaved round(s); medians of rounds, ratios are medians of per-round ratios.
Machine: ${machine.bun.cores} cores, ${machine.bun.cpu}, ${machine.bun.platform}; Bun ${machine.bun.version}, Node ${machine.node.version}.
CPU probe (${probes.unit}, lower is faster): before ${probes.before}, after ${probes.after}, per round ${probes.rounds.join(", ")}; in Node ${probes.node}.
Corpora: ${settings.idsAtLength10} IDs at length 10, scaled by 10/length; the TS oracle judges the first ${Number(settings.oracleShare) * 100} % of each.

## Validation throughput (IDs/s)

${validation}

## Where the time goes (ns per ID)

validateBytes is almost all WASM time; "extra per validate() call" is what one JS call per string adds on top. Every
type is validated from one shared call site, with a dozen Rules instances alive, as in a server with several ID types
(validate() reaches them all through one instance shared by the module's types: see wasm/README.md, "Validation
speed", for what limits each path).

${costs}

## Generation (valid IDs/s)

${generation}

## capacity() (openg2p)

${capacity}

## Targets

${targets(summary)}
`;
}
