// Walking the space of valid IDs: uniform random generation, exhaustive enumeration and counting, and a
// sampling estimate of the space's size. All three build candidates digit by digit from the left with
// extend(), so a candidate is dropped at its first failing digit.
import { INV } from "./verhoeff";
import { idLength, repeatDistance, MAX_LENGTH } from "./params";
import { digitAt, productAt, extend, endsDiffer } from "./checks";

// Randomness comes from the host's CSPRNG (Web Crypto getRandomValues), a buffer at a time.
@external("env", "fillRandom")
declare function fillRandom(ptr: usize, len: i32): void;

const RANDOM_BYTES = 16384;
const RANDOM = new StaticArray<u8>(RANDOM_BYTES);
let randomPos = RANDOM_BYTES;

// REDUCE[bound * 256 + byte] is byte % bound, or 255 for the bytes at or above the largest multiple of bound
// below 256, which are rejected so that the result carries no bias (for bound 10: bytes ≥ 250, as id-rules.md
// says). A table instead of two divisions by a variable: this runs once per candidate digit.
const REDUCE = new StaticArray<u8>(11 * 256);

export function initReduce(): void {
  for (let bound = 1; bound <= 10; bound++) {
    const limit = 256 - 256 % bound;
    for (let byte = 0; byte < 256; byte++) unchecked(REDUCE[bound * 256 + byte] = byte < limit ? <u8>(byte % bound) : 255);
  }
}

/** A uniform integer in [0, bound) for 1 ≤ bound ≤ 10. */
@inline function randomBelow(bound: i32): i32 {
  while (true) {
    if (randomPos == RANDOM_BYTES) {
      fillRandom(changetype<usize>(RANDOM), RANDOM_BYTES);
      randomPos = 0;
    }
    const value = <i32>unchecked(REDUCE[(bound << 8) + <i32>unchecked(RANDOM[randomPos++])]);
    if (value != 255) return value;
  }
}

/** Completes a candidate whose payload is in DIGIT[0 .. L-2]: appends the check digit, checks the ends. */
@inline function completes(): bool {
  const last = idLength - 1;
  return extend(last, <i32>unchecked(INV[productAt(last - 1)])) && endsDiffer();
}

// Digits no ID may start with (the one-digit not_start_with entries), as a bit set, and how many remain.
let firstDigitsExcluded: u32 = 0;

export function excludeFirstDigit(digit: i32): void {
  firstDigitsExcluded |= 1 << <u32>digit;
}

// NTH_ALLOWED[excluded * 10 + rank]: the rank-th digit (from 0) whose bit is clear in the 10-bit set excluded.
const NTH_ALLOWED = new StaticArray<u8>(1024 * 10);

export function initNthAllowed(): void {
  for (let excluded = 0; excluded < 1024; excluded++) {
    let rank = 0;
    for (let x = 0; x < 10; x++) if (((excluded >> x) & 1) == 0) unchecked(NTH_ALLOWED[excluded * 10 + rank++] = <u8>x);
  }
}

/**
 * The next payload digit of a candidate. A digit equal to one of the previous r = min(repeatDistance, j)
 * digits always fails the repeating rule, and those r digits are always distinct (the rule keeps them so),
 * so exactly 10 - r digits remain at every position j whatever the prefix; likewise the first digit has a
 * fixed set of allowed values. Drawing uniformly among those remaining gives every surviving candidate the
 * same probability, (1/first)·Π 1/(10 - r_j), so rejection at the other rules stays exactly uniform while
 * fewer candidates die.
 */
@inline function drawDigit(j: i32): i32 {
  let excluded = firstDigitsExcluded;
  let choices = 10 - <i32>popcnt(excluded);
  if (j > 0) {
    const reach = repeatDistance < j ? repeatDistance : j;
    excluded = 0;
    for (let k = 1; k <= reach; k++) excluded |= 1 << <u32>digitAt(j - k);
    choices = 10 - reach;
  }
  return <i32>unchecked(NTH_ALLOWED[<i32>excluded * 10 + randomBelow(choices)]);
}

/**
 * Draws one valid ID into DIGIT. A candidate is thrown away whole at its first failing digit, so apart from
 * the exclusions of drawDigit this is exactly rejection sampling of uniform payloads: each valid ID is equally
 * likely. (Choosing "some allowed next digit" wherever one fails would be faster and would not be uniform.)
 */
function drawValid(): void {
  const payload = idLength - 1;
  while (true) {
    let j = 0;
    while (j < payload && extend(j, drawDigit(j))) j++;
    if (j == payload && completes()) return;
  }
}

// Open-addressing set of the IDs drawn in one generate run, so that a run hands out distinct IDs.
// Key: first 19 digits as one u64, the rest as another with the top bit set (so no key is all zero).
let setSlots: usize = 0;
let setMask: u32 = 0;

/** Prepares a set for `count` distinct IDs (load factor ≤ 1/2). Returns false if memory cannot grow. */
export function reserveDistinct(count: i32): bool {
  releaseDistinct();
  let slots: u32 = 1024;
  while (slots < <u32>count * 2) slots <<= 1;
  const bytes = <usize>slots * 16;
  setSlots = heap.alloc(bytes);
  if (setSlots == 0) return false;
  memory.fill(setSlots, 0, bytes);
  setMask = slots - 1;
  return true;
}

