// Types of @idgen/rules: the ID quality rules engine (ten filters + Verhoeff) as one WebAssembly module.
// The contract is ../shared/reference/id-rules.md (copied into README.md of this package).

/** Names of the rule presets. */
export type ProfileName = "openg2p" | "mosip-uin" | "mosip-vid";

/** Why an ID is not valid: the first failing check, in this order. */
export type Reason =
  | "not_digits"
  | "length"
  | "checksum"
  | "not_start_with"
  | "sequence"
  | "repeating_digit"
  | "repeating_block"
  | "conjugative_even"
  | "first_equals_last"
  | "first_equals_reverse_last"
  | "restricted"
  | "cyclic";

/** Every parameter of an ID type. A profile fills in all of them; any may be overridden. */
export interface RuleParameters {
  /** Digits in an ID, check digit included: 2..32. Required for `openg2p`; 10 for mosip-uin, 16 for mosip-vid. */
  id_length: number;
  /** Rejected if the ID starts with any entry (prefix test). Entries: 1..32 digits. */
  not_start_with: string[];
  /** S: rejected if S consecutive digits form a +1 or a -1 run. 2..32 (≤ 1 rejects every ID). */
  sequence_limit: number;
  /** Whether 9→0 counts as +1 and 0→9 as -1 in a run. */
  sequence_wrap: boolean;
  /** R: rejected if two equal digits stand at distance k, k in 1..R-1 (or 1..R when inclusive). 0..32. */
  repeating_limit: number;
  /** false: k in 1..R-1 (OpenG2P); true: k in 1..R (MOSIP). */
  repeating_limit_inclusive: boolean;
  /** B: rejected if the block of B digits at i appears again at any j ≥ i+B. 1..32 (0 rejects every ID). */
  repeating_block_limit: number;
  /** E: rejected if E consecutive digits are all even; null turns the rule off. 1..32. */
  conjugative_even_digits_limit: number | null;
  /** The digits that count as even for the rule above, e.g. "02468" (OpenG2P) or "2468" (MOSIP). */
  even_digits: string;
  /** G: rejected if the first G digits equal the last G; null turns the rule off. 1..32. */
  digits_group_limit: number | null;
  /** G': rejected if the first G' digits equal the last G' reversed; null turns the rule off. 1..32. */
  reverse_digits_group_limit: number | null;
  /** false: the two group rules apply only when length ≥ 2G (OpenG2P); true: whenever length ≥ G (MOSIP). */
  digits_group_overlap: boolean;
  /** Rejected if any entry occurs as a substring. Entries: 1..32 digits. */
  restricted_numbers: string[];
  /** Rejected if the ID contains one of the cyclic numbers (repetends of 1/7, 1/17, 1/19, ...). */
  cyclic_numbers: boolean;
}

/** What createRules accepts: a profile name and any parameters to override. */
export type RuleOptions = Partial<RuleParameters> & { profile?: ProfileName };

export type Validation = { readonly valid: true; readonly reason: null } | { readonly valid: false; readonly reason: Reason };

export interface Capacity {
  /** How many valid IDs the type has: exact, or the point estimate. */
  count: bigint;
  /** true when count was obtained by enumerating every valid ID. */
  exact: boolean;
  /** 95 % confidence interval of an estimate (equal to count when exact). */
  low: bigint;
  high: bigint;
  /** count / 10^(id_length - 1): the share of payloads that make a valid ID. */
  share: number;
  /** How it was computed: "enumeration" or "sampling" (Knuth's tree-size estimator over random probes). */
  method: "enumeration" | "sampling";
  /** Random probes used by the estimate (0 for enumeration). */
  probes: number;
}

export interface Rules {
  /** The resolved parameters (profile applied, overrides merged). */
  readonly parameters: Readonly<RuleParameters> & { readonly profile: ProfileName };
  /** Validates one ID. Returns one of a few shared frozen objects: no allocation per call. */
  validate(id: string): Validation;
  /** Reason codes for many IDs at once (0 = valid, else 1 + index in REASONS). Fast path: one WASM call per 64 KiB. */
  validateMany(ids: readonly string[]): Uint8Array;
  /** Reason codes for newline-separated IDs given as bytes (the fastest path: no strings at all). */
  validateBytes(lines: Uint8Array): Uint8Array;
  /** The Verhoeff check digit of a payload of digits (any length 1..31). Throws on non-digits. */
  checkDigit(payload: string): string;
  /** n distinct valid IDs, uniformly random over the whole valid space (CSPRNG). Throws if n exceeds the space. */
  generate(n: number): string[];
  /** The same as generate(n), as the bytes "id\n" repeated n times (ready for PostgreSQL COPY). */
  generateBytes(n: number): Uint8Array;
  /** Every valid ID in ascending order. Throws when there are more than `limit` (default 5,000,000). */
  enumerate(limit?: number): string[];
  /**
   * How many valid IDs this type has: exact (enumeration) up to length 10 and wherever the search is small,
   * else a sampling estimate with a 95 % interval. Computed on the first call, then cached. Passing options
   * forces a method or a number of probes and computes afresh (for tests and studies).
   */
  capacity(options?: { method?: "enumeration" | "sampling"; probes?: number }): Promise<Capacity>;
  /** The exact capacity if it is already known (small spaces are counted by createRules), else null. Never computes. */
  knownCapacity(): Capacity | null;
}

/** Reason names indexed by reason code - 1. */
export declare const REASONS: readonly Reason[];
/** The three presets, each complete but for id_length where the profile leaves it to the type. */
export declare const PROFILES: Readonly<Record<ProfileName, Readonly<Partial<RuleParameters>>>>;

/** Thrown by createRules for a bad configuration: names the parameter and says why. */
export declare class RulesConfigError extends Error {
  readonly code: "RULES_CONFIG";
  readonly parameter: string;
}

export interface LoadOptions {
  /**
   * The compiled module, its bytes, or a URL to fetch; defaults to build/rules.wasm beside this file, or
   * build/rules.scalar.wasm where WebAssembly SIMD is missing.
   */
  wasm?: WebAssembly.Module | BufferSource | URL | string;
  /**
   * How generate() draws. "auto" (default): from the list of all valid IDs when the space has at most 2^20,
   * else by rejection. The other two force one way (tests measure the uniformity of each).
   */
  sampler?: "auto" | "rejection" | "enumeration";
}

/** Whether this runtime has WebAssembly SIMD (every current browser, Bun and Node ≥ 16 do). */
export declare function simdSupported(): boolean;
/** The module file this runtime should load: "rules.wasm", or "rules.scalar.wasm" (same results, no SIMD). */
export declare function moduleFile(): "rules.wasm" | "rules.scalar.wasm";
export declare function createRules(options?: RuleOptions, load?: LoadOptions): Promise<Rules>;
/** Resolves the parameters (profile + overrides) and checks their ranges, without loading WebAssembly. */
export declare function resolveParameters(options?: RuleOptions): RuleParameters & { profile: ProfileName };
