// A plain-TypeScript oracle of the ID rules, written straight from shared/reference/id-rules.md.
// Clarity over speed: it exists only to check the WASM engine (wasm/) against the spec.
import type { ProfileName, Reason, RuleOptions, RuleParameters } from "../../wasm/index";

/** The three presets of id-rules.md ("Rule profiles"); openg2p leaves id_length to the type. */
export const ORACLE_PROFILES: Record<ProfileName, Partial<RuleParameters>> = {
  openg2p: {
    not_start_with: ["0", "1"],
    sequence_limit: 3,
    sequence_wrap: false,
    repeating_limit: 2,
    repeating_limit_inclusive: false,
    repeating_block_limit: 2,
    conjugative_even_digits_limit: 3,
    even_digits: "02468",
    digits_group_limit: 5,
    reverse_digits_group_limit: 5,
    digits_group_overlap: false,
    restricted_numbers: [],
    cyclic_numbers: true,
  },
  "mosip-uin": {
    id_length: 10,
    not_start_with: ["0", "1"],
    sequence_limit: 3,
    sequence_wrap: true,
    repeating_limit: 2,
    repeating_limit_inclusive: true,
    repeating_block_limit: 2,
    conjugative_even_digits_limit: 3,
    even_digits: "2468",
    digits_group_limit: 5,
    reverse_digits_group_limit: 5,
    digits_group_overlap: true,
    restricted_numbers: ["786", "666"],
    cyclic_numbers: true,
  },
  "mosip-vid": {
    id_length: 16,
    not_start_with: ["0", "1"],
    sequence_limit: 3,
    sequence_wrap: false,
    repeating_limit: 2,
    repeating_limit_inclusive: true,
    repeating_block_limit: 2,
    conjugative_even_digits_limit: null,
    even_digits: "02468",
    digits_group_limit: null,
    reverse_digits_group_limit: null,
    digits_group_overlap: false,
    restricted_numbers: ["786", "666"],
    cyclic_numbers: false,
  },
};

/** Profile (default openg2p) with the overrides merged on top. No range checks: the oracle trusts its caller. */
export function oracleParams(options: RuleOptions = {}): RuleParameters {
  const { profile = "openg2p", ...overrides } = options;
  const merged = { ...ORACLE_PROFILES[profile], ...overrides };
  if (merged.id_length === undefined) throw new Error(`profile ${profile} needs id_length`);
  return merged as RuleParameters;
}

// Verhoeff tables, typed in from id-rules.md.
const MULTIPLY: number[][] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const PERMUTE: number[][] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const INVERSE = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/** The Verhoeff running value over `digits` read from the right, the rightmost digit at position `firstPosition`. */
function verhoeffSum(digits: string, firstPosition: number): number {
  let c = 0;
  for (let k = 0; k < digits.length; k++) {
    const digit = Number(digits[digits.length - 1 - k]);
    const position = firstPosition + k;
    c = MULTIPLY[c]![PERMUTE[position % 8]![digit]!]!;
  }
  return c;
}

export function verhoeffCheckDigit(payload: string): string {
  return String(INVERSE[verhoeffSum(payload, 1)]);
}

export function verhoeffValid(id: string): boolean {
  return verhoeffSum(id, 0) === 0;
}

const CYCLIC_PRIMES = [7, 17, 19, 23, 29, 47, 59, 61, 97];

/** The repetend of 1/p by long division: p - 1 digits (all these primes have full period), leading zeros kept. */
function repetend(p: number): string {
  let digits = "";
  let remainder = 1;
  for (let k = 0; k < p - 1; k++) {
    remainder *= 10;
    digits += String(Math.floor(remainder / p));
    remainder %= p;
  }
  return digits;
}

export function cyclicNumbers(): string[] {
  return CYCLIC_PRIMES.map(repetend);
}

const CYCLIC = cyclicNumbers();

function digitOf(id: string, position: number): number {
  return id.charCodeAt(position) - 48;
}

/** Does `next` follow `previous` in a run going in `step` (+1 or -1)? */
function follows(previous: number, next: number, step: number, wrap: boolean): boolean {
  if (wrap) return next === (previous + step + 10) % 10;
  return next === previous + step;
}