export function releaseDistinct(): void {
  if (setSlots != 0) heap.free(setSlots);
  setSlots = 0;
  setMask = 0;
}

/** Adds the ID in DIGIT to the set; false if it was there already. */
function insertDistinct(): bool {
  let low: u64 = 0;
  let high: u64 = 0;
  const split = idLength < 19 ? idLength : 19;
  for (let i = 0; i < split; i++) low = low * 10 + <u64>digitAt(i);
  for (let i = split; i < idLength; i++) high = high * 10 + <u64>digitAt(i);
  high |= (<u64>1) << 63;
  let slot = <u32>((low * 0x9E3779B97F4A7C15 ^ high * 0xC2B2AE3D27D4EB4F) >> 32) & setMask;
  while (true) {
    const at = setSlots + (<usize>slot << 4);
    const stored = load<u64>(at, 8);
    if (stored == 0) {
      store<u64>(at, low);
      store<u64>(at, high, 8);
      return true;
    }
    if (stored == high && load<u64>(at) == low) return false;
    slot = (slot + 1) & setMask;
  }
}

@inline function writeId(out: usize): void {
  for (let i = 0; i < idLength; i++) store<u8>(out + <usize>i, <u8>(48 + digitAt(i)));
  store<u8>(out + <usize>idLength, 10);
}

/** Writes `count` valid IDs, distinct within the current reserveDistinct() run, as "digits\n" at out. */
export function generate(count: i32, out: usize): void {
  const stride = <usize>(idLength + 1);
  for (let n = 0; n < count; n++) {
    do drawValid(); while (!insertDistinct());
    writeId(out + <usize>n * stride);
  }
}

export const WALK_COUNT = 0;
export const WALK_EMIT = 1;
export const WALK_FIRST = 2;
export const WALK_OVER_BUDGET: i64 = -1;
export const WALK_OVER_LIMIT: i64 = -2;

const NEXT_DIGIT = new StaticArray<i32>(MAX_LENGTH);

/**
 * Depth-first walk over every payload that survives the filters digit by digit, in ascending order.
 * Counts valid IDs (WALK_COUNT), also writes them at out (WALK_EMIT, at most `limit`), or stops at the first
 * (WALK_FIRST). Gives up with WALK_OVER_BUDGET after visiting `budget` prefixes.
 */
export function walk(mode: i32, budget: f64, out: usize, limit: i64): i64 {
  const payload = idLength - 1;
  const stride = <usize>(idLength + 1);
  let found: i64 = 0;
  let visited: f64 = 0;
  let depth = 0;
  unchecked(NEXT_DIGIT[0] = 0);
  while (depth >= 0) {
    if (depth == payload) {
      if (completes()) {
        if (mode != WALK_COUNT) {
          if (found >= limit) return WALK_OVER_LIMIT;
          writeId(out + <usize>found * stride);
        }
        found++;
        if (mode == WALK_FIRST) return found;
      }
      depth--;
      continue;
    }
    const x = unchecked(NEXT_DIGIT[depth]);
    if (x > 9) {
      depth--;
      continue;
    }
    unchecked(NEXT_DIGIT[depth] = x + 1);
    if (extend(depth, x)) {
      visited += 1;
      if (visited > budget) return WALK_OVER_BUDGET;
      depth++;
      unchecked(NEXT_DIGIT[depth] = 0);
    }
  }
  return found;
}

// estimate() results: mean and variance of the valid-ID estimate, then of the tree-size estimate.
export const ESTIMATE = new StaticArray<f64>(4);
const SURVIVORS = new StaticArray<i32>(10);

/**
 * Knuth's estimator of a search tree's size (Math. Comp. 29, 1975): walk down one random path, picking each
 * next digit uniformly among those that survive; the product of the survivor counts along the path is an
 * unbiased estimate of the number of leaves (valid IDs) at the end of it. Averages `probes` such walks.
 */
export function estimate(probes: i32): void {
  const payload = idLength - 1;
  let meanLeaves = 0.0, squaresLeaves = 0.0, meanNodes = 0.0, squaresNodes = 0.0;
  for (let n = 1; n <= probes; n++) {
    let weight = 1.0;
    let nodes = 1.0;
    let depth = 0;
    for (; depth < payload; depth++) {
      let survivors = 0;
      for (let x = 0; x < 10; x++) if (extend(depth, x)) unchecked(SURVIVORS[survivors++] = x);
      if (survivors == 0) break;
      extend(depth, unchecked(SURVIVORS[randomBelow(survivors)]));
      weight *= <f64>survivors;
      nodes += weight;
    }
    const leaves = depth == payload && completes() ? weight : 0.0;
    const deltaLeaves = leaves - meanLeaves;
    meanLeaves += deltaLeaves / <f64>n;
    squaresLeaves += deltaLeaves * (leaves - meanLeaves);
    const deltaNodes = nodes - meanNodes;
    meanNodes += deltaNodes / <f64>n;
    squaresNodes += deltaNodes * (nodes - meanNodes);
  }
  const divisor = probes > 1 ? <f64>(probes - 1) : 1.0;
  unchecked(ESTIMATE[0] = meanLeaves);
  unchecked(ESTIMATE[1] = squaresLeaves / divisor);
  unchecked(ESTIMATE[2] = meanNodes);
  unchecked(ESTIMATE[3] = squaresNodes / divisor);
}
