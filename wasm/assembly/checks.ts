// The filters, in two shapes. extend() appends one digit to a candidate read from the left and says whether
// the prefix can still become a valid ID (generation and counting reject a candidate at its first failing
// digit, so most die after a few digits). validateId() looks at a whole ID and returns the FIRST failing rule
// in the order of id-rules.md, so it evaluates every rule and then picks the lowest reason code.
import { STEP } from "./verhoeff";
import { fastCode, fastPathReady, UNDECIDED } from "./fastpath";
import { pairCode } from "./pairs";
import {
  idLength, sequenceLimit, sequenceWrap, repeatDistance, blockLimit, evenLimit, evenMask,
  groupActive, groupLimit, reverseActive, reverseLimit, ROW_OFFSET, PREFIX_NEXT, PREFIX_END,
  AC_GOTO, AC_OUT, MATCH_RESTRICTED, MATCH_CYCLIC, MAX_LENGTH,
} from "./params";

export const NOT_DIGITS = 1;
export const LENGTH = 2;
export const CHECKSUM = 3;
export const NOT_START_WITH = 4;
export const SEQUENCE = 5;
export const REPEATING_DIGIT = 6;
export const REPEATING_BLOCK = 7;
export const CONJUGATIVE_EVEN = 8;
export const FIRST_EQUALS_LAST = 9;
export const FIRST_EQUALS_REVERSE_LAST = 10;
export const RESTRICTED = 11;
export const CYCLIC = 12;

// State after each digit j of the candidate, at index BASE + j, so that a search can step back one digit at
// no cost. The slots below BASE describe the empty prefix: non-digit sentinels (never equal to a digit, never
// one step from one), so extend() needs no special case for the first digits.
export const BASE = 32;
const SLOTS = BASE + MAX_LENGTH;
const DIGIT = new StaticArray<i32>(SLOTS);
const SUFFIX_PRODUCT = new StaticArray<i32>(SLOTS); // Verhoeff product of the digits so far
const RUN_UP = new StaticArray<i32>(SLOTS);
const RUN_DOWN = new StaticArray<i32>(SLOTS);
const RUN_EVEN = new StaticArray<i32>(SLOTS);
const PREFIX_NODE = new StaticArray<i32>(SLOTS); // -1 once no not_start_with entry can match
const AC_NODE = new StaticArray<i32>(SLOTS);
const BLOCK_VALUE = new StaticArray<u64>(SLOTS); // value of the block of blockLimit digits starting at j
// For blockLimit ≤ 2: the set of block values that start at least blockLimit before the current block.
const SEEN_LOW = new StaticArray<u64>(SLOTS);
const SEEN_HIGH = new StaticArray<u64>(SLOTS);

export function resetState(): void {
  for (let i = 0; i < BASE; i++) {
    unchecked(DIGIT[i] = 100 + 3 * i);
    unchecked(SUFFIX_PRODUCT[i] = 0);
    unchecked(RUN_UP[i] = 0);
    unchecked(RUN_DOWN[i] = 0);
    unchecked(RUN_EVEN[i] = 0);
    unchecked(PREFIX_NODE[i] = 0);
    unchecked(AC_NODE[i] = 0);
    unchecked(SEEN_LOW[i] = 0);
    unchecked(SEEN_HIGH[i] = 0);
  }
}

/** Digit j (from the left) of the current candidate. */
@inline export function digitAt(j: i32): i32 {
  return unchecked(DIGIT[BASE + j]);
}

/** Verhoeff product of the candidate's first j + 1 digits (see verhoeff.ts). */
@inline export function productAt(j: i32): i32 {
  return unchecked(SUFFIX_PRODUCT[BASE + j]);
}

@inline function isUp(prev: i32, x: i32): bool {
  return (<i32>(x == prev + 1) | (<i32>sequenceWrap & <i32>(prev == 9) & <i32>(x == 0))) != 0;
}

@inline function isDown(prev: i32, x: i32): bool {
  return (<i32>(x == prev - 1) | (<i32>sequenceWrap & <i32>(prev == 0) & <i32>(x == 9))) != 0;
}

