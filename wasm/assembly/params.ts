// The configured rule parameters of this instance and the two pattern automata built from them:
// a trie of the `not_start_with` prefixes, and one Aho–Corasick automaton over the restricted and the
// cyclic numbers (its outputs say which of the two matched, since they are reported as different reasons).
// Ranges are checked by the JS binding before configure() is called; here they are trusted.

export const MAX_LENGTH = 32;
export const MAX_PATTERN_NODES = 4096;

export let idLength = 10;
export let sequenceLimit = 3;
export let sequenceWrap = false;
/** Largest distance k at which two equal digits are rejected (0: rule off). */
export let repeatDistance = 1;
export let blockLimit = 2;
/** 0: rule off. */
export let evenLimit = 3;
/** Bit d set when digit d counts as even. */
export let evenMask: u32 = 0b0101010101;
export let groupActive = false;
export let groupLimit = 0;
export let reverseActive = false;
export let reverseLimit = 0;

/** Verhoeff permutation row of each position counted from the left: (L - 1 - j) mod 8. */
export const ROW_OFFSET = new StaticArray<i32>(MAX_LENGTH);

// Prefix trie: PREFIX_NEXT[node*10 + digit] is the child or -1; PREFIX_END marks a complete entry.
export const PREFIX_NEXT = new StaticArray<i16>(MAX_PATTERN_NODES * 10);
export const PREFIX_END = new StaticArray<u8>(MAX_PATTERN_NODES);
let prefixNodes = 1;

// Aho–Corasick: AC_GOTO is the full transition function after build; AC_OUT bit 1 = restricted, bit 2 = cyclic.
export const MATCH_RESTRICTED: u8 = 1;
export const MATCH_CYCLIC: u8 = 2;
export const AC_GOTO = new StaticArray<i16>(MAX_PATTERN_NODES * 10);
export const AC_OUT = new StaticArray<u8>(MAX_PATTERN_NODES);
const AC_FAIL = new StaticArray<i16>(MAX_PATTERN_NODES);
const AC_QUEUE = new StaticArray<i16>(MAX_PATTERN_NODES);
let acNodes = 1;

const CYCLIC_PRIMES: StaticArray<i32> = [7, 17, 19, 23, 29, 47, 59, 61, 97];
const CYCLIC_DIGITS = new StaticArray<u8>(96);

export function setParameters(
  length: i32, seqLimit: i32, seqWrap: bool, repeatMax: i32, block: i32, even: i32, evenBits: u32,
  group: i32, reverse: i32, groupOverlap: bool,
): void {
  idLength = length;
  sequenceLimit = seqLimit;
  sequenceWrap = seqWrap;
  repeatDistance = repeatMax;
  blockLimit = block;
  evenLimit = even;
  evenMask = evenBits;
  const need = groupOverlap ? 1 : 2;
  groupLimit = group;
  groupActive = group > 0 && length >= need * group;
  reverseLimit = reverse;
  reverseActive = reverse > 0 && length >= need * reverse;
  for (let j = 0; j < length; j++) unchecked(ROW_OFFSET[j] = ((length - 1 - j) & 7) * 100);
  resetPatterns();
}

function resetPatterns(): void {
  prefixNodes = 1;
  acNodes = 1;
  for (let i = 0; i < MAX_PATTERN_NODES * 10; i++) {
    unchecked(PREFIX_NEXT[i] = -1);
    unchecked(AC_GOTO[i] = -1);
  }
  for (let i = 0; i < MAX_PATTERN_NODES; i++) {
    unchecked(PREFIX_END[i] = 0);
    unchecked(AC_OUT[i] = 0);
  }
}

/** Adds a not_start_with entry (ASCII digits at ptr). Returns false when the trie is full. */
export function addPrefix(ptr: usize, len: i32): bool {
  let node = 0;
  for (let i = 0; i < len; i++) {
    const slot = node * 10 + (<i32>load<u8>(ptr + <usize>i) - 48);
    let next = <i32>unchecked(PREFIX_NEXT[slot]);
    if (next < 0) {
      if (prefixNodes >= MAX_PATTERN_NODES) return false;
      next = prefixNodes++;
      unchecked(PREFIX_NEXT[slot] = <i16>next);
    }
    node = next;
  }
  unchecked(PREFIX_END[node] = 1);
  return true;
}

/** Adds a substring pattern of the given kind (MATCH_RESTRICTED or MATCH_CYCLIC). False when full. */
export function addSubstring(ptr: usize, len: i32, kind: u8): bool {
  let node = 0;
  for (let i = 0; i < len; i++) {
    const slot = node * 10 + (<i32>load<u8>(ptr + <usize>i) - 48);
    let next = <i32>unchecked(AC_GOTO[slot]);
    if (next < 0) {
      if (acNodes >= MAX_PATTERN_NODES) return false;
      next = acNodes++;
      unchecked(AC_GOTO[slot] = <i16>next);
    }
    node = next;
  }
  unchecked(AC_OUT[node] = AC_OUT[node] | kind);
  return true;
}

/** Adds the repetends of 1/p for the full-reptend primes whose period fits in an ID. */
export function addCyclicNumbers(): bool {
  const ptr = changetype<usize>(CYCLIC_DIGITS);
  for (let k = 0; k < CYCLIC_PRIMES.length; k++) {
    const p = unchecked(CYCLIC_PRIMES[k]);
    const period = p - 1;
    if (period > idLength) continue;
    let remainder = 1;
    for (let i = 0; i < period; i++) {
      remainder *= 10;
      store<u8>(ptr + <usize>i, <u8>(48 + remainder / p));
      remainder %= p;
    }
    if (!addSubstring(ptr, period, MATCH_CYCLIC)) return false;
  }
  return true;
}

/** Completes the Aho–Corasick automaton: failure links by breadth-first search, outputs merged along them. */
export function buildAutomaton(): void {
  let head = 0;
  let tail = 0;
  for (let x = 0; x < 10; x++) {
    const child = <i32>unchecked(AC_GOTO[x]);
    if (child < 0) {
      unchecked(AC_GOTO[x] = 0);
    } else {
      unchecked(AC_FAIL[child] = 0);
      unchecked(AC_QUEUE[tail++] = <i16>child);
    }
  }
  while (head < tail) {
    const node = <i32>unchecked(AC_QUEUE[head++]);
    const fail = <i32>unchecked(AC_FAIL[node]);
    unchecked(AC_OUT[node] = AC_OUT[node] | AC_OUT[fail]);
    for (let x = 0; x < 10; x++) {
      const child = <i32>unchecked(AC_GOTO[node * 10 + x]);
      const viaFail = unchecked(AC_GOTO[fail * 10 + x]);
      if (child < 0) {
        unchecked(AC_GOTO[node * 10 + x] = viaFail);
      } else {
        unchecked(AC_FAIL[child] = viaFail);
        unchecked(AC_QUEUE[tail++] = <i16>child);
      }
    }
  }
}
