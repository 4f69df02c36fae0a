// The Rules object of one ID type over its own module instance: validation (one ID, or many through linear
// memory), check digits, uniform generation of distinct IDs, enumeration and the size of the space.

export const REASONS = Object.freeze([
  "not_digits", "length", "checksum", "not_start_with", "sequence", "repeating_digit", "repeating_block",
  "conjugative_even", "first_equals_last", "first_equals_reverse_last", "restricted", "cyclic",
]);

// One frozen result per reason code, so validate() allocates nothing.
const RESULTS = Object.freeze([
  Object.freeze({ valid: true, reason: null }),
  ...REASONS.map((reason) => Object.freeze({ valid: false, reason })),
]);

import { SPARSE_ENUMERATION_MAX, WALK_COUNT, WALK_EMIT } from "./space.js";

/** A space with at most this many valid IDs is enumerated once and generate() samples from the list. */
const ENUMERATED_SPACE_MAX = 1 << 20;
/** At most this many IDs per generate() call (the set that keeps them distinct grows with it). */
export const GENERATE_MAX = 1 << 22;
/** Prefixes an exact count may visit: length 10 with the openg2p filters visits about 2·10^8 (seconds). */
const EXACT_VISIT_BUDGET = 2e9;
/** Above this estimated search-tree size, capacity() of a type longer than 10 digits is estimated. */
const EXACT_TREE_MAX = 5e8;
const ESTIMATE_PROBES = 200_000;
const Z95 = 1.959964;
/** Inputs longer than this are judged in JS: they can only be not_digits or length. */
const LONG_INPUT = 4096;

function requireCount(n, max, what) {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new RangeError(`${what}: count must be a whole number from 0 to ${max}, got ${n}`);
}

/** Uniform integers below a bound up to 2^32, from the CSPRNG, without modulo bias. */
function makeRandomBelow() {
  const words = new Uint32Array(4096);
  let next = words.length;
  return (bound) => {
    const limit = Math.floor(2 ** 32 / bound) * bound;
    for (;;) {
      if (next === words.length) {
        globalThis.crypto.getRandomValues(words);
        next = 0;
      }
      const word = words[next++];
      if (word < limit) return word % bound;
    }
  };
}

const decoder = new TextDecoder();
const toStrings = (lines) => (lines.length === 0 ? [] : decoder.decode(lines).slice(0, -1).split("\n"));

/**
 * `fast` is this type's fast path in the instance shared by every type of the module ({ hub, context }, see
 * index.js): validate() asks it first and asks this type's own instance only when it is unsure.
 */
