// The Node side of the rules benchmark, started by bench/lib/node-runner.ts: loads wasm/index.js under `node`,
// reads the corpora Bun wrote, then for each case index read on stdin prints one JSON line of samples.
import { readFile } from "node:fs/promises";
import readline from "node:readline";
import { createRules } from "../wasm/index.js";
import { cpuProbe, machine } from "./lib/measure.js";
import { fromLines, measureWasm } from "./lib/validation.js";

const manifest = JSON.parse(await readFile(process.argv[2], "utf8"));
const cases = [];
for (const { options, corpora } of manifest.cases) {
  const loaded = [];
  for (const { name, file } of corpora) {
    const lines = new Uint8Array(await readFile(file));
    loaded.push({ name, lines, ids: fromLines(lines) });
  }
  cases.push({ rules: await createRules(options), corpora: loaded });
}

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
reply({ machine: machine(), probe: cpuProbe() });
for await (const line of readline.createInterface({ input: process.stdin })) {
  const found = cases[Number(line)];
  reply(found ? { samples: measureWasm(found.rules, found.corpora) } : { error: `no case ${line}` });
}
