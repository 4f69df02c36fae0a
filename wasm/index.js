// @idgen/rules: ESM bindings of the rules engine. The same file runs in Bun, Node and browsers; it loads
// build/rules.wasm beside it unless told otherwise, and gives each ID type its own small instance.
import { PROFILES, RulesConfigError, resolveParameters, configureArguments } from "./params.js";
import { makeRules, REASONS } from "./rules.js";
import { analyseSpace, refuseUnusableSpace } from "./space.js";

export { PROFILES, REASONS, RulesConfigError, resolveParameters };

let defaultModule;

// The smallest module using a v128 instruction (a function returning i8x16.splat of 0): whether this runtime
// has WebAssembly SIMD. Bun, Node ≥ 16, Chrome ≥ 91, Firefox ≥ 89 and Safari ≥ 16.4 have it; elsewhere the
// default is the scalar build of the same source (build/rules.scalar.wasm: same results, slower batches).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11,
]);
export const simdSupported = () => WebAssembly.validate(SIMD_PROBE);
/** The module file this runtime should load: "rules.wasm", or "rules.scalar.wasm" without SIMD. */
export const moduleFile = () => (simdSupported() ? "rules.wasm" : "rules.scalar.wasm");

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source && typeof source === "object" && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = source === undefined ? new URL(`./build/${moduleFile()}`, import.meta.url) : new URL(source, import.meta.url);
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
  return makeRules(parameters, engine, sampler, await sharedInstance(module, parameters));
}

// One instance per compiled module holds the fast paths of every ID type made from it (one context each), for
// validate(): JavaScriptCore calls one export from one call site much faster than a dozen instances' exports
// (about 90 ns per call more, measured in bench/rules.bench.ts). A context is freed when its Rules is collected.
const shared = new WeakMap();

async function sharedInstance(module, parameters) {
  if (!shared.has(module)) shared.set(module, makeHub(module));
  const hub = await shared.get(module);
  configureInstance(hub.wasm, hub.memory, parameters, hub.io);
  return { hub, context: hub.wasm.newContext() };
}

async function makeHub(module) {
  const instance = await WebAssembly.instantiate(module, imports(() => instance.exports.memory));
  const wasm = instance.exports;
  const hub = { wasm, memory: wasm.memory, validateIn: wasm.validateIn, io: wasm.ioPointer() };
  hub.bytes = new Uint8Array(hub.memory.buffer);
  hub.contexts = new FinalizationRegistry((context) => wasm.release(context));
  return hub;
}

function imports(memory) {
  return {
    env: {
      fillRandom(pointer, length) {
        globalThis.crypto.getRandomValues(new Uint8Array(memory().buffer, pointer, length));
      },
      abort() {
        throw new Error("rules engine: out of memory");
      },
    },
  };
}

function configureInstance(wasm, memory, parameters, io) {
  wasm.configure(...configureArguments(parameters));
  const encoder = new TextEncoder();
  const addAll = (name, list, add) => {
    for (const entry of list) {
      new Uint8Array(memory.buffer).set(encoder.encode(entry), io);
      if (!add(entry.length)) throw new RulesConfigError(name, "too many digits in all entries together");
    }
  };
  addAll("not_start_with", parameters.not_start_with, wasm.addNotStartWith);
  addAll("restricted_numbers", parameters.restricted_numbers, wasm.addRestricted);
  if (!wasm.finish(parameters.cyclic_numbers ? 1 : 0)) throw new RulesConfigError("restricted_numbers", "too many digits in all entries together");
}

async function instantiate(module, parameters, deep = true) {
  let memory;
  const instance = await WebAssembly.instantiate(module, imports(() => memory));
  const wasm = instance.exports;
  memory = wasm.memory;
  const engine = { wasm, memory, io: wasm.ioPointer(), ioBytes: wasm.ioBytes(), length: parameters.id_length };
  configureInstance(wasm, memory, parameters, engine.io);
  engine.analysis = analyseSpace(engine, parameters, deep);
  return engine;
}
