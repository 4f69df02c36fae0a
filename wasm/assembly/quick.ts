// The quick path of validation: one pass over an ID of the type's length that settles almost every input
// without the full evaluation. It reads two digits at a time and does only independent table lookups, so the
// CPU overlaps them (the automaton of fastpath.ts is a chain of dependent lookups, one per digit):
// - Verhoeff over digit pairs (STEP_PAIR), the one chain left;
// - every rule that looks at a few neighbouring digits (repeats, +1/-1 runs, runs of evens, restricted and
//   cyclic numbers) through WINDOW, a table over all 4-digit windows built from the automaton at configuration:
//   when every such rule spans at most 4 digits, an ID breaks none of them iff no window of it does. A window
//   that starts a pattern longer than 4 digits is marked too, and the full evaluation decides;
// - repeated pairs (repeating_block_limit 2) through a stamp table.
// The outcome is a reason code when it is certain from what was computed (valid, not_digits, checksum,
// not_start_with: the first three reasons and the first rule) and UNDECIDED otherwise. Random input fails the
// checksum 9 times in 10, and checksum comes before every filter, so mixed input mostly never leaves this pass.
import { STEP } from "./verhoeff";
import { NEXT, START, DEAD, endsEqual, fastPathReady } from "./fastpath";
import {
  idLength, sequenceLimit, repeatDistance, blockLimit, evenLimit, groupActive, groupLimit, reverseActive,
  reverseLimit, ROW_OFFSET, PREFIX_NEXT, PREFIX_END, AC_GOTO, AC_DEPTH,
} from "./params";

export const UNDECIDED = -1;
const NOT_DIGITS = 1;
const CHECKSUM = 3;
const NOT_START_WITH = 4;

const WINDOW_SPAN = 4;
// Pair values are masked to 0..127 so that bytes that are not digits still index inside the tables (their
// outcome is not_digits whatever the lookups return). 100 is the "no pair yet" value: its row of WINDOW is clean.
const PAIR_SLOTS = 128;
const NO_PAIR = 100;
const WINDOW = new StaticArray<u8>(PAIR_SLOTS * 100 + PAIR_SLOTS);
/** Verhoeff over two digits: STEP_PAIR[row * 1280 + product * 128 + pair], row of the pair's first digit. */
const STEP_PAIR = new StaticArray<u8>(8 * 10 * PAIR_SLOTS);
const PAIR_ROW = new StaticArray<i32>(32);
const PAIR_STAMP = new StaticArray<u32>(PAIR_SLOTS);
let pairStamp: u32 = 0;
export let quickReady = false;

/** Builds the tables; false (no quick path) when a rule spans more than 4 digits or blocks are not pairs. */
export function buildQuickPath(): bool {
  quickReady = false;
  if (!fastPathReady || idLength < WINDOW_SPAN || blockLimit != 2 || repeatDistance + 1 > WINDOW_SPAN) return false;
  if (sequenceLimit > WINDOW_SPAN || evenLimit > WINDOW_SPAN) return false;
  for (let row = 0; row < 8; row++) {
    const nextRow = (row + 7) & 7; // the second digit sits one position closer to the end
    for (let product = 0; product < 10; product++) {
      for (let pair = 0; pair < PAIR_SLOTS; pair++) {
        let value = 0;
        if (pair < 100) {
          const middle = <i32>unchecked(STEP[row * 100 + product * 10 + pair / 10]);
          value = <i32>unchecked(STEP[nextRow * 100 + middle * 10 + pair % 10]);
        }
        unchecked(STEP_PAIR[(row * 10 + product) * PAIR_SLOTS + pair] = <u8>value);
      }
    }
  }
  for (let j = 0; j < idLength; j++) unchecked(PAIR_ROW[j] = unchecked(ROW_OFFSET[j]) / 100 * 10 * PAIR_SLOTS);
  for (let i = 0; i < WINDOW.length; i++) unchecked(WINDOW[i] = 0);
  for (let window = 0; window < 10000; window++) {
    let state = START;
    let node = 0;
    let divisor = 1000;
    for (let i = 0; i < WINDOW_SPAN; i++) {
      const x = window / divisor % 10;
      divisor /= 10;
      state = <i32>unchecked(NEXT[state * 10 + x]);
      node = <i32>unchecked(AC_GOTO[node * 10 + x]);
    }
    // node is the longest suffix of the window that begins a pattern: all 4 digits when its depth is 4.
    const flagged = state == DEAD || <i32>unchecked(AC_DEPTH[node]) >= WINDOW_SPAN;
    unchecked(WINDOW[(window / 100) * 100 + window % 100] = <u8>flagged);
  }
  quickReady = true;
  return true;
}

