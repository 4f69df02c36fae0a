// Benchmark of the rules engine (wasm/): validation per interface against the TS oracle, in Bun and in Node,
// generation in pool-refill batches, and capacity(). Interleaved rounds, because these CPUs drift up to 3x.
// `npm run bench:rules`; env ROUNDS (default 5), QUICK=1 (one small round, results to a temp dir), RESULTS_DIR.
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { oracleParams, oracleValidate } from "../test/rules/oracle";
import { createRules, type RuleOptions, type Rules } from "../wasm/index.js";
import { buildCorpora, type Corpus } from "./lib/corpus";
import { calibrateBatch, measureCapacity, measureGenerateBytes, measureGenerateStrings, REFILL_BATCH } from "./lib/engine";
import { cpuProbe, machine, timeItems } from "./lib/measure.js";
import { startNodeRunner } from "./lib/node-runner";
import { markdown, summarize, type Results } from "./lib/report";
import { measureWasm } from "./lib/validation.js";

const QUICK = Bun.env.QUICK === "1";
const SETTINGS = {
  quick: QUICK,
  rounds: QUICK ? 1 : Number(Bun.env.ROUNDS ?? 5),
  /** IDs per validation corpus at length 10; longer types get 10/length of it. */
  idsAtLength10: QUICK ? 20_000 : 1_000_000,
  /** The oracle is about 10x slower: it judges this share of each corpus. */
  oracleShare: 0.1,
  /** Time allowed for generating a corpus's distinct valid IDs, and for each generation measurement. */
  corpusSeconds: QUICK ? 0.2 : 2,
  generationSeconds: QUICK ? 0.15 : 1.5,
  capacityLengths: QUICK ? [6, 8, 16, 32] : [6, 8, 10, 16, 32],
};
const TYPES: { type: string; options: RuleOptions }[] = [
  ...[10, 16, 20, 24, 32].map((length) => ({ type: `openg2p-${length}`, options: { profile: "openg2p", id_length: length } as RuleOptions })),
  { type: "mosip-uin", options: { profile: "mosip-uin" } },
  { type: "mosip-vid", options: { profile: "mosip-vid" } },
];
const RESULTS_DIR = Bun.env.RESULTS_DIR ??
  (QUICK ? path.join(os.tmpdir(), "rules-bench-quick") : fileURLToPath(new URL("./results", import.meta.url)));
const COMMAND = QUICK ? "QUICK=1 bun bench/rules.bench.ts" : `ROUNDS=${SETTINGS.rounds} npm run bench:rules`;
const log = (message: string) => console.error(`[bench:rules] ${message}`);

interface BenchType {
  type: string;
  options: RuleOptions;
  rules: Rules;
  corpora: Corpus[];
  oracle: { params: ReturnType<typeof oracleParams>; corpora: { name: string; ids: string[] }[] };
  refillBatch: number;
}

async function prepare(type: string, options: RuleOptions): Promise<BenchType> {
  const rules = await createRules(options);
  const size = Math.round((SETTINGS.idsAtLength10 * 10) / rules.parameters.id_length);
  const corpora = buildCorpora(rules, size, SETTINGS.corpusSeconds);
  const oracleSize = Math.ceil(size * SETTINGS.oracleShare);
  const oracle = { params: oracleParams(options), corpora: corpora.map(({ name, ids }) => ({ name, ids: ids.slice(0, oracleSize) })) };
  log(`${type}: ${size} IDs per corpus, ${corpora[0]?.unique} distinct valid`);
  return { type, options, rules, corpora, oracle, refillBatch: calibrateBatch(rules, SETTINGS.generationSeconds) };
}

function measureOracle({ oracle }: BenchType) {
  return oracle.corpora.map(({ name, ids }) => ({
    corpus: name,
    variant: "oracle",
    ...timeItems(ids.length, () => {
      let valid = 0;
      for (let k = 0; k < ids.length; k++) if (oracleValidate(oracle.params, ids[k] as string) === null) valid++;
      return valid;
    }),
  }));
}

const startedAt = new Date();
const probeBefore = cpuProbe();
log(`machine ${JSON.stringify(machine())}, probe ${probeBefore} ms; preparing corpora`);
const types: BenchType[] = [];
for (const { type, options } of TYPES) types.push(await prepare(type, options));
const node = await startNodeRunner(types);

const results: Results = {
  date: startedAt.toISOString().slice(0, 10),
  command: COMMAND,
  settings: SETTINGS,
  machine: { bun: machine(), node: node.machine },
  probes: { unit: "ms for 2·10^7 steps of an integer loop", before: probeBefore, after: 0, rounds: [], node: node.probe },
  validation: [],
  generation: [],
  capacity: [],
};
const series = <T extends { samples: unknown[] }>(list: T[], match: Omit<T, "samples">): T => {
  const key = JSON.stringify(match);
  let found = list.find(({ samples, ...rest }) => JSON.stringify(rest) === key);
  if (!found) list.push((found = { ...match, samples: [] } as unknown as T));
  return found;
};

for (let round = 0; round < SETTINGS.rounds; round++) {
  const roundStart = performance.now();
  results.probes.rounds.push(cpuProbe());
  for (const [index, bench] of types.entries()) {
    const bun = [...measureWasm(bench.rules, bench.corpora), ...measureOracle(bench)];
    const fromNode = await node.measure(index);
    for (const [runtime, samples] of [["bun", bun], ["node", fromNode]] as const) {
      for (const { corpus, variant, ...sample } of samples) {
        series(results.validation, { type: bench.type, corpus, runtime, variant }).samples.push(sample);
      }
    }
  }
  for (const bench of types) {
    const sample = measureGenerateBytes(bench.rules, bench.refillBatch, SETTINGS.generationSeconds);
    series(results.generation, { type: bench.type, call: "generateBytes" }).samples.push(sample);
  }
  const first = types[0] as BenchType;
  const strings = measureGenerateStrings(first.rules, REFILL_BATCH, SETTINGS.generationSeconds);
  series(results.generation, { type: first.type, call: "generate (strings)" }).samples.push(strings);
  for (const length of SETTINGS.capacityLengths) {
    const sample = await measureCapacity({ profile: "openg2p", id_length: length });
    series(results.capacity, { type: `openg2p-${length}` }).samples.push(sample);
  }
  log(`round ${round + 1}/${SETTINGS.rounds} done in ${((performance.now() - roundStart) / 1000).toFixed(1)} s`);
}
await node.close();
results.probes.after = cpuProbe();

for (const { type, corpus, runtime, variant, samples } of results.validation) {
  const counts = new Set(samples.map((sample) => sample.valid));
  if (counts.size > 1) log(`warning: ${type} ${corpus} ${runtime} ${variant} counted different valid IDs per round`);
  if (corpus === "valid" && samples.some((sample) => sample.valid !== sample.items)) {
    log(`warning: ${runtime} ${variant} rejected generated IDs of ${type}`);
  }
}
const summary = summarize(results);
const report = markdown(results, summary);
console.log(report);
await mkdir(RESULTS_DIR, { recursive: true });
const jsonFile = path.join(RESULTS_DIR, `rules-${results.date}.json`);
await writeFile(jsonFile, `${JSON.stringify({ ...results, summary }, null, 2)}\n`);
await writeFile(path.join(RESULTS_DIR, "rules-latest.md"), report);
log(`wrote ${jsonFile} and rules-latest.md`);
