// @idgen/rules: ESM bindings of the rules engine. The same file runs in Bun, Node and browsers; it loads
// build/rules.wasm beside it unless told otherwise, and gives each ID type its own small instance.
import { PROFILES, RulesConfigError, resolveParameters, configureArguments } from "./params.js";
import { makeRules, REASONS } from "./rules.js";
import { analyseSpace, refuseUnusableSpace } from "./space.js";

export { PROFILES, REASONS, RulesConfigError, resolveParameters };

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
  await refuseUnusableSpace(parameters, engine, async (trial) => (await instantiate(module, trial, false)).analysis);
  const sampler = load.sampler ?? "auto";
  if (!["auto", "rejection", "enumeration"].includes(sampler)) throw new RulesConfigError("sampler", "must be auto, rejection or enumeration");
  return makeRules(parameters, engine, sampler);
}

async function instantiate(module, parameters, deep = true) {
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
  engine.analysis = analyseSpace(engine, parameters, deep);
  return engine;
}

