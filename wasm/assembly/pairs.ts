// The pair fast path: the one-pass classification of fastpath.ts, two digits per step, for every configuration
// whose repeated blocks are pairs (every profile). Its tables live in a context, one block of linear memory built
// from the configured rules, so that one module instance can hold the fast paths of many ID types: the JS binding
// keeps one shared instance for per-call validation, because a call site that reaches a dozen different modules'
// exports costs JavaScriptCore about 90 ns per call, and one reaching a single export does not.
//
// Per ID: the digit check, the pair values and the repeated-pair check are vector operations (v128) over the
// whole ID (lengths up to 16; two vectors up to 32); what stays a loop is the two dependent chains of lookups,
// Verhoeff and the neighbour/pattern automaton, one lookup each per pair. The tables are laid out so that a
// lookup is an add, a shift and a load: a pair is read as 1 + its value (1..100, 0 marks no pair), a row has
// ROW entries, and entries hold the index of the next row's first entry rather than the row's number. Automaton
// entries are u16 while that index fits (up to 585 states; the profiles have 180-570), so that the table of a
// type (40-130 KB) stays mostly in the first two cache levels; u32 beyond. Built without SIMD (the fallback
// module for runtimes without it), the same pass runs with scalar loops and a stamp table for repeated pairs.
import { STEP } from "./verhoeff";
import { NOT_DIGITS, CHECKSUM, NOT_START_WITH, LENGTH, REPEATING_BLOCK, FIRST_EQUALS_LAST, FIRST_EQUALS_REVERSE_LAST } from "./checks";
import {
  idLength, blockLimit, groupActive, groupLimit, reverseActive, reverseLimit, PREFIX_NEXT, PREFIX_END,
} from "./params";
import { fastPathReady, fastStates, MAX_PAIR_STATES, NEXT, START, STATE_FAIL, UNKNOWN_FAILURE, endsEqual, UNDECIDED } from "./fastpath";

/** Table index of the single last digit x of an odd-length ID: 101 + x (indices 101..110 are no pair). */
const SINGLE = 101;

// Context layout (byte offsets).
const C_LENGTH = 0;
const C_PAIRS = 4; // aligned pairs: length / 2
const C_MAX_SHIFT = 8; // length - 2: the largest distance between two non-overlapping pairs
const C_GROUP = 12; // group limit, 0 when the rule is off
const C_REVERSE = 16; // reverse group limit, 0 when off
const C_WIDE = 20; // 1 when automaton entries are u32
const C_LENGTH_MASK = 32; // v128 ×2: 0xff in the lanes of the ID's digits
const C_PAIR_MASK = 64; // v128 ×2: 0xff in the lanes that start a pair
const C_START = 96; // u8[128] by first pair: 0 allowed, 1 starts with a not_start_with entry, 2 maybe (longer entry)
/** Entries per row: 0 unused (or the state's reason), 1..100 pairs, 101..110 a single last digit. */
const ROW = 112;
const C_VERHOEFF = 224; // u16[4 phases][10 products][ROW]: next product × ROW, pair t uses phase t mod 4
const PHASE_BYTES = 10 * ROW * 2;
// u16 or u32 [states][ROW]: next state × ROW; entry 0 of a row is the first failing reason of the automaton's
// rules in that state (STATE_FAIL): NONE when none, 0xff (read as the byte -1, UNDECIDED) for failed states
// that were merged, so that the reason is a minimum.
const C_AUTOMATON = C_VERHOEFF + 4 * PHASE_BYTES;
const MAX_NARROW_STATES = 65535 / ROW;
const NONE: u8 = 127;

/** The 1-based pair values of the ID being judged (lanes 0..30). */
const PAIRS = new StaticArray<u8>(48);
/** Without SIMD: repeated pairs by stamps, as in fastpath.ts. */
const PAIR_STAMP = new StaticArray<u32>(128);
let pairStamp: u32 = 0;

/**
 * Builds the context of the rules configured now (after finish()), or returns 0 when they do not fit the pair
 * path: blocks other than pairs, or no automaton. Free it with heap.free.
 */
