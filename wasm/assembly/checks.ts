// The filters, in two shapes. extend() appends one digit to a candidate read from the left and says whether
// the prefix can still become a valid ID (generation and counting reject a candidate at its first failing
// digit, so most die after a few digits). validateId() looks at a whole ID and returns the FIRST failing rule
// in the order of id-rules.md, so it evaluates every rule and then picks the lowest reason code.
import { STEP } from "./verhoeff";
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

// State after each digit j of the candidate, so that a search can step back one digit at no cost.
export const DIGIT = new StaticArray<i32>(MAX_LENGTH);
export const SUFFIX_PRODUCT = new StaticArray<i32>(MAX_LENGTH); // Verhoeff product of the digits so far
const RUN_UP = new StaticArray<i32>(MAX_LENGTH);
const RUN_DOWN = new StaticArray<i32>(MAX_LENGTH);
const RUN_EVEN = new StaticArray<i32>(MAX_LENGTH);
const PREFIX_NODE = new StaticArray<i32>(MAX_LENGTH); // -1 once no not_start_with entry can match
const AC_NODE = new StaticArray<i32>(MAX_LENGTH);
const BLOCK_VALUE = new StaticArray<u64>(MAX_LENGTH); // value of the block of blockLimit digits starting at j
// For blockLimit ≤ 2: the set of block values that start at least blockLimit before the current block.
const SEEN_LOW = new StaticArray<u64>(MAX_LENGTH);
const SEEN_HIGH = new StaticArray<u64>(MAX_LENGTH);

@inline function isUp(prev: i32, x: i32): bool {
  return x == prev + 1 || (sequenceWrap && prev == 9 && x == 0);
}

@inline function isDown(prev: i32, x: i32): bool {
  return x == prev - 1 || (sequenceWrap && prev == 0 && x == 9);
}

@inline function blockValueAt(start: i32): u64 {
  let value: u64 = 0;
  for (let i = 0; i < blockLimit; i++) value = value * 10 + <u64>unchecked(DIGIT[start + i]);
  return value;
}

@inline function bitIn(low: u64, high: u64, value: u64): bool {
  return value < 64 ? ((low >> value) & 1) != 0 : ((high >> (value - 64)) & 1) != 0;
}

/** Appends digit x at position j (0-based from the left). False as soon as some rule must reject the ID. */
export function extend(j: i32, x: i32): bool {
  unchecked(DIGIT[j] = x);
  let product = 0;
  let up = 1;
  let down = 1;
  let even = 0;
  let prefixNode = 0;
  let acNode = 0;
  let seenLow: u64 = 0;
  let seenHigh: u64 = 0;
  if (j > 0) {
    const prev = unchecked(DIGIT[j - 1]);
    const reach = repeatDistance < j ? repeatDistance : j;
    for (let k = 1; k <= reach; k++) if (unchecked(DIGIT[j - k]) == x) return false;
    if (isUp(prev, x)) up = unchecked(RUN_UP[j - 1]) + 1;
    if (isDown(prev, x)) down = unchecked(RUN_DOWN[j - 1]) + 1;
    product = unchecked(SUFFIX_PRODUCT[j - 1]);
    even = unchecked(RUN_EVEN[j - 1]);
    prefixNode = unchecked(PREFIX_NODE[j - 1]);
    acNode = unchecked(AC_NODE[j - 1]);
    seenLow = unchecked(SEEN_LOW[j - 1]);
    seenHigh = unchecked(SEEN_HIGH[j - 1]);
  }
  if (up >= sequenceLimit || down >= sequenceLimit) return false;
  unchecked(RUN_UP[j] = up);
  unchecked(RUN_DOWN[j] = down);

  even = ((evenMask >> <u32>x) & 1) != 0 ? even + 1 : 0;
  if (evenLimit > 0 && even >= evenLimit) return false;
  unchecked(RUN_EVEN[j] = even);

  if (prefixNode >= 0) {
    prefixNode = <i32>unchecked(PREFIX_NEXT[prefixNode * 10 + x]);
    if (prefixNode >= 0 && unchecked(PREFIX_END[prefixNode]) != 0) return false;
  }
  unchecked(PREFIX_NODE[j] = prefixNode);

  acNode = <i32>unchecked(AC_GOTO[acNode * 10 + x]);
  if (unchecked(AC_OUT[acNode]) != 0) return false;
  unchecked(AC_NODE[j] = acNode);

  const start = j - blockLimit + 1;
  if (start >= 0) {
    const value = blockValueAt(start);
    unchecked(BLOCK_VALUE[start] = value);
    if (blockLimit <= 2) {
      const entering = start - blockLimit; // the newest block that may no longer overlap this one
      if (entering >= 0) {
        const old = unchecked(BLOCK_VALUE[entering]);
        if (old < 64) seenLow |= (<u64>1) << old; else seenHigh |= (<u64>1) << (old - 64);
      }
      if (bitIn(seenLow, seenHigh, value)) return false;
    } else {
      for (let i = 0; i + blockLimit <= start; i++) if (unchecked(BLOCK_VALUE[i]) == value) return false;
    }
  }
  unchecked(SEEN_LOW[j] = seenLow);
  unchecked(SEEN_HIGH[j] = seenHigh);

  unchecked(SUFFIX_PRODUCT[j] = STEP[unchecked(ROW_OFFSET[j]) + product * 10 + x]);
  return true;
}

