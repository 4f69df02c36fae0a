// The automaton of the fast paths, and the single-digit fast path. The rules that look at a few neighbouring
// digits (repeating digits, +1/-1 runs, runs of evens) and the restricted/cyclic patterns are folded into one
// deterministic automaton built at configuration, whose states also remember the first of those rules that
// failed, so a digit costs one table lookup for all of them. pairs.ts reads it two digits at a time and is the
// fast path of every configuration whose repeated blocks are pairs (every profile); fastCode() below, one digit
// at a time with a stamp table for repeated blocks, serves the others (blocks of 1, 3 or 4 digits), and leaves
// every filter failure to the full evaluation in validateId(). (A variant with independent lookups in a table of
// all 4-digit windows instead of the automaton's dependent chain measured 1.2-1.3x slower in the same run.)
import { STEP } from "./verhoeff";
import { NOT_DIGITS, CHECKSUM, NOT_START_WITH, SEQUENCE, REPEATING_DIGIT, CONJUGATIVE_EVEN, RESTRICTED, CYCLIC } from "./checks";
import {
  idLength, sequenceLimit, sequenceWrap, repeatDistance, blockLimit, evenLimit, evenMask,
  groupActive, groupLimit, reverseActive, reverseLimit, ROW_OFFSET, PREFIX_NEXT, PREFIX_END, AC_GOTO, AC_OUT, MATCH_RESTRICTED, MATCH_CYCLIC,
} from "./params";

const MAX_STATES = 32768;
/** Above this many automaton states the pair tables of pairs.ts (states × 224-448 bytes) are not built. */
export const MAX_PAIR_STATES = 8192;
export const DEAD = 0;
export const START = 1;
const NONE = 10; // "no digit yet" in the remembered digits
export const NEXT = new StaticArray<i16>(MAX_STATES * 10);
const STATE_RECENT = new StaticArray<i32>(MAX_STATES); // last digits, most recent first, base 11
const STATE_UP = new StaticArray<i32>(MAX_STATES);
const STATE_DOWN = new StaticArray<i32>(MAX_STATES);
const STATE_EVEN = new StaticArray<i32>(MAX_STATES);
const STATE_PATTERN = new StaticArray<i32>(MAX_STATES); // node of the restricted/cyclic automaton
/** First failing reason among the automaton's rules so far: 0 none, a reason code, or UNKNOWN_FAILURE. */
export const STATE_FAIL = new StaticArray<u8>(MAX_STATES);
export const UNKNOWN_FAILURE: u8 = 255;
const MAX_FAST_BLOCK = 4;
const BLOCK_STAMP = new StaticArray<u32>(10000);
let stamp: u32 = 0;
let blockPower = 1; // 10^(blockLimit - 1)
export let fastPathReady = false;
/** States of the automaton last built (DEAD and START included). */
export let fastStates = 0;

/**
 * Builds one automaton for the neighbour rules and the restricted/cyclic patterns together, by breadth-first
 * search over the reachable combinations. Each state also remembers the first failing reason among those rules
 * (STATE_FAIL), so that the fast path can name it without the full evaluation; if that makes the automaton too
 * large, failed states merge into DEAD (STATE_FAIL = UNKNOWN_FAILURE). False (no fast path) if even that
 * exceeds MAX_STATES.
 */
export function buildFastPath(): bool {
  fastPathReady = false;
  const remembered = repeatDistance > 1 ? repeatDistance : 1;
  if (remembered > 4 || blockLimit > MAX_FAST_BLOCK) return false;
  blockPower = 1;
  for (let i = 1; i < blockLimit; i++) blockPower *= 10;
  // Remembering reasons multiplies the states (openg2p-10: 37 to 182); past what the pair tables take, merge.
  if (!(buildStates(remembered, true) && fastStates <= MAX_PAIR_STATES) && !buildStates(remembered, false)) return false;
  fastPathReady = true;
  return true;
}

@inline function firstOf(current: i32, failing: bool, reason: i32): i32 {
  return failing && (current == 0 || reason < current) ? reason : current;
}