export function buildContext(): usize {
  if (!fastPathReady || blockLimit != 2 || fastStates > MAX_PAIR_STATES) return 0;
  const len = idLength;
  const states = fastStates;
  const wide = states > MAX_NARROW_STATES;
  const entryShift: usize = wide ? 2 : 1;
  const ctx = heap.alloc(<usize>C_AUTOMATON + ((<usize>states * ROW) << entryShift));
  memory.fill(ctx, 0, <usize>C_AUTOMATON + ((<usize>states * ROW) << entryShift));
  store<i32>(ctx + C_WIDE, wide ? 1 : 0);
  store<i32>(ctx + C_LENGTH, len);
  store<i32>(ctx + C_PAIRS, len >> 1);
  store<i32>(ctx + C_MAX_SHIFT, len - 2);
  store<i32>(ctx + C_GROUP, groupActive ? groupLimit : 0);
  store<i32>(ctx + C_REVERSE, reverseActive ? reverseLimit : 0);
  for (let i = 0; i < 32; i++) {
    store<u8>(ctx + C_LENGTH_MASK + <usize>i, i < len ? 0xff : 0);
    store<u8>(ctx + C_PAIR_MASK + <usize>i, i < len - 1 ? 0xff : 0);
  }
  for (let pair = 0; pair < 100; pair++) {
    let kind: u8 = 0;
    const first = <i32>unchecked(PREFIX_NEXT[pair / 10]);
    if (first >= 0) {
      if (unchecked(PREFIX_END[first]) != 0) kind = 1;
      else {
        const second = <i32>unchecked(PREFIX_NEXT[first * 10 + pair % 10]);
        if (second >= 0) kind = unchecked(PREFIX_END[second]) != 0 ? 1 : 2;
      }
    }
    store<u8>(ctx + C_START + <usize>(pair + 1), kind);
  }
  const pairs = len >> 1;
  for (let phase = 0; phase < 4; phase++) {
    const row = (len - 1 - 2 * phase) & 7; // Verhoeff row of the pair's first digit, (L - 1 - j) mod 8
    const nextRow = (row + 7) & 7;
    const table = ctx + C_VERHOEFF + <usize>(phase * PHASE_BYTES);
    for (let product = 0; product < 10; product++) {
      for (let pair = 0; pair < 100; pair++) {
        const middle = <i32>unchecked(STEP[row * 100 + product * 10 + pair / 10]);
        const next = <i32>unchecked(STEP[nextRow * 100 + middle * 10 + pair % 10]);
        store<u16>(table + <usize>((product * ROW + pair + 1) << 1), <u16>(next * ROW));
      }
      if ((len & 1) != 0 && phase == (pairs & 3)) {
        for (let x = 0; x < 10; x++) {
          const next = <i32>unchecked(STEP[product * 10 + x]); // the last digit: row 0
          store<u16>(table + <usize>((product * ROW + SINGLE + x) << 1), <u16>(next * ROW));
        }
      }
    }
  }
  const automaton = ctx + C_AUTOMATON;
  for (let state = 0; state < states; state++) {
    const row = state * ROW;
    const fail = unchecked(STATE_FAIL[state]);
    setEntry(automaton, row, fail == 0 ? NONE : fail == UNKNOWN_FAILURE ? 0xff : fail, wide);
    for (let pair = 0; pair < 100; pair++) {
      const middle = <i32>unchecked(NEXT[state * 10 + pair / 10]);
      setEntry(automaton, row + pair + 1, <u32>unchecked(NEXT[middle * 10 + pair % 10]) * ROW, wide);
    }
    for (let x = 0; x < 10; x++) setEntry(automaton, row + SINGLE + x, <u32>unchecked(NEXT[state * 10 + x]) * ROW, wide);
  }
  return ctx;
}

@inline function setEntry(table: usize, index: i32, value: u32, wide: bool): void {
  if (wide) store<u32>(table + (<usize>index << 2), value);
  else store<u16>(table + (<usize>index << 1), <u16>value);
}

