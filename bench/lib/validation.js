// The three WASM validation paths, timed by the same code under Bun and under Node: one call per string ID,
// a batch of strings, and a batch of newline-separated bytes prepared outside the timed region.
import { timeItems } from "./measure.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** IDs as the bytes "id\n" repeated, the input of validateBytes (and what generateBytes returns). */
export const toLines = (ids) => encoder.encode(`${ids.join("\n")}\n`);

/** The inverse of toLines: flat strings, as a server would get them from a decoded request. */
export const fromLines = (lines) => decoder.decode(lines).slice(0, -1).split("\n");

export function countValid(codes) {
  let valid = 0;
  for (let k = 0; k < codes.length; k++) if (codes[k] === 0) valid++;
  return valid;
}

/** Each variant judges a whole corpus ({ ids, lines }) and returns how many IDs were valid. */
export const WASM_VARIANTS = {
  validate(rules, { ids }) {
    let valid = 0;
    for (let k = 0; k < ids.length; k++) if (rules.validate(ids[k]).valid) valid++;
    return valid;
  },
  validateMany: (rules, { ids }) => countValid(rules.validateMany(ids)),
  validateBytes: (rules, { lines }) => countValid(rules.validateBytes(lines)),
};

/** One sample per corpus and variant, in a fixed order: { corpus, variant, items, seconds, rate, valid }. */
export function measureWasm(rules, corpora) {
  const samples = [];
  for (const corpus of corpora) {
    for (const [variant, run] of Object.entries(WASM_VARIANTS)) {
      samples.push({ corpus: corpus.name, variant, ...timeItems(corpus.ids.length, () => run(rules, corpus)) });
    }
  }
  return samples;
}