@inline function firstEqualsLast(): bool {
  for (let i = 0; i < groupLimit; i++) {
    if (unchecked(DIGIT[i]) != unchecked(DIGIT[idLength - groupLimit + i])) return false;
  }
  return true;
}

@inline function firstEqualsReverseLast(): bool {
  for (let i = 0; i < reverseLimit; i++) {
    if (unchecked(DIGIT[i]) != unchecked(DIGIT[idLength - 1 - i])) return false;
  }
  return true;
}

/** The two rules that compare the two ends of a complete candidate. True when neither rejects it. */
export function endsDiffer(): bool {
  return !(groupActive && firstEqualsLast()) && !(reverseActive && firstEqualsReverseLast());
}

/** Reason code of the ID at ptr (len bytes): 0 when valid, else the first failing rule (see constants). */
export function validateId(ptr: usize, len: i32): i32 {
  if (len != idLength) {
    for (let i = 0; i < len; i++) if (<u32>(<i32>load<u8>(ptr + <usize>i) - 48) > 9) return NOT_DIGITS;
    return LENGTH;
  }
  let failed: u32 = 0;
  let product = 0;
  let prev = -10;
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
    unchecked(DIGIT[j] = x);
    product = unchecked(STEP[unchecked(ROW_OFFSET[j]) + product * 10 + x]);

    up = isUp(prev, x) ? up + 1 : 1;
    down = isDown(prev, x) ? down + 1 : 1;
    if (up >= sequenceLimit || down >= sequenceLimit) failed |= 1 << SEQUENCE;
    prev = x;

    const reach = repeatDistance < j ? repeatDistance : j;
    for (let k = 1; k <= reach; k++) if (unchecked(DIGIT[j - k]) == x) failed |= 1 << REPEATING_DIGIT;

    even = ((evenMask >> <u32>x) & 1) != 0 ? even + 1 : 0;
    if (evenLimit > 0 && even >= evenLimit) failed |= 1 << CONJUGATIVE_EVEN;

    if (prefixNode >= 0) {
      prefixNode = <i32>unchecked(PREFIX_NEXT[prefixNode * 10 + x]);
      if (prefixNode >= 0 && unchecked(PREFIX_END[prefixNode]) != 0) failed |= 1 << NOT_START_WITH;
    }

    acNode = <i32>unchecked(AC_GOTO[acNode * 10 + x]);
    matched |= <u32>unchecked(AC_OUT[acNode]);

    const start = j - blockLimit + 1;
    if (start >= 0) {
      const value = blockValueAt(start);
      unchecked(BLOCK_VALUE[start] = value);
      if (blockLimit <= 2) {
        const entering = start - blockLimit;
        if (entering >= 0) {
          const old = unchecked(BLOCK_VALUE[entering]);
          if (old < 64) seenLow |= (<u64>1) << old; else seenHigh |= (<u64>1) << (old - 64);
        }
        if (bitIn(seenLow, seenHigh, value)) failed |= 1 << REPEATING_BLOCK;
      } else {
        for (let i = 0; i + blockLimit <= start; i++) {
          if (unchecked(BLOCK_VALUE[i]) == value) failed |= 1 << REPEATING_BLOCK;
        }
      }
    }
  }
  if (product != 0) failed |= 1 << CHECKSUM;
  if ((matched & MATCH_RESTRICTED) != 0) failed |= 1 << RESTRICTED;
  if ((matched & MATCH_CYCLIC) != 0) failed |= 1 << CYCLIC;
  if (groupActive && firstEqualsLast()) failed |= 1 << FIRST_EQUALS_LAST;
  if (reverseActive && firstEqualsReverseLast()) failed |= 1 << FIRST_EQUALS_REVERSE_LAST;
  return failed == 0 ? 0 : <i32>ctz(failed);
}