/** Whether any two non-overlapping pairs are equal: lane i against lane i + k for k = 2 .. maxShift (≤ 15). */
@inline function repeatedPair(p: v128, maxShift: i32): bool {
  const z = i64x2.splat(0);
  let hit = i64x2.splat(0);
  // Falls through from the largest shift down to 2; the lanes shifted in from z are 0, which no pair is.
  switch (maxShift) {
    case 15: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 14: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 13: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 12: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 11: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 10: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 9: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 8: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16)));
    case 7: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16)));
    case 6: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16)));
    case 5: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16)));
    case 4: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16)));
    case 3: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16)));
    case 2: hit = v128.or(hit, i8x16.eq(p, i8x16.shuffle(p, z, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16)));
  }
  // Lanes past the last pair are 0 in p too, and equal to the 0s shifted in: p ≠ 0 keeps real pairs only.
  return v128.any_true(v128.and(hit, i8x16.ne(p, z)));
}

/**
 * Whether a pair of a (pairs 0..15, all real) equals a pair of b (pairs 16..30, 0 past the last): every lane of
 * a against every rotation of b, except pair 15 against pair 16, which overlap.
 */
@inline function repeatedAcross(a: v128, b: v128): bool {
  let hit = i8x16.eq(a, b);
  const notLast = v128.or(i64x2.splat(0), i8x16.replace_lane(i8x16.splat(-1), 15, 0));
  hit = v128.or(hit, v128.and(notLast, i8x16.eq(a, i8x16.shuffle(b, b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0))));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)));
  hit = v128.or(hit, i8x16.eq(a, i8x16.shuffle(b, b, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)));
  return v128.any_true(hit);
}

/**
 * Reason code of the ID at ptr (the context's length) when one pass is sure of it, else UNDECIDED: the same
 * contract as fastCode() in fastpath.ts. Reads up to 32 bytes at ptr whatever the length (the IO buffer has room).
 */
