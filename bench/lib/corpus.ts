// Corpora for the validation benchmark: valid IDs from the engine (a set repeated when the type is too sparse
// to generate a million in time) and a shuffled mix of half valid IDs, half random digit strings.
import type { Rules } from "../../wasm/index.js";
import { calibrateBatch } from "./engine";
import { fromLines, toLines } from "./validation.js";

export interface Corpus {
  name: "valid" | "mixed";
  ids: string[];
  /** The same IDs as newline-terminated bytes, built once, outside any timed region. */
  lines: Uint8Array;
  /** Distinct valid IDs the corpus repeats. */
  unique: number;
}

const decoder = new TextDecoder();

/** Up to `size` distinct valid IDs, generating for at most about `seconds`. */
function generateWithin(rules: Rules, size: number, seconds: number): string[] {
  const batch = calibrateBatch(rules, seconds);
  const ids: string[] = [];
  const start = performance.now();
  while (ids.length < size && (ids.length === 0 || performance.now() - start < seconds * 1000)) {
    const chunk = decoder.decode(rules.generateBytes(Math.min(batch, size - ids.length)));
    for (const id of chunk.slice(0, -1).split("\n")) ids.push(id);
  }
  return ids;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

function randomDigitStrings(count: number, length: number): string[] {
  return Array.from({ length: count }, () => {
    let id = "";
    for (let i = 0; i < length; i++) id += String.fromCharCode(48 + Math.floor(Math.random() * 10));
    return id;
  });
}

/** Re-reading the IDs from bytes gives flat strings, whatever way they were built. */
function corpusOf(name: Corpus["name"], ids: string[], unique: number): Corpus {
  const lines = toLines(ids);
  return { name, ids: fromLines(lines), lines, unique };
}

export function buildCorpora(rules: Rules, size: number, seconds: number): Corpus[] {
  const distinct = generateWithin(rules, size, seconds);
  const valid = Array.from({ length: size }, (_, k) => distinct[k % distinct.length] as string);
  const half = size >> 1;
  const mixed = shuffle([...valid.slice(0, half), ...randomDigitStrings(size - half, rules.parameters.id_length)]);
  return [corpusOf("valid", valid, distinct.length), corpusOf("mixed", mixed, Math.min(half, distinct.length))];
}