function buildStates(remembered: i32, tracking: bool): bool {
  let modulus = 1;
  for (let i = 0; i < remembered; i++) modulus *= 11;
  const index = new Map<u64, i32>();
  let states = 2;
  unchecked(STATE_RECENT[START] = modulus - 1); // every remembered digit NONE: 10·(1 + 11 + …) = 11^r - 1
  unchecked(STATE_UP[START] = 0);
  unchecked(STATE_DOWN[START] = 0);
  unchecked(STATE_EVEN[START] = 0);
  unchecked(STATE_PATTERN[START] = 0);
  unchecked(STATE_FAIL[START] = 0);
  unchecked(STATE_FAIL[DEAD] = UNKNOWN_FAILURE);
  for (let x = 0; x < 10; x++) unchecked(NEXT[DEAD * 10 + x] = <i16>DEAD);
  for (let state = START; state < states; state++) {
    const recent = unchecked(STATE_RECENT[state]);
    const last = recent % 11;
    for (let x = 0; x < 10; x++) {
      let fail = <i32>unchecked(STATE_FAIL[state]);
      let repeated = false;
      let rest = recent;
      for (let k = 0; k < repeatDistance; k++) {
        if (rest % 11 == x) repeated = true;
        rest /= 11;
      }
      // Runs are capped at their limit: past it a run fails the same way whatever its length.
      let up = last != NONE && (x == last + 1 || (sequenceWrap && last == 9 && x == 0)) ? unchecked(STATE_UP[state]) + 1 : 1;
      let down = last != NONE && (x == last - 1 || (sequenceWrap && last == 0 && x == 9)) ? unchecked(STATE_DOWN[state]) + 1 : 1;
      fail = firstOf(fail, up >= sequenceLimit || down >= sequenceLimit, SEQUENCE);
      if (up > sequenceLimit) up = sequenceLimit;
      if (down > sequenceLimit) down = sequenceLimit;
      fail = firstOf(fail, repeated, REPEATING_DIGIT);
      let even = evenLimit > 0 && ((evenMask >> <u32>x) & 1) != 0 ? unchecked(STATE_EVEN[state]) + 1 : 0;
      fail = firstOf(fail, evenLimit > 0 && even >= evenLimit, CONJUGATIVE_EVEN);
      if (even > evenLimit) even = evenLimit;
      const pattern = <i32>unchecked(AC_GOTO[unchecked(STATE_PATTERN[state]) * 10 + x]);
      const matched = unchecked(AC_OUT[pattern]);
      fail = firstOf(fail, (matched & MATCH_RESTRICTED) != 0, RESTRICTED);
      fail = firstOf(fail, (matched & MATCH_CYCLIC) != 0, CYCLIC);
      let next = DEAD;
      if (fail == 0 || tracking) {
        const nextRecent = (recent * 11 + x) % modulus;
        const key = (((((<u64>nextRecent << 6 | <u64>up) << 6 | <u64>down) << 6 | <u64>even) << 12) | <u64>pattern) << 4 | <u64>fail;
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
          unchecked(STATE_PATTERN[next] = pattern);
          unchecked(STATE_FAIL[next] = <u8>fail);
        }
      }
      unchecked(NEXT[state * 10 + x] = <i16>next);
    }
  }
  fastStates = states;
  return true;
}

/** Whether the first `group` bytes at ptr equal the last `group` (reversed: read backwards) of len bytes. */
@inline export function endsEqual(ptr: usize, len: i32, group: i32, reversed: bool): bool {
  if (group <= 8 && len >= 8) {
    const mask: u64 = group == 8 ? <u64>-1 : ((<u64>1 << (<u64>group * 8)) - 1);
    const head = load<u64>(ptr);
    const tail = load<u64>(ptr + <usize>(len - 8));
    const other = reversed ? bswap<u64>(tail) : tail >> (<u64>(8 - group) * 8);
    return ((head ^ other) & mask) == 0;
  }
  for (let i = 0; i < group; i++) {
    const mirror = reversed ? len - 1 - i : len - group + i;
    if (load<u8>(ptr + <usize>i) != load<u8>(ptr + <usize>mirror)) return false;
  }
  return true;
}

@inline function endsDiffer(ptr: usize, len: i32): bool {
  return !(groupActive && endsEqual(ptr, len, groupLimit, false)) && !(reverseActive && endsEqual(ptr, len, reverseLimit, true));
}

export const UNDECIDED = -1;

/** Whether the ID starts with a not_start_with entry (its bytes are known to be digits). */
@inline function startsBlocked(ptr: usize, len: i32): bool {
  let node = 0;
  for (let j = 0; j < len; j++) {
    node = <i32>unchecked(PREFIX_NEXT[node * 10 + (<i32>load<u8>(ptr + <usize>j) - 48)]);
    if (node < 0) return false;
    if (unchecked(PREFIX_END[node]) != 0) return true;
  }
  return false;
}

/**
 * Reason code of the ID at ptr (idLength bytes) when one pass is sure of it, else UNDECIDED (the full
 * evaluation names the first failure). Sure means: valid, not_digits, checksum or not_start_with, the first
 * reasons in id-rules.md's order. Checksum comes before every filter and random input fails it 9 times in 10,
 * so mixed input mostly never reaches the full evaluation (it used to run it for every invalid ID).
 */
export function fastCode(ptr: usize): i32 {
  const len = idLength;
  if (++stamp == 0) {
    memory.fill(changetype<usize>(BLOCK_STAMP), 0, 10000 * 4);
    stamp = 1;
  }
  let product = 0;
  let state = START;
  let repeatedBlock: u32 = 0;
  {
    let block = 0;
    for (let j = 0; j < len; j++) {
      const x = <i32>load<u8>(ptr + <usize>j) - 48;
      if (<u32>x > 9) return NOT_DIGITS;
      product = <i32>unchecked(STEP[unchecked(ROW_OFFSET[j]) + product * 10 + x]);
      state = <i32>unchecked(NEXT[state * 10 + x]);
      const leaving = j >= blockLimit ? <i32>load<u8>(ptr + <usize>(j - blockLimit)) - 48 : 0;
      block = (block - leaving * blockPower) * 10 + x;
      if (j >= blockLimit - 1) {
        repeatedBlock |= <u32>(unchecked(BLOCK_STAMP[block]) == stamp);
        unchecked(BLOCK_STAMP[block] = stamp);
      }
    }
  }
  if (product != 0) return CHECKSUM;
  if (startsBlocked(ptr, len)) return NOT_START_WITH;
  if (unchecked(STATE_FAIL[state]) != 0 || repeatedBlock != 0 || !endsDiffer(ptr, len)) return UNDECIDED;
  return 0;
}
