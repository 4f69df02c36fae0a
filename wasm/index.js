// @idgen/rules: ESM bindings of the rules engine. The same file runs in Bun, Node and browsers; it loads
// build/rules.wasm beside it unless told otherwise, and gives each ID type its own small instance.
import { PROFILES, RulesConfigError, resolveParameters, configureArguments } from "./params.js";
import { makeRules, REASONS, WALK_COUNT, WALK_FIRST } from "./rules.js";

export { PROFILES, REASONS, RulesConfigError, resolveParameters };

const QUICK_PROBES = 2_000;

let defaultModule;

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source && typeof source === "object" && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = source === undefined ? new URL("./build/rules.wasm", import.meta.url) : new URL(source, import.meta.url);
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the rules module from ${url}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

function loadModule(source) {
  if (source !== undefined) return compile(source);
  defaultModule ??= compile(undefined);
  return defaultModule;
}

export async function createRules(options = {}, load = {}) {
  const parameters = resolveParameters(options);
  const module = await loadModule(load.wasm);
  const engine = await instantiate(module, parameters);
  await rejectEmptySpace(module, parameters, engine);
  return makeRules(parameters, engine);
}

async function instantiate(module, parameters) {
  let memory;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      fillRandom(pointer, length) {
        globalThis.crypto.getRandomValues(new Uint8Array(memory.buffer, pointer, length));
      },
      abort() {
        throw new Error("rules engine: out of memory");
      },
    },
  });
  const wasm = instance.exports;
  memory = wasm.memory;
  const engine = { wasm, memory, io: wasm.ioPointer(), ioBytes: wasm.ioBytes(), length: parameters.id_length };
  wasm.configure(...configureArguments(parameters));
  const encoder = new TextEncoder();
  const addAll = (name, list, add) => {
    for (const entry of list) {
      new Uint8Array(memory.buffer).set(encoder.encode(entry), engine.io);
      if (!add(entry.length)) throw new RulesConfigError(name, "too many digits in all entries together");
    }
  };
  addAll("not_start_with", parameters.not_start_with, wasm.addNotStartWith);
  addAll("restricted_numbers", parameters.restricted_numbers, wasm.addRestricted);
  if (!wasm.finish(parameters.cyclic_numbers ? 1 : 0)) throw new RulesConfigError("restricted_numbers", "too many digits in all entries together");
  engine.analysis = quickAnalysis(engine);
  return engine;
}

/** A first look at the space: exact when its search tree is small, else a rough estimate. */
function quickAnalysis(engine) {
  const { wasm, memory } = engine;
  wasm.estimate(QUICK_PROBES);
  const [leaves, , nodes, nodesVariance] = new Float64Array(memory.buffer, wasm.estimatePointer(), 4);
  const nodesHigh = nodes + 4 * Math.sqrt(nodesVariance / QUICK_PROBES);
  if (nodesHigh < 5e6) {
    const count = wasm.walk(WALK_COUNT, 5e7, 0, 0n);
    if (count >= 0n) return { exactCount: count, estimatedLeaves: Number(count), estimatedNodes: nodes };
  }
  return { exactCount: undefined, estimatedLeaves: leaves, estimatedNodes: nodes };
}

// Parameters that, turned off or widened, may let IDs through: named when a configuration admits nothing.
const RELAXATIONS = [
  ["not_start_with", { not_start_with: [] }],
  ["restricted_numbers", { restricted_numbers: [] }],
  ["repeating_block_limit", { repeating_block_limit: 32 }],
  ["repeating_limit", { repeating_limit: 0 }],
  ["sequence_limit", { sequence_limit: 32 }],
  ["conjugative_even_digits_limit", { conjugative_even_digits_limit: null }],
  ["digits_group_limit", { digits_group_limit: null }],
  ["reverse_digits_group_limit", { reverse_digits_group_limit: null }],
  ["cyclic_numbers", { cyclic_numbers: false }],
];

async function admitsSome(module, parameters, engine) {
  const { exactCount, estimatedLeaves } = engine.analysis;
  if (exactCount !== undefined) return exactCount > 0n;
  if (estimatedLeaves > 0) return true;
  return engine.wasm.walk(WALK_FIRST, 1e8, engine.io, 1n) > 0n;
}

async function rejectEmptySpace(module, parameters, engine) {
  if (await admitsSome(module, parameters, engine)) return;
  const culprits = [];
  for (const [name, relaxed] of RELAXATIONS) {
    const trial = resolveParameters({ ...parameters, ...relaxed });
    if (await admitsSome(module, trial, await instantiate(module, trial))) culprits.push(name);
  }
  const blamed = culprits[0] ?? "id_length";
  const hint = culprits.length ? `; relaxing ${culprits.join(" or ")} would admit some` : "";
  throw new RulesConfigError(blamed, `this configuration admits no valid ID of length ${parameters.id_length}${hint}`);
}