@inline function blockValueAt(at: i32): u64 {
  let value: u64 = 0;
  for (let i = 0; i < blockLimit; i++) value = value * 10 + <u64>unchecked(DIGIT[at + i]);
  return value;
}

@inline function bitIn(low: u64, high: u64, value: u64): bool {
  return (value < 64 ? (low >> value) & 1 : (high >> (value - 64)) & 1) != 0;
}

/**
 * Appends digit x at position j (0-based from the left) and says whether the prefix may still become a valid
 * ID. Candidates are random, so the outcome of each rule is unpredictable: the rules are combined without
 * branches and tested once at the end, which costs less than mispredicted early exits.
 */
export function extend(j: i32, x: i32): bool {
  const at = BASE + j;
  unchecked(DIGIT[at] = x);
  const prev = unchecked(DIGIT[at - 1]);
  let failed = 0;
  for (let k = 1; k <= repeatDistance; k++) failed |= <i32>(unchecked(DIGIT[at - k]) == x);

  const up = isUp(prev, x) ? unchecked(RUN_UP[at - 1]) + 1 : 1;
  const down = isDown(prev, x) ? unchecked(RUN_DOWN[at - 1]) + 1 : 1;
  failed |= <i32>(up >= sequenceLimit) | <i32>(down >= sequenceLimit);
  unchecked(RUN_UP[at] = up);
  unchecked(RUN_DOWN[at] = down);

  const even = ((evenMask >> <u32>x) & 1) != 0 ? unchecked(RUN_EVEN[at - 1]) + 1 : 0;
  failed |= <i32>(evenLimit > 0) & <i32>(even >= evenLimit);
  unchecked(RUN_EVEN[at] = even);

  let prefixNode = unchecked(PREFIX_NODE[at - 1]);
  if (prefixNode >= 0) {
    prefixNode = <i32>unchecked(PREFIX_NEXT[prefixNode * 10 + x]);
    if (prefixNode >= 0) failed |= <i32>unchecked(PREFIX_END[prefixNode]);
  }
  unchecked(PREFIX_NODE[at] = prefixNode);

  const acNode = <i32>unchecked(AC_GOTO[unchecked(AC_NODE[at - 1]) * 10 + x]);
  failed |= <i32>unchecked(AC_OUT[acNode]);
  unchecked(AC_NODE[at] = acNode);

  let seenLow = unchecked(SEEN_LOW[at - 1]);
  let seenHigh = unchecked(SEEN_HIGH[at - 1]);
  const start = at - blockLimit + 1;
  if (start >= BASE) {
    const value = blockValueAt(start);
    unchecked(BLOCK_VALUE[start] = value);
    if (blockLimit <= 2) {
      const entering = start - blockLimit; // the newest block that may no longer overlap this one
      if (entering >= BASE) {
        const old = unchecked(BLOCK_VALUE[entering]);
        if (old < 64) seenLow |= (<u64>1) << old; else seenHigh |= (<u64>1) << (old - 64);
      }
      failed |= <i32>bitIn(seenLow, seenHigh, value);
    } else {
      for (let i = BASE; i + blockLimit <= start; i++) failed |= <i32>(unchecked(BLOCK_VALUE[i]) == value);
    }
  }
  unchecked(SEEN_LOW[at] = seenLow);
  unchecked(SEEN_HIGH[at] = seenHigh);

  unchecked(SUFFIX_PRODUCT[at] = STEP[unchecked(ROW_OFFSET[j]) + unchecked(SUFFIX_PRODUCT[at - 1]) * 10 + x]);
  return failed == 0;
}

@inline function firstEqualsLast(): bool {
  for (let i = 0; i < groupLimit; i++) {
    if (digitAt(i) != digitAt(idLength - groupLimit + i)) return false;
  }
  return true;
}

@inline function firstEqualsReverseLast(): bool {
  for (let i = 0; i < reverseLimit; i++) {
    if (digitAt(i) != digitAt(idLength - 1 - i)) return false;
  }
  return true;
}

/** The two rules that compare the two ends of a complete candidate. True when neither rejects it. */
export function endsDiffer(): bool {
  return !(groupActive && firstEqualsLast()) && !(reverseActive && firstEqualsReverseLast());
}