export function makeRules(parameters, engine, sampler, fast) {
  const { wasm, memory, io, ioBytes, length, analysis } = engine;
  const { hub, context } = fast;
  const hubIo = hub.io;
  const validateIn = hub.validateIn;
  const stride = length + 1;
  const codesPointer = wasm.codesPointer();
  const validateExport = wasm.validate;
  let bytes = new Uint8Array(memory.buffer);
  const view = () => (bytes.byteLength === 0 ? (bytes = new Uint8Array(memory.buffer)) : bytes);
  let knownCount = analysis.exactCount;
  let enumerated;
  let capacityPromise;
  const randomBelow = makeRandomBelow();

  /** Exact number of valid IDs when the walk stays within `budget` prefixes, else undefined. */
  function countWithin(budget) {
    if (knownCount === undefined) {
      const found = wasm.walk(WALK_COUNT, budget, 0, 0n);
      if (found >= 0n) knownCount = found;
    }
    return knownCount;
  }

  function enumerateBytes(limit) {
    const count = countWithin(EXACT_VISIT_BUDGET);
    if (count === undefined) throw new RangeError("enumerate: this type has too many valid IDs to list");
    if (count > BigInt(limit)) throw new RangeError(`enumerate: this type has ${count} valid IDs, more than the limit ${limit}`);
    const size = Number(count) * stride;
    const pointer = wasm.alloc(size);
    try {
      wasm.walk(WALK_EMIT, Infinity, pointer, count);
      return new Uint8Array(memory.buffer, pointer, size).slice();
    } finally {
      wasm.release(pointer);
    }
  }

  /** n distinct IDs of an enumerated space: a partial Fisher–Yates shuffle over a sparse index map. */
  function sampleEnumerated(n, out) {
    const count = enumerated.length / stride;
    if (n > count) throw new RangeError(`generate: only ${count} valid IDs exist for this type, asked for ${n}`);
    const moved = new Map();
    for (let i = 0; i < n; i++) {
      const r = i + randomBelow(count - i);
      const picked = moved.get(r) ?? r;
      moved.set(r, moved.get(i) ?? i);
      out.set(enumerated.subarray(picked * stride, picked * stride + stride), i * stride);
    }
  }

  function generateBytes(n) {
    requireCount(n, GENERATE_MAX, "generate");
    const out = new Uint8Array(n * stride);
    if (n === 0) return out;
    const small = analysis.enumerate || (knownCount !== undefined && knownCount <= BigInt(ENUMERATED_SPACE_MAX));
    if (sampler === "enumeration" || (sampler === "auto" && small)) {
      enumerated ??= enumerateBytes(SPARSE_ENUMERATION_MAX);
      sampleEnumerated(n, out);
      return out;
    }
    if (knownCount !== undefined && BigInt(n) > knownCount) {
      throw new RangeError(`generate: only ${knownCount} valid IDs exist for this type, asked for ${n}`);
    }
    wasm.reserveDistinct(n);
    try {
      const perCall = Math.floor(ioBytes / stride);
      for (let done = 0; done < n; done += perCall) {
        const batch = Math.min(perCall, n - done);
        wasm.generate(batch, io);
        out.set(new Uint8Array(memory.buffer, io, batch * stride), done * stride);
      }
    } finally {
      wasm.releaseDistinct();
    }
    return out;
  }

  const space = 10 ** (length - 1);
  const exactCapacity = (count) => ({ count, exact: true, low: count, high: count, share: Number(count) / space, method: "enumeration", probes: 0 });

  /** Exact up to length 10 and wherever the search tree is small enough, else sampled. */
  function computeCapacity(method, probes) {
    if (method !== "sampling") {
      const tryExact = method === "enumeration" || length <= 10 || analysis.estimatedNodes < EXACT_TREE_MAX;
      const count = tryExact ? countWithin(EXACT_VISIT_BUDGET) : knownCount;
      if (count !== undefined) return exactCapacity(count);
      if (method === "enumeration") throw new RangeError("capacity: the space is too large to enumerate; use sampling");
    }
    wasm.estimate(probes);
    const [mean, variance] = new Float64Array(memory.buffer, wasm.estimatePointer(), 2);
    const margin = Z95 * Math.sqrt(variance / probes);
    const round = (value) => BigInt(Math.max(0, Math.round(value)));
    return {
      count: round(mean), exact: false, low: round(mean - margin), high: round(mean + margin),
      share: mean / space, method: "sampling", probes,
    };
  }

  /** Copies a string's UTF-16 units into the module, any non-digit as 127 (so '\n' inside stays a non-digit). */
  function write(id, at) {
    const target = view();
    for (let i = 0; i < id.length; i++) {
      const unit = id.charCodeAt(i);
      target[at + i] = unit - 48 >>> 0 <= 9 ? unit : 127;
    }
  }

  function runLines(total, codes, first) {
    const count = wasm.validateLines(total);
    codes.set(new Uint8Array(memory.buffer, codesPointer, count), first);
    return first + count;
  }

  /** The full evaluation in this type's own instance: the first failing rule of an ID the fast path left open. */
  function fullCode(id) {
    write(id, io);
    return validateExport(id.length);
  }

  const rules = Object.freeze({
    parameters,

    // The hot path of a validation service: the char codes go into the shared instance's memory through a view
    // kept until the memory grows, and one call taking the length returns a reason code (or -1: not sure).
    validate(id) {
      if (typeof id !== "string") return RESULTS[1];
      const length = id.length;
      if (length > LONG_INPUT) return RESULTS[/^\d*$/.test(id) ? 2 : 1];
      let target = hub.bytes;
      if (target.byteLength === 0) target = hub.bytes = new Uint8Array(hub.memory.buffer);
      for (let i = 0; i < length; i++) {
        const unit = id.charCodeAt(i);
        target[hubIo + i] = unit - 48 >>> 0 <= 9 ? unit : 127;
      }
      const code = validateIn(context, length);
      return RESULTS[code >= 0 ? code : fullCode(id)];
    },

    validateMany(ids) {
      const codes = new Uint8Array(ids.length);
      const long = [];
      let first = 0;
      let used = 0;
      for (let k = 0; k < ids.length; k++) {
        let id = ids[k];
        if (typeof id !== "string" || id.length > LONG_INPUT) {
          long.push(k);
          id = "";
        }
        if (used + id.length + 1 > ioBytes) {
          first = runLines(used, codes, first);
          used = 0;
        }
        write(id, io + used);
        bytes[io + used + id.length] = 10;
        used += id.length + 1;
      }
      if (used > 0) runLines(used, codes, first);
      for (const k of long) codes[k] = typeof ids[k] === "string" && /^\d*$/.test(ids[k]) ? 2 : 1;
      return codes;
    },

    validateBytes(input) {
      const parts = [];
      for (let start = 0; start < input.length; ) {
        let end = input.length;
        if (end - start > ioBytes - 1) {
          end = input.lastIndexOf(10, start + ioBytes - 2) + 1;
          if (end <= start) throw new RangeError("validateBytes: a line is longer than the module's buffer (1 MiB)");
        }
        view().set(input.subarray(start, end), io);
        let total = end - start;
        if (input[end - 1] !== 10) bytes[io + total++] = 10;
        const count = wasm.validateLines(total);
        parts.push(new Uint8Array(memory.buffer, codesPointer, count).slice());
        start = end;
      }
      if (parts.length === 1) return parts[0];
      const codes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      parts.reduce((at, part) => (codes.set(part, at), at + part.length), 0);
      return codes;
    },

    checkDigit(payload) {
      if (typeof payload !== "string" || !/^\d{1,4096}$/.test(payload)) {
        throw new RangeError("checkDigit: the payload must be a string of 1 to 4096 digits");
      }
      write(payload, io);
      return String(wasm.checkDigit(payload.length));
    },

    generateBytes,

    generate(n) {
      return toStrings(generateBytes(n));
    },

    enumerate(limit = 5_000_000) {
      return toStrings(enumerateBytes(limit));
    },

    knownCapacity() {
      return knownCount === undefined ? null : exactCapacity(knownCount);
    },

    capacity(options) {
      if (options?.method === undefined && options?.probes === undefined) {
        capacityPromise ??= Promise.resolve().then(() => computeCapacity(undefined, ESTIMATE_PROBES));
        return capacityPromise;
      }
      const probes = options.probes ?? ESTIMATE_PROBES;
      requireCount(probes, 1e8, "capacity");
      return Promise.resolve().then(() => computeCapacity(options.method, Math.max(2, probes)));
    },
  });
  if (context !== 0) hub.contexts.register(rules, context);
  return rules;
}