@inline export function pairCode(ctx: usize, ptr: usize): i32 {
  const len = load<i32>(ctx + C_LENGTH);
  const pairs = PAIRS_PTR;
  let repeated = false;
  if (ASC_FEATURE_SIMD) {
    const ascii0 = i8x16.splat(48);
    const nine = i8x16.splat(9);
    const ten = i16x8.splat(10);
    const one = i8x16.splat(1);
    const d0 = i8x16.sub(v128.load(ptr), ascii0);
    const bad0 = v128.and(i8x16.gt_u(d0, nine), v128.load(ctx + C_LENGTH_MASK));
    if (len <= 16) {
      if (v128.any_true(bad0)) return NOT_DIGITS;
      // 10·d (16-bit lanes: a digit's carry never crosses into a lane that is kept) + the next digit + 1.
      const following = i8x16.shuffle(d0, d0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15);
      const p = v128.and(i8x16.add(i8x16.add(i16x8.mul(d0, ten), following), one), v128.load(ctx + C_PAIR_MASK));
      v128.store(pairs, p);
      repeated = repeatedPair(p, load<i32>(ctx + C_MAX_SHIFT));
    } else {
      const d1 = i8x16.sub(v128.load(ptr, 16), ascii0);
      const bad1 = v128.and(i8x16.gt_u(d1, nine), v128.load(ctx + C_LENGTH_MASK, 16));
      if (v128.any_true(v128.or(bad0, bad1))) return NOT_DIGITS;
      const following0 = i8x16.shuffle(d0, d1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
      const following1 = i8x16.shuffle(d1, d1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15);
      const p0 = i8x16.add(i8x16.add(i16x8.mul(d0, ten), following0), one);
      const p1 = v128.and(i8x16.add(i8x16.add(i16x8.mul(d1, ten), following1), one), v128.load(ctx + C_PAIR_MASK, 16));
      v128.store(pairs, p0);
      v128.store(pairs, p1, 16);
      repeated = repeatedPair(p0, 15) || repeatedPair(p1, len - 18) || repeatedAcross(p0, p1);
    }
  } else {
    for (let j = 0; j < len; j++) if (<u32>(<i32>load<u8>(ptr + <usize>j) - 48) > 9) return NOT_DIGITS;
    for (let j = 0; j + 1 < len; j++) {
      store<u8>(pairs + <usize>j, <u8>((<i32>load<u8>(ptr + <usize>j) - 48) * 10 + <i32>load<u8>(ptr + <usize>(j + 1)) - 47));
    }
    repeated = repeatedPairLong(pairs, len - 1);
  }
  // The two chains, one lookup each per aligned pair.
  const packed = load<i32>(ctx + C_WIDE) != 0 ? chains<u32>(ctx, ptr, len) : chains<u16>(ctx, ptr, len);
  const product = <u32>packed;
  const state = <usize>(packed >> 32);
  const automaton = ctx + C_AUTOMATON;
  const start = <i32>load<u8>(ctx + C_START + <usize>load<u8>(pairs));
  const group = load<i32>(ctx + C_GROUP);
  const reverse = load<i32>(ctx + C_REVERSE);
  // The first failing filter: the lowest reason code among the automaton's (or UNDECIDED: its failed states
  // were merged), the repeated pairs and the two group rules. Without branches on the outcome: in a mixed
  // corpus it is as unpredictable as the input.
  let reason = <i32>load<i8>(automaton + (state << (load<i32>(ctx + C_WIDE) != 0 ? 2 : 1)));
  reason = min(reason, select<i32>(REPEATING_BLOCK, NONE, repeated));
  reason = min(reason, select<i32>(FIRST_EQUALS_LAST, NONE, group != 0 && endsEqual(ptr, len, group, false)));
  reason = min(reason, select<i32>(FIRST_EQUALS_REVERSE_LAST, NONE, reverse != 0 && endsEqual(ptr, len, reverse, true)));
  reason = select<i32>(0, reason, reason == NONE);
  reason = select<i32>(UNDECIDED, reason, start == 2);
  return select<i32>(CHECKSUM, select<i32>(NOT_START_WITH, reason, start == 1), product != 0);
}

const PAIRS_PTR = changetype<usize>(PAIRS);

/** Verhoeff and the automaton over the pairs in PAIRS: the final product (0 when the checksum holds) | state << 32. */
@inline function chains<T>(ctx: usize, ptr: usize, len: i32): u64 {
  const verhoeff = ctx + C_VERHOEFF;
  const automaton = ctx + C_AUTOMATON;
  const count = load<i32>(ctx + C_PAIRS);
  const shift: usize = sizeof<T>() == 4 ? 2 : 1;
  let product: usize = 0;
  let state: usize = START * ROW;
  for (let t = 0; t < count; t++) {
    const pair = <usize>load<u8>(PAIRS_PTR + <usize>(t << 1));
    product = <usize>load<u16>(verhoeff + <usize>((t & 3) * PHASE_BYTES) + ((product + pair) << 1));
    state = <usize>load<T>(automaton + ((state + pair) << shift));
  }
  if ((len & 1) != 0) {
    const single = <usize>(SINGLE - 48) + <usize>load<u8>(ptr + <usize>(len - 1));
    product = <usize>load<u16>(verhoeff + <usize>((count & 3) * PHASE_BYTES) + ((product + single) << 1));
    state = <usize>load<T>(automaton + ((state + single) << shift));
  }
  return <u64>product | (<u64>state << 32);
}

/** Repeated non-overlapping pairs among the n 1-based pair values at p, by stamps (any length). */
function repeatedPairLong(p: usize, n: i32): bool {
  if (++pairStamp == 0) {
    memory.fill(changetype<usize>(PAIR_STAMP), 0, 128 * 4);
    pairStamp = 1;
  }
  const now = pairStamp;
  let hit = false;
  // A pair is stamped one step late, so that the pair overlapping it is not compared with it.
  let previous: i32 = 0;
  for (let i = 0; i < n; i++) {
    const pair = <i32>load<u8>(p + <usize>i);
    hit = hit || unchecked(PAIR_STAMP[pair]) == now;
    unchecked(PAIR_STAMP[previous] = now);
    previous = pair;
  }
  return hit;
}

/** Reason code of the ID in IO (len bytes) with the context's rules, or UNDECIDED; any length. */
export function contextCode(ctx: usize, ptr: usize, len: i32): i32 {
  if (len != load<i32>(ctx + C_LENGTH)) {
    for (let i = 0; i < len; i++) if (<u32>(<i32>load<u8>(ptr + <usize>i) - 48) > 9) return NOT_DIGITS;
    return LENGTH;
  }
  return pairCode(ctx, ptr);
}
