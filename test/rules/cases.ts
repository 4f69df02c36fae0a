// Contract cases for the ID rules, derived by hand from shared/reference/id-rules.md (not computed by any engine).
// Shared by the plain-TS oracle and the WASM engine: both must report exactly `reason` for `id` under `options`.
import type { Reason, RuleOptions } from "../../wasm/index";

export interface ContractCase {
  options: RuleOptions;
  id: string;
  reason: Reason | null;
  note?: string;
}

/** Public Verhoeff vectors of id-rules.md: [payload, check digit]. */
export const CHECK_DIGIT_VECTORS: [string, string][] = [
  ["236", "3"],
  ["12345", "1"],
  ["142857", "0"],
  ["1456789", "4"],
  ["123456789012", "0"],
  ["52118513337", "6"],
  ["75646239188", "3"],
];

const OPENG2P_10: RuleOptions = { profile: "openg2p", id_length: 10 };
const UIN: RuleOptions = { profile: "mosip-uin" };
const VID: RuleOptions = { profile: "mosip-vid" };

// Every id below that is meant to get past `checksum` was built as payload + its Verhoeff check digit;
// each note says why the whole id (check digit included) fails where it does and passes everything before.
export const CONTRACT_CASES: ContractCase[] = [
  // --- openg2p: the worked examples of id-rules.md ---
  { options: OPENG2P_10, id: "7429689275", reason: null, note: "worked example" },
  { options: OPENG2P_10, id: "7429689276", reason: "checksum", note: "worked example" },
  { options: OPENG2P_10, id: "0582947364", reason: "not_start_with", note: "worked example" },
  { options: OPENG2P_10, id: "5123947362", reason: "sequence", note: "worked example: 123" },
  { options: OPENG2P_10, id: "5890147362", reason: null, note: "worked example: 890, 901 do not wrap" },
  { options: OPENG2P_10, id: "5131749368", reason: null, note: "worked example: 1x1 allowed at R=2" },
  { options: OPENG2P_10, id: "5113749365", reason: "repeating_digit", note: "worked example: 11" },
  { options: OPENG2P_10, id: "2749358279", reason: "repeating_block", note: "worked example: 27 at 0 and 7" },
  { options: { id_length: 11 }, id: "86309690368", reason: "first_equals_reverse_last", note: "worked example: 86309 = reverse of 90368" },

  // --- openg2p: not_digits and length ---
  { options: OPENG2P_10, id: "742968927a", reason: "not_digits" },
  { options: OPENG2P_10, id: "7429 89275", reason: "not_digits", note: "a space is not a digit" },
  { options: OPENG2P_10, id: "7429689275\n", reason: "not_digits", note: "trailing newline; not_digits comes before length" },
  { options: OPENG2P_10, id: "٧٤٢٩٦٨٩٢٧٥", reason: "not_digits", note: "Arabic-Indic digits are not the ASCII digits 0-9" },
  { options: OPENG2P_10, id: "abc", reason: "not_digits", note: "wrong length too: not_digits comes first" },
  { options: OPENG2P_10, id: "", reason: "length", note: "no non-digit character, zero digits: a length error" },
  { options: OPENG2P_10, id: "742968927", reason: "length", note: "9 digits" },
  { options: OPENG2P_10, id: "74296892750", reason: "length", note: "11 digits; length comes before checksum" },

  // --- openg2p: checksum and its order ---
  { options: OPENG2P_10, id: "7429689257", reason: "checksum", note: "adjacent transposition of the valid 7429689275" },
  { options: OPENG2P_10, id: "0582947365", reason: "checksum", note: "single-digit error of 0582947364; checksum before not_start_with" },
  { options: OPENG2P_10, id: "5123947363", reason: "checksum", note: "single-digit error of 5123947362; checksum before sequence" },
  { options: OPENG2P_10, id: "1239473622", reason: "not_start_with", note: "also 123 and 22: not_start_with comes first" },

  // --- openg2p: sequence ---
  { options: OPENG2P_10, id: "2976539486", reason: "sequence", note: "descending 765" },
  { options: OPENG2P_10, id: "7213690456", reason: "sequence", note: "456 completed by the check digit 6" },
  { options: OPENG2P_10, id: "2559345726", reason: "sequence", note: "55 and 345: sequence comes before repeating_digit" },
  { options: OPENG2P_10, id: "3610947253", reason: null, note: "1,0 is a -1 pair, but 0->9 does not wrap" },
  { options: { ...OPENG2P_10, sequence_wrap: true }, id: "5890147362", reason: "sequence", note: "with wrap 8,9,0 is a +1 run" },
  { options: { ...OPENG2P_10, sequence_limit: 4 }, id: "5123947362", reason: null, note: "123 is only 3 long; no other rule fails" },

  // --- openg2p: repeating_digit ---
  { options: OPENG2P_10, id: "7293825099", reason: "repeating_digit", note: "99: the check digit repeats the digit before it" },
  { options: OPENG2P_10, id: "3555927033", reason: "repeating_digit", note: "55" },
  { options: { ...OPENG2P_10, repeating_limit_inclusive: true }, id: "5131749368", reason: "repeating_digit", note: "inclusive R=2: 1x1 at distance 2" },
  { options: { ...OPENG2P_10, repeating_limit: 3 }, id: "5131749368", reason: "repeating_digit", note: "R=3, k in 1..2: 1x1" },
  { options: { ...OPENG2P_10, repeating_limit: 3 }, id: "7429689275", reason: null, note: "9..9 at distance 3 is outside 1..2" },
  {
    options: { ...OPENG2P_10, repeating_limit: 3, repeating_limit_inclusive: true },
    id: "7429689275",
    reason: "repeating_digit",
    note: "inclusive R=3, k in 1..3: 9 at positions 3 and 6",
  },

  // --- openg2p: repeating_block ---
  { options: { ...OPENG2P_10, repeating_limit: 1 }, id: "3555927033", reason: null, note: "R=1 checks no distance; 55 at 1 and 2 overlap, so no block repeat" },
  { options: { ...OPENG2P_10, repeating_limit: 1 }, id: "3555592705", reason: "repeating_block", note: "5555: 55 at 1 and again at 3" },
  { options: OPENG2P_10, id: "3727295060", reason: "repeating_block", note: "72 at 1 and at 3 = 1 + B" },
  { options: { ...OPENG2P_10, repeating_block_limit: 3 }, id: "3727295060", reason: "conjugative_even", note: "all 3-blocks distinct; 060 is even" },
  { options: OPENG2P_10, id: "7208592078", reason: "repeating_block", note: "20 twice, and 208 even: repeating_block comes first" },

  // --- openg2p: conjugative_even ---
  { options: OPENG2P_10, id: "7208359473", reason: "conjugative_even", note: "208: 0 is even in openg2p" },
  { options: { ...OPENG2P_10, even_digits: "2468" }, id: "7208359473", reason: null, note: "without 0 as even, 2,0,8 is no run" },
  { options: OPENG2P_10, id: "5927384068", reason: "conjugative_even", note: "840 (and 4068)" },

  // --- openg2p: the group rules ---
  { options: OPENG2P_10, id: "2037520375", reason: "repeating_block", note: "first 5 = last 5, but 20 repeats: repeating_block first" },
  { options: { ...OPENG2P_10, repeating_block_limit: 6 }, id: "2037520375", reason: "first_equals_last", note: "length 10 = 2G" },
  {
    options: { ...OPENG2P_10, repeating_block_limit: 6, digits_group_limit: null },
    id: "2037520375",
    reason: null,
    note: "G off; reverse of 20375 is 57302",
  },
  { options: { ...OPENG2P_10, repeating_block_limit: 6 }, id: "2049720497", reason: "conjugative_even", note: "204, and first 5 = last 5: conjugative_even first" },
  {
    options: { id_length: 11, repeating_block_limit: 6 },
    id: "37473837473",
    reason: "first_equals_last",
    note: "37473 is a palindrome: first = last and first = reverse of last; first_equals_last first",
  },
  { options: { id_length: 9, repeating_block_limit: 5 }, id: "247524752", reason: null, note: "first 5 = last 5 overlapping, but openg2p needs length >= 10" },
  {
    options: { id_length: 9, repeating_block_limit: 5, digits_group_overlap: true },
    id: "247524752",
    reason: "first_equals_last",
    note: "with overlap, length 9 >= G",
  },
  { options: { id_length: 9 }, id: "203919302", reason: null, note: "palindrome, but length 9 < 2G" },
  { options: { id_length: 9, digits_group_overlap: true }, id: "203919302", reason: "first_equals_reverse_last", note: "with overlap: 20391 = reverse of 19302" },
  { options: { id_length: 11, restricted_numbers: ["0368"] }, id: "86309690368", reason: "first_equals_reverse_last", note: "also restricted 0368: the group rule comes first" },
  {
    options: { id_length: 11, reverse_digits_group_limit: null, restricted_numbers: ["0368"] },
    id: "86309690368",
    reason: "restricted",
    note: "G' off: the worked example now fails on 0368",
  },

  // --- openg2p: not_start_with, restricted, cyclic ---
  { options: { ...OPENG2P_10, not_start_with: ["74"] }, id: "7429689275", reason: "not_start_with", note: "two-digit prefix" },
  { options: { ...OPENG2P_10, not_start_with: ["75", "8"] }, id: "7429689275", reason: null, note: "prefix test, not a first-character test" },
  { options: { ...OPENG2P_10, not_start_with: [] }, id: "0582947364", reason: null, note: "leading zero is allowed when not excluded" },
  { options: { ...OPENG2P_10, restricted_numbers: ["968"] }, id: "7429689275", reason: "restricted" },
  { options: { id_length: 7 }, id: "1428570", reason: "not_start_with", note: "public vector 142857 -> 0" },
  { options: { id_length: 7, not_start_with: [] }, id: "1428570", reason: "conjugative_even", note: "428 is even: before cyclic" },
  { options: { id_length: 7, not_start_with: [], conjugative_even_digits_limit: null }, id: "1428570", reason: "cyclic", note: "contains 142857" },
  {
    options: { id_length: 7, not_start_with: [], conjugative_even_digits_limit: null, restricted_numbers: ["857"] },
    id: "1428570",
    reason: "restricted",
    note: "restricted comes before cyclic",
  },
  { options: { ...OPENG2P_10, conjugative_even_digits_limit: null }, id: "9142857369", reason: "cyclic", note: "142857 inside" },
  { options: { ...OPENG2P_10, conjugative_even_digits_limit: 4 }, id: "9142857369", reason: "cyclic", note: "longest even run is 428 (3 < 4)" },
  {
    options: { id_length: 17, not_start_with: [], repeating_limit: 1, conjugative_even_digits_limit: null },
    id: "05882352941176479",
    reason: "cyclic",
    note: "repetend of 1/17; its 88, 11 and 882 are let through by the overrides",
  },
  {
    options: { id_length: 17, not_start_with: [], repeating_limit: 1, conjugative_even_digits_limit: null, cyclic_numbers: false },
    id: "05882352941176479",
    reason: null,
    note: "cyclic off",
  },
  { options: { profile: "openg2p", id_length: 16 }, id: "3142857039082413", reason: "conjugative_even", note: "428; the same id is a valid VID" },
  { options: { profile: "openg2p", id_length: 16 }, id: "3097862514073596", reason: "conjugative_even", note: "862" },
  { options: { profile: "openg2p", id_length: 16 }, id: "2589036147205738", reason: null, note: "890 does not wrap; even runs at most 2" },
  { options: OPENG2P_10, id: "3592703847", reason: null },

  // --- openg2p: length 2 and 32 ---
  { options: { id_length: 2 }, id: "27", reason: null, note: "2 -> check digit 7" },
  { options: { id_length: 2 }, id: "43", reason: null, note: "a -1 pair is shorter than S=3" },
  { options: { id_length: 2 }, id: "04", reason: "not_start_with" },
  { options: { id_length: 2 }, id: "28", reason: "checksum" },
  { options: { id_length: 2, sequence_limit: 2 }, id: "43", reason: "sequence" },
  { options: { id_length: 2, sequence_limit: 2 }, id: "89", reason: "sequence" },
  { options: { id_length: 2, not_start_with: ["270"] }, id: "27", reason: null, note: "an entry longer than the id is never its prefix" },
  { options: { id_length: 2, restricted_numbers: ["27"] }, id: "27", reason: "restricted", note: "the whole id is a substring of itself" },
  {
    options: { id_length: 32 },
    id: "30527496183690729416385092581476",
    reason: null,
    note: "odd/even alternate, no adjacent +-1 or equal digits, 31 distinct pairs",
  },
  { options: { id_length: 32 }, id: "30527496183690729416385092581477", reason: "checksum" },
  { options: { id_length: 32 }, id: "305274961836907294163850925814760", reason: "length", note: "33 digits" },
  { options: { id_length: 32 }, id: "3052749618369072941638509258147x", reason: "not_digits" },

  // --- mosip-uin ---
  { options: UIN, id: "7429689275", reason: null, note: "no 1x1-type pairs, even runs 42 and 68 only" },
  { options: UIN, id: "3592703847", reason: null },
  { options: UIN, id: "5927384068", reason: null, note: "0 is not even in MOSIP: 84 and 68 are runs of 2" },
  { options: UIN, id: "7208359473", reason: null, note: "208 is not an even run in MOSIP" },
  { options: UIN, id: "59273840a8", reason: "not_digits" },
  { options: UIN, id: "5927384069", reason: "checksum" },
  { options: UIN, id: "1592703846", reason: "not_start_with" },
  { options: UIN, id: "3142857039082413", reason: "length", note: "16 digits, UIN has 10" },
  { options: UIN, id: "5890147362", reason: "sequence", note: "8,9,0 wraps" },
  { options: UIN, id: "3610947253", reason: "sequence", note: "1,0,9 is a -1 run with wrap" },
  { options: { ...UIN, sequence_wrap: false }, id: "5890147362", reason: null },
  { options: UIN, id: "5131749368", reason: "repeating_digit", note: "1x1: inclusive R=2" },
  { options: { ...UIN, repeating_limit_inclusive: false }, id: "5131749368", reason: null },
  { options: UIN, id: "3727295060", reason: "repeating_digit", note: "7x7 (openg2p reports repeating_block)" },
  { options: UIN, id: "2749358279", reason: "repeating_block" },
  { options: UIN, id: "3628597049", reason: "conjugative_even", note: "628" },
  { options: UIN, id: "9142857369", reason: "conjugative_even", note: "428 before cyclic" },
  { options: { ...UIN, conjugative_even_digits_limit: null }, id: "9142857369", reason: "cyclic" },
  { options: { ...UIN, id_length: 9, repeating_block_limit: 5 }, id: "247524752", reason: "first_equals_last", note: "overlap: length 9 >= G" },
  { options: { ...UIN, id_length: 12 }, id: "203158251302", reason: "first_equals_reverse_last", note: "20315 = reverse of 51302" },
  { options: UIN, id: "2597863042", reason: "restricted", note: "786; 042 is no MOSIP even run" },
  { options: { profile: "openg2p", id_length: 10 }, id: "2597863042", reason: "conjugative_even", note: "042 is an even run in openg2p" },
  { options: UIN, id: "3966627400", reason: "repeating_digit", note: "666 is restricted, but 66 fails earlier" },

  // --- mosip-vid ---
  { options: VID, id: "3142857039082413", reason: null, note: "428 even, 31428 = reverse of 82413, 142857 cyclic: all three rules off" },
  { options: VID, id: "2589036147205738", reason: null, note: "890 does not wrap in VIDs" },
  { options: { ...UIN, id_length: 16 }, id: "2589036147205738", reason: "sequence", note: "the same id under UIN wrap" },
  { options: VID, id: "2578940361582472", reason: "sequence", note: "789" },
  { options: VID, id: "2527039614830596", reason: "repeating_digit", note: "2x2" },
  { options: VID, id: "2593072581406395", reason: "repeating_block", note: "25 at 0 and 6" },
  { options: VID, id: "3097862514073596", reason: "restricted", note: "786" },
  { options: VID, id: "3142857O39082413", reason: "not_digits", note: "letter O" },
  { options: VID, id: "3142857039082414", reason: "checksum" },
  { options: VID, id: "0142857039082414", reason: "not_start_with" },
  { options: VID, id: "3592703847", reason: "length", note: "a UIN is not a VID" },
  { options: { ...VID, conjugative_even_digits_limit: 3 }, id: "3142857039082413", reason: "conjugative_even", note: "rule on: 428" },
  { options: { ...VID, reverse_digits_group_limit: 5 }, id: "3142857039082413", reason: "first_equals_reverse_last", note: "rule on" },
  { options: { ...VID, cyclic_numbers: true }, id: "3142857039082413", reason: "cyclic", note: "rule on: 142857" },
  {
    options: { ...VID, id_length: 10, digits_group_limit: 5, repeating_block_limit: 6 },
    id: "2037520375",
    reason: "first_equals_last",
    note: "rule on; no 1x1 pair, no run; length 10 = 2G",
  },
];

/** Configurations that admit no ID at all: createRules must refuse them; the oracle still names the failing rule. */
export const ADMITS_NOTHING_CASES: ContractCase[] = [
  { options: { ...OPENG2P_10, sequence_limit: 1 }, id: "7429689275", reason: "sequence", note: "a single digit is a run of 1" },
  { options: { ...OPENG2P_10, sequence_limit: 0 }, id: "7429689275", reason: "sequence" },
  { options: { ...OPENG2P_10, repeating_block_limit: 0 }, id: "7429689275", reason: "repeating_block", note: "the empty block repeats" },
  { options: { ...OPENG2P_10, conjugative_even_digits_limit: 0 }, id: "7429689275", reason: "conjugative_even" },
  { options: { ...OPENG2P_10, not_start_with: [""] }, id: "7429689275", reason: "not_start_with" },
  { options: { ...OPENG2P_10, restricted_numbers: [""] }, id: "7429689275", reason: "restricted" },
  { options: { ...UIN, id_length: 5 }, id: "25074", reason: "first_equals_last", note: "at length 5 the first 5 digits are the last 5" },
];