function hasSequence(id: string, limit: number, wrap: boolean): boolean {
  if (limit <= 1) return true; // a single digit is already a run of length 1
  for (const step of [1, -1]) {
    for (let start = 0; start + limit <= id.length; start++) {
      let isRun = true;
      for (let k = 1; k < limit; k++) {
        if (!follows(digitOf(id, start + k - 1), digitOf(id, start + k), step, wrap)) isRun = false;
      }
      if (isRun) return true;
    }
  }
  return false;
}

function hasRepeatingDigit(id: string, limit: number, inclusive: boolean): boolean {
  const maxDistance = inclusive ? limit : limit - 1;
  for (let i = 0; i < id.length; i++) {
    for (let distance = 1; distance <= maxDistance && i + distance < id.length; distance++) {
      if (id[i] === id[i + distance]) return true;
    }
  }
  return false;
}

function hasRepeatingBlock(id: string, block: number): boolean {
  for (let i = 0; i + block <= id.length; i++) {
    for (let j = i + block; j + block <= id.length; j++) {
      if (id.slice(i, i + block) === id.slice(j, j + block)) return true;
    }
  }
  return false;
}

function hasEvenRun(id: string, limit: number, evens: string): boolean {
  for (let start = 0; start + limit <= id.length; start++) {
    let allEven = true;
    for (let k = 0; k < limit; k++) {
      if (!evens.includes(id[start + k]!)) allEven = false;
    }
    if (allEven) return true;
  }
  return false;
}

/** Whether the group rules look at an ID of this length (OpenG2P needs two disjoint groups, MOSIP does not). */
function groupApplies(length: number, group: number, overlap: boolean): boolean {
  return overlap ? length >= group : length >= 2 * group;
}

function firstEqualsLast(id: string, group: number, overlap: boolean): boolean {
  if (!groupApplies(id.length, group, overlap)) return false;
  return id.slice(0, group) === id.slice(id.length - group);
}

function firstEqualsReverseLast(id: string, group: number, overlap: boolean): boolean {
  if (!groupApplies(id.length, group, overlap)) return false;
  const lastReversed = id.slice(id.length - group).split("").reverse().join("");
  return id.slice(0, group) === lastReversed;
}

/** The first failing check in the order of id-rules.md, or null when the ID is valid. */
export function oracleValidate(params: RuleParameters, id: string): Reason | null {
  if (!/^[0-9]*$/.test(id)) return "not_digits"; // "" has no non-digit: it fails on length
  if (id.length !== params.id_length) return "length";
  if (!verhoeffValid(id)) return "checksum";
  if (params.not_start_with.some((prefix) => id.startsWith(prefix))) return "not_start_with";
  if (hasSequence(id, params.sequence_limit, params.sequence_wrap)) return "sequence";
  if (hasRepeatingDigit(id, params.repeating_limit, params.repeating_limit_inclusive)) return "repeating_digit";
  if (hasRepeatingBlock(id, params.repeating_block_limit)) return "repeating_block";
  const evenLimit = params.conjugative_even_digits_limit;
  if (evenLimit !== null && hasEvenRun(id, evenLimit, params.even_digits)) return "conjugative_even";
  const group = params.digits_group_limit;
  if (group !== null && firstEqualsLast(id, group, params.digits_group_overlap)) return "first_equals_last";
  const reverseGroup = params.reverse_digits_group_limit;
  if (reverseGroup !== null && firstEqualsReverseLast(id, reverseGroup, params.digits_group_overlap)) {
    return "first_equals_reverse_last";
  }
  if (params.restricted_numbers.some((entry) => id.includes(entry))) return "restricted";
  if (params.cyclic_numbers && CYCLIC.some((cyclic) => id.includes(cyclic))) return "cyclic";
  return null;
}

/** Every valid ID in ascending order, by brute force over all 10^(L-1) payloads (for L ≤ 6 only). */
export function oracleEnumerate(params: RuleParameters): string[] {
  const payloadLength = params.id_length - 1;
  const valid: string[] = [];
  for (let n = 0; n < 10 ** payloadLength; n++) {
    const payload = String(n).padStart(payloadLength, "0");
    const id = payload + verhoeffCheckDigit(payload);
    if (oracleValidate(params, id) === null) valid.push(id);
  }
  return valid;
}

export function oracleCount(params: RuleParameters): number {
  return oracleEnumerate(params).length;
}