@inline function digitAt(ptr: usize, j: i32): i32 {
  return <i32>load<u8>(ptr + <usize>j) - 48;
}

/** Whether the ID starts with a not_start_with entry (its bytes are known to be digits). */
@inline function startsBlocked(ptr: usize, len: i32): bool {
  let node = 0;
  for (let j = 0; j < len; j++) {
    node = <i32>unchecked(PREFIX_NEXT[node * 10 + digitAt(ptr, j)]);
    if (node < 0) return false;
    if (unchecked(PREFIX_END[node]) != 0) return true;
  }
  return false;
}

/** Reason code of the ID at ptr (idLength bytes) when this pass is sure of it, else UNDECIDED. */
export function quickCode(ptr: usize): i32 {
  const len = idLength;
  if (++pairStamp == 0) {
    memory.fill(changetype<usize>(PAIR_STAMP), 0, PAIR_SLOTS * 4);
    pairStamp = 1;
  }
  const stamp = pairStamp;
  let outside = 0; // negative once a byte is not a digit
  let product = 0;
  let flagged: u32 = 0; // a window breaks a neighbour rule, or a pair repeats
  let older = NO_PAIR; // the pair two offsets back
  let old = NO_PAIR; // the pair one offset back
  let k = 0;
  for (; k + 3 <= len; k += 2) { // pairs at offsets k and k + 1
    const a = digitAt(ptr, k);
    const b = digitAt(ptr, k + 1);
    const c = digitAt(ptr, k + 2);
    outside |= a | (9 - a) | b | (9 - b);
    const first = (a * 10 + b) & (PAIR_SLOTS - 1);
    const second = (b * 10 + c) & (PAIR_SLOTS - 1);
    product = <i32>unchecked(STEP_PAIR[unchecked(PAIR_ROW[k]) + product * PAIR_SLOTS + first]);
    flagged |= <u32>unchecked(WINDOW[older * 100 + first]) | <u32>unchecked(WINDOW[old * 100 + second]);
    // A pair seen anywhere before counts, even one offset back: equal neighbouring pairs mean "aaa", and where
    // the rules allow that the full evaluation decides.
    flagged |= <u32>(unchecked(PAIR_STAMP[first]) == stamp);
    unchecked(PAIR_STAMP[first] = stamp);
    flagged |= <u32>(unchecked(PAIR_STAMP[second]) == stamp);
    unchecked(PAIR_STAMP[second] = stamp);
    older = first;
    old = second;
  }
  if (k + 2 == len) { // even length: the last pair
    const a = digitAt(ptr, k);
    const b = digitAt(ptr, k + 1);
    outside |= a | (9 - a) | b | (9 - b);
    const last = (a * 10 + b) & (PAIR_SLOTS - 1);
    product = <i32>unchecked(STEP_PAIR[unchecked(PAIR_ROW[k]) + product * PAIR_SLOTS + last]);
    flagged |= <u32>unchecked(WINDOW[older * 100 + last]);
    flagged |= <u32>(unchecked(PAIR_STAMP[last]) == stamp);
  } else { // odd length: the last digit (its pair with the one before is already counted)
    const a = digitAt(ptr, k);
    outside |= a | (9 - a);
    product = <i32>unchecked(STEP[unchecked(ROW_OFFSET[k]) + product * 10 + (<u32>a <= 9 ? a : 0)]);
  }
  if (outside < 0) return NOT_DIGITS;
  if (product != 0) return CHECKSUM;
  if (startsBlocked(ptr, len)) return NOT_START_WITH;
  if (flagged != 0) return UNDECIDED;
  if (groupActive && endsEqual(ptr, len, groupLimit, false)) return UNDECIDED;
  if (reverseActive && endsEqual(ptr, len, reverseLimit, true)) return UNDECIDED;
  return 0;
}
