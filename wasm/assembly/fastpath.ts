// The fast path of validation for IDs that turn out valid, which is what validation mostly sees in production.
// The rules that look at a few neighbouring digits (repeating digits, +1/-1 runs, runs of evens) are folded
// into one deterministic automaton built at configuration, so a digit costs a table lookup for them, one for
// Verhoeff and one for the restricted/cyclic patterns, plus a stamp table for repeated blocks. When any of it
// fails, or the rules do not fit the tables, validateId() runs the full evaluation to name the first failure.
import { STEP } from "./verhoeff";
import {
  idLength, sequenceLimit, sequenceWrap, repeatDistance, blockLimit, evenLimit, evenMask,
  groupActive, groupLimit, reverseActive, reverseLimit, ROW_OFFSET, PREFIX_NEXT, PREFIX_END, AC_GOTO, AC_OUT,
} from "./params";

const MAX_STATES = 8192;
const DEAD = 0;
const START = 1;
const NONE = 10; // "no digit yet" in the remembered digits
const LOCAL_NEXT = new StaticArray<i16>(MAX_STATES * 10);
const STATE_RECENT = new StaticArray<i32>(MAX_STATES); // last digits, most recent first, base 11
const STATE_UP = new StaticArray<i32>(MAX_STATES);
const STATE_DOWN = new StaticArray<i32>(MAX_STATES);
const STATE_EVEN = new StaticArray<i32>(MAX_STATES);
const MAX_FAST_BLOCK = 4;
const BLOCK_STAMP = new StaticArray<u32>(10000);
let stamp: u32 = 0;
let blockPower = 1; // 10^(blockLimit - 1)
export let fastPathReady = false;

/** Builds the automaton by breadth-first search over the reachable states. False if it would be too large. */
export function buildFastPath(): bool {
  fastPathReady = false;
  const remembered = repeatDistance > 1 ? repeatDistance : 1;
  if (remembered > 4 || blockLimit > MAX_FAST_BLOCK) return false;
  let modulus = 1;
  for (let i = 0; i < remembered; i++) modulus *= 11;
  blockPower = 1;
  for (let i = 1; i < blockLimit; i++) blockPower *= 10;
  const index = new Map<u64, i32>();
  let states = 2;
  unchecked(STATE_RECENT[START] = modulus - 1); // every remembered digit NONE: 10·(1 + 11 + …) = 11^r - 1
  unchecked(STATE_UP[START] = 0);
  unchecked(STATE_DOWN[START] = 0);
  unchecked(STATE_EVEN[START] = 0);
  for (let x = 0; x < 10; x++) unchecked(LOCAL_NEXT[DEAD * 10 + x] = <i16>DEAD);
  for (let state = START; state < states; state++) {
    const recent = unchecked(STATE_RECENT[state]);
    const last = recent % 11;
    for (let x = 0; x < 10; x++) {
      let alive = true;
      let rest = recent;
      for (let k = 0; k < repeatDistance; k++) {
        if (rest % 11 == x) alive = false;
        rest /= 11;
      }
      const up = last != NONE && (x == last + 1 || (sequenceWrap && last == 9 && x == 0)) ? unchecked(STATE_UP[state]) + 1 : 1;
      const down = last != NONE && (x == last - 1 || (sequenceWrap && last == 0 && x == 9)) ? unchecked(STATE_DOWN[state]) + 1 : 1;
      if (up >= sequenceLimit || down >= sequenceLimit) alive = false;
      const even = evenLimit > 0 && ((evenMask >> <u32>x) & 1) != 0 ? unchecked(STATE_EVEN[state]) + 1 : 0;
      if (evenLimit > 0 && even >= evenLimit) alive = false;
      let next = DEAD;
      if (alive) {
        const nextRecent = (recent * 11 + x) % modulus;
        const key = (((<u64>nextRecent << 8 | <u64>up) << 8 | <u64>down) << 8) | <u64>even;
        if (index.has(key)) {
          next = index.get(key);
        } else {
          if (states >= MAX_STATES) return false;
          next = states++;
          index.set(key, next);
          unchecked(STATE_RECENT[next] = nextRecent);
          unchecked(STATE_UP[next] = up);
          unchecked(STATE_DOWN[next] = down);
          unchecked(STATE_EVEN[next] = even);
        }
      }
      unchecked(LOCAL_NEXT[state * 10 + x] = <i16>next);
    }
  }
  fastPathReady = true;
  return true;
}

/** True when the ID at ptr (idLength bytes) is certainly valid; false means "run the full evaluation". */
export function certainlyValid(ptr: usize): bool {
  const len = idLength;
  let prefixNode = 0;
  for (let j = 0; j < len && prefixNode >= 0; j++) {
    const x = <i32>load<u8>(ptr + <usize>j) - 48;
    if (<u32>x > 9) return false;
    prefixNode = <i32>unchecked(PREFIX_NEXT[prefixNode * 10 + x]);
    if (prefixNode >= 0 && unchecked(PREFIX_END[prefixNode]) != 0) return false;
  }
  if (++stamp == 0) {
    memory.fill(changetype<usize>(BLOCK_STAMP), 0, 10000 * 4);
    stamp = 1;
  }
  let product = 0;
  let state = START;
  let acNode = 0;
  let matched: u32 = 0;
  let repeatedBlock: u32 = 0;
  let block = 0;
  for (let j = 0; j < len; j++) {
    const x = <i32>load<u8>(ptr + <usize>j) - 48;
    if (<u32>x > 9) return false;
    product = <i32>unchecked(STEP[unchecked(ROW_OFFSET[j]) + product * 10 + x]);
    state = <i32>unchecked(LOCAL_NEXT[state * 10 + x]);
    acNode = <i32>unchecked(AC_GOTO[acNode * 10 + x]);
    matched |= <u32>unchecked(AC_OUT[acNode]);
    // Any earlier block with the same value counts here, overlapping or not: overlapping equal blocks need
    // repeated digits, and where those are allowed the full evaluation decides.
    const leaving = j >= blockLimit ? <i32>load<u8>(ptr + <usize>(j - blockLimit)) - 48 : 0;
    block = (block - leaving * blockPower) * 10 + x;
    if (j >= blockLimit - 1) {
      repeatedBlock |= <u32>(unchecked(BLOCK_STAMP[block]) == stamp);
      unchecked(BLOCK_STAMP[block] = stamp);
    }
  }
  if (product != 0 || state == DEAD || (matched | repeatedBlock) != 0) return false;
  if (groupActive) {
    let equal = true;
    for (let i = 0; i < groupLimit; i++) if (load<u8>(ptr + <usize>i) != load<u8>(ptr + <usize>(len - groupLimit + i))) equal = false;
    if (equal) return false;
  }
  if (reverseActive) {
    let equal = true;
    for (let i = 0; i < reverseLimit; i++) if (load<u8>(ptr + <usize>i) != load<u8>(ptr + <usize>(len - 1 - i))) equal = false;
    if (equal) return false;
  }
  return true;
}
