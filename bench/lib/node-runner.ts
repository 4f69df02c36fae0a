// Runs the WASM validation variants under Node in one child process kept for the whole benchmark, so that its
// measurements interleave with Bun's. The corpora go through files: both runtimes judge the same bytes.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import type { RuleOptions } from "../../wasm/index";
import type { Corpus } from "./corpus";

const CHILD = fileURLToPath(new URL("../rules-node.mjs", import.meta.url));

export interface NodeSample {
  corpus: string;
  variant: string;
  items: number;
  seconds: number;
  rate: number;
  valid: number;
}

export interface NodeRunner {
  machine: Record<string, unknown>;
  probe: number;
  /** Times every WASM variant over both corpora of case `index` (its position in the list given at start). */
  measure(index: number): Promise<NodeSample[]>;
  close(): Promise<void>;
}

export async function startNodeRunner(cases: { options: RuleOptions; corpora: Corpus[] }[]): Promise<NodeRunner> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "rules-bench-"));
  const manifest = { cases: [] as { options: RuleOptions; corpora: { name: string; file: string }[] }[] };
  for (const [index, { options, corpora }] of cases.entries()) {
    const files = [];
    for (const corpus of corpora) {
      const file = path.join(directory, `${index}-${corpus.name}.txt`);
      await writeFile(file, corpus.lines);
      files.push({ name: corpus.name, file });
    }
    manifest.cases.push({ options, corpora: files });
  }
  const manifestFile = path.join(directory, "manifest.json");
  await writeFile(manifestFile, JSON.stringify(manifest));

  const child = spawn("node", [CHILD, manifestFile], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const replies = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextReply = async () => {
    const { value, done } = await replies.next();
    if (done) throw new Error(`the Node benchmark child ended early (exit ${await exited})`);
    const message = JSON.parse(value);
    if (message.error) throw new Error(`Node benchmark child: ${message.error}`);
    return message;
  };

  const { machine, probe } = await nextReply();
  return {
    machine,
    probe,
    async measure(index) {
      child.stdin.write(`${index}\n`);
      return (await nextReply()).samples;
    },
    async close() {
      child.stdin.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
