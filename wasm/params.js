// Rule parameters: the three profiles of id-rules.md, and the one place that checks a configuration's
// types and ranges, so that every refusal names the parameter and says why.

export const PROFILES = Object.freeze({
  openg2p: Object.freeze({
    not_start_with: ["0", "1"], sequence_limit: 3, sequence_wrap: false,
    repeating_limit: 2, repeating_limit_inclusive: false, repeating_block_limit: 2,
    conjugative_even_digits_limit: 3, even_digits: "02468",
    digits_group_limit: 5, reverse_digits_group_limit: 5, digits_group_overlap: false,
    restricted_numbers: [], cyclic_numbers: true,
  }),
  "mosip-uin": Object.freeze({
    id_length: 10, not_start_with: ["0", "1"], sequence_limit: 3, sequence_wrap: true,
    repeating_limit: 2, repeating_limit_inclusive: true, repeating_block_limit: 2,
    conjugative_even_digits_limit: 3, even_digits: "2468",
    digits_group_limit: 5, reverse_digits_group_limit: 5, digits_group_overlap: true,
    restricted_numbers: ["786", "666"], cyclic_numbers: true,
  }),
  "mosip-vid": Object.freeze({
    id_length: 16, not_start_with: ["0", "1"], sequence_limit: 3, sequence_wrap: false,
    repeating_limit: 2, repeating_limit_inclusive: true, repeating_block_limit: 2,
    conjugative_even_digits_limit: null, even_digits: "02468",
    digits_group_limit: null, reverse_digits_group_limit: null, digits_group_overlap: false,
    restricted_numbers: ["786", "666"], cyclic_numbers: false,
  }),
});

export const MAX_LENGTH = 32;
export const MAX_PATTERNS = 64;

export class RulesConfigError extends Error {
  constructor(parameter, message) {
    super(`${parameter}: ${message}`);
    this.name = "RulesConfigError";
    this.code = "RULES_CONFIG";
    this.parameter = parameter;
  }
}

const KNOWN = new Set(["profile", ...Object.keys(PROFILES.openg2p), "id_length"]);