/** Reason code of the ID at ptr (len bytes): 0 when valid, else the first failing rule (see constants). */
/** The pair fast path's context of this instance's own rules (pairs.ts), 0 when they do not fit it. */
export let ownContext: usize = 0;
export function setOwnContext(ctx: usize): void { ownContext = ctx; }

export function validateId(ptr: usize, len: i32): i32 {
  if (len == idLength && (ownContext != 0 || fastPathReady)) {
    const code = ownContext != 0 ? pairCode(ownContext, ptr) : fastCode(ptr);
    if (code != UNDECIDED) return code;
  }
  return fullCode(ptr, len);
}

/** Every rule, then the first failure: what the fast paths leave open. */
export function fullCode(ptr: usize, len: i32): i32 {
  if (len != idLength) {
    for (let i = 0; i < len; i++) if (<u32>(<i32>load<u8>(ptr + <usize>i) - 48) > 9) return NOT_DIGITS;
    return LENGTH;
  }
  let failed: u32 = 0;
  let product = 0;
  let up = 0;
  let down = 0;
  let even = 0;
  let prefixNode = 0;
  let acNode = 0;
  let matched: u32 = 0;
  let seenLow: u64 = 0;
  let seenHigh: u64 = 0;
  for (let j = 0; j < len; j++) {
    const x = <i32>load<u8>(ptr + <usize>j) - 48;
    if (<u32>x > 9) return NOT_DIGITS;
    const at = BASE + j;
    unchecked(DIGIT[at] = x);
    const prev = unchecked(DIGIT[at - 1]);
    product = unchecked(STEP[unchecked(ROW_OFFSET[j]) + product * 10 + x]);

    up = isUp(prev, x) ? up + 1 : 1;
    down = isDown(prev, x) ? down + 1 : 1;
    failed |= <u32>(<i32>(up >= sequenceLimit) | <i32>(down >= sequenceLimit)) << SEQUENCE;

    for (let k = 1; k <= repeatDistance; k++) failed |= <u32>(unchecked(DIGIT[at - k]) == x) << REPEATING_DIGIT;

    even = ((evenMask >> <u32>x) & 1) != 0 ? even + 1 : 0;
    failed |= <u32>(<i32>(evenLimit > 0) & <i32>(even >= evenLimit)) << CONJUGATIVE_EVEN;

    if (prefixNode >= 0) {
      prefixNode = <i32>unchecked(PREFIX_NEXT[prefixNode * 10 + x]);
      if (prefixNode >= 0) failed |= <u32>unchecked(PREFIX_END[prefixNode]) << NOT_START_WITH;
    }

    acNode = <i32>unchecked(AC_GOTO[acNode * 10 + x]);
    matched |= <u32>unchecked(AC_OUT[acNode]);

    const start = at - blockLimit + 1;
    if (start >= BASE) {
      const value = blockValueAt(start);
      unchecked(BLOCK_VALUE[start] = value);
      if (blockLimit <= 2) {
        const entering = start - blockLimit;
        if (entering >= BASE) {
          const old = unchecked(BLOCK_VALUE[entering]);
          if (old < 64) seenLow |= (<u64>1) << old; else seenHigh |= (<u64>1) << (old - 64);
        }
        failed |= <u32>bitIn(seenLow, seenHigh, value) << REPEATING_BLOCK;
      } else {
        for (let i = BASE; i + blockLimit <= start; i++) {
          failed |= <u32>(unchecked(BLOCK_VALUE[i]) == value) << REPEATING_BLOCK;
        }
      }
    }
  }
  failed |= <u32>(product != 0) << CHECKSUM;
  failed |= <u32>((matched & MATCH_RESTRICTED) != 0) << RESTRICTED;
  failed |= <u32>((matched & MATCH_CYCLIC) != 0) << CYCLIC;
  if (groupActive && firstEqualsLast()) failed |= 1 << FIRST_EQUALS_LAST;
  if (reverseActive && firstEqualsReverseLast()) failed |= 1 << FIRST_EQUALS_REVERSE_LAST;
  return failed == 0 ? 0 : <i32>ctz(failed);
}