function integer(name, value, min, max) {
  if (!Number.isInteger(value)) throw new RulesConfigError(name, `must be a whole number, got ${JSON.stringify(value)}`);
  if (value < min || value > max) throw new RulesConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function optionalInteger(name, value, min, max) {
  return value === null ? null : integer(name, value, min, max);
}

function boolean(name, value) {
  if (typeof value !== "boolean") throw new RulesConfigError(name, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Pattern lists accept digit strings, and whole numbers for YAML files that write `[786, 666]`. */
function digitList(name, value) {
  if (!Array.isArray(value)) throw new RulesConfigError(name, `must be a list of digit strings, got ${JSON.stringify(value)}`);
  if (value.length > MAX_PATTERNS) throw new RulesConfigError(name, `may hold at most ${MAX_PATTERNS} entries, got ${value.length}`);
  return value.map((entry, i) => {
    const text = Number.isSafeInteger(entry) && entry >= 0 ? String(entry) : entry;
    if (typeof text !== "string" || !/^\d*$/.test(text)) {
      throw new RulesConfigError(name, `entry ${i} must be a string of digits, got ${JSON.stringify(entry)}`);
    }
    if (text.length > MAX_LENGTH) throw new RulesConfigError(name, `entry ${i} is longer than ${MAX_LENGTH} digits`);
    if (text === "") throw new RulesConfigError(name, `entry ${i} is empty, and an empty entry rejects every ID`);
    return text;
  });
}

/** Profile + overrides → complete, range-checked parameters. Throws RulesConfigError. */
export function resolveParameters(options = {}) {
  if (options === null || typeof options !== "object") throw new RulesConfigError("options", "must be an object");
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new RulesConfigError(key, "is not a rule parameter");
  }
  const profile = options.profile ?? "openg2p";
  if (!Object.hasOwn(PROFILES, profile)) {
    throw new RulesConfigError("profile", `must be one of ${Object.keys(PROFILES).join(", ")}, got ${JSON.stringify(profile)}`);
  }
  const merged = { ...PROFILES[profile] };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  if (merged.id_length === undefined) throw new RulesConfigError("id_length", `is required with profile ${profile}`);

  const evenDigits = merged.even_digits;
  if (typeof evenDigits !== "string" || !/^\d{0,10}$/.test(evenDigits) || new Set(evenDigits).size !== evenDigits.length) {
    throw new RulesConfigError("even_digits", `must be a string of distinct digits, got ${JSON.stringify(evenDigits)}`);
  }
  const parameters = {
    profile,
    id_length: integer("id_length", merged.id_length, 2, MAX_LENGTH),
    not_start_with: digitList("not_start_with", merged.not_start_with),
    sequence_limit: integer("sequence_limit", merged.sequence_limit, 0, MAX_LENGTH),
    sequence_wrap: boolean("sequence_wrap", merged.sequence_wrap),
    repeating_limit: integer("repeating_limit", merged.repeating_limit, 0, MAX_LENGTH),
    repeating_limit_inclusive: boolean("repeating_limit_inclusive", merged.repeating_limit_inclusive),
    repeating_block_limit: integer("repeating_block_limit", merged.repeating_block_limit, 0, MAX_LENGTH),
    conjugative_even_digits_limit: optionalInteger("conjugative_even_digits_limit", merged.conjugative_even_digits_limit, 0, MAX_LENGTH),
    even_digits: evenDigits,
    digits_group_limit: optionalInteger("digits_group_limit", merged.digits_group_limit, 0, MAX_LENGTH),
    reverse_digits_group_limit: optionalInteger("reverse_digits_group_limit", merged.reverse_digits_group_limit, 0, MAX_LENGTH),
    digits_group_overlap: boolean("digits_group_overlap", merged.digits_group_overlap),
    restricted_numbers: digitList("restricted_numbers", merged.restricted_numbers),
    cyclic_numbers: boolean("cyclic_numbers", merged.cyclic_numbers),
  };
  rejectTrivialEmpty(parameters);
  return Object.freeze(parameters);
}

/** Values that reject every ID whatever the length: refused here with the reason, before any search. */
function rejectTrivialEmpty(p) {
  if (p.sequence_limit <= 1) {
    throw new RulesConfigError("sequence_limit", `${p.sequence_limit} rejects every ID (a single digit already counts as a run); use 2 or more`);
  }
  if (p.repeating_block_limit === 0) {
    throw new RulesConfigError("repeating_block_limit", "0 rejects every ID (an empty block always repeats); use 1 or more");
  }
  if (p.conjugative_even_digits_limit === 0) {
    throw new RulesConfigError("conjugative_even_digits_limit", "0 rejects every ID; use 1 or more, or null to turn the rule off");
  }
  for (const name of ["digits_group_limit", "reverse_digits_group_limit"]) {
    if (p[name] === 0) throw new RulesConfigError(name, "0 rejects every ID (empty groups are always equal); use 1 or more, or null to turn the rule off");
  }
  // With digits_group_overlap (MOSIP) the groups are compared whenever they fit. MOSIP's generator cannot
  // compare groups longer than the ID at all, and at G = length the two groups are the whole ID, which
  // rejects everything: id-rules.md calls mosip-uin at length ≤ 5 a configuration that admits nothing.
  if (p.digits_group_overlap) {
    if (p.digits_group_limit === p.id_length) {
      throw new RulesConfigError("digits_group_limit", `${p.digits_group_limit} equals id_length: with digits_group_overlap the first and last ${p.digits_group_limit} digits are the whole ID, so every ID is rejected; lower it or set it to null`);
    }
    if (p.digits_group_limit !== null && p.digits_group_limit > p.id_length) {
      throw new RulesConfigError("digits_group_limit", `${p.digits_group_limit} is longer than id_length ${p.id_length}: with digits_group_overlap (MOSIP) the groups must fit in the ID, and id-rules.md refuses mosip-uin at length 5 or less; lower it or set it to null`);
    }
    if (p.reverse_digits_group_limit !== null && p.reverse_digits_group_limit > p.id_length) {
      throw new RulesConfigError("reverse_digits_group_limit", `${p.reverse_digits_group_limit} is longer than id_length ${p.id_length}, so the groups cannot be compared; lower it or set it to null`);
    }
  }
}

/** The arguments of the module's configure() export, in its order. */
export function configureArguments(p) {
  const repeatDistance = p.repeating_limit_inclusive ? p.repeating_limit : Math.max(0, p.repeating_limit - 1);
  let evenMask = 0;
  for (const digit of p.even_digits) evenMask |= 1 << Number(digit);
  return [
    p.id_length, p.sequence_limit, p.sequence_wrap ? 1 : 0, repeatDistance, p.repeating_block_limit,
    p.conjugative_even_digits_limit ?? 0, evenMask, p.digits_group_limit ?? 0, p.reverse_digits_group_limit ?? 0,
    p.digits_group_overlap ? 1 : 0,
  ];
}
