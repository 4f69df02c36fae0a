// The config file's schema: OpenG2P's `id_generator` section with its defaults, this service's per-type
// extensions (profile, rule parameters, pool and buffer sizes), and the relations between the sizes.
import { z } from "zod";
import { PROFILES } from "../../wasm/index.js";
import { sequencesSchema } from "./sequences";

export const TYPE_NAME = /^[a-z][a-z0-9_]{1,63}$/;
/** The filter rules OpenG2P reads directly under id_generator (the same names as the engine's parameters). */
export const GLOBAL_RULE_KEYS = ["sequence_limit", "repeating_limit", "repeating_block_limit", "conjugative_even_digits_limit",
  "digits_group_limit", "reverse_digits_group_limit", "not_start_with", "restricted_numbers"] as const;
/** Every parameter of the rules engine (index.d.ts RuleParameters) plus `profile`: allowed per type. */
export const RULE_KEYS = ["profile", "id_length", ...Object.keys(PROFILES.openg2p)] as readonly string[];

const MAX_POOL = 100_000_000;
const MAX_BUFFER = 1_000_000;
const count = (min: number, max: number) => z.int().min(min).max(max);
// Rule values are typed and range-checked by resolveParameters (wasm/params.js), which owns them and the
// profiles' defaults; here they only have to exist under a known name.
const ruleValues = (keys: readonly string[]) => Object.fromEntries(keys.map((key) => [key, z.unknown().optional()]));

const POOL_KEYS = {
  /** IDs kept available in the database; default: pool_min_threshold + pool_generation_batch_size. */
  pool_target: count(1, MAX_POOL).optional(),
  /** Refill the pool when fewer are available; default: the global pool_min_threshold. */
  pool_min_threshold: count(1, MAX_POOL).optional(),
  /** IDs a pod claims from the pool into memory at once; default 1000. */
  buffer_size: count(1, MAX_BUFFER).optional(),
  /** Refill the pod's buffer when it holds fewer; default: 30 % of buffer_size, rounded down. */
  buffer_low_water: count(0, MAX_BUFFER).optional(),
  /** Most IDs a pod claims at once under load (claims grow with demand); default: see bufferMaxDefault. */
  buffer_max: count(1, MAX_BUFFER).optional(),
};

const idTypeSchema = z.strictObject({
  ...ruleValues(RULE_KEYS),
  id_length: z.unknown().refine((value) => value !== undefined, "is required"),
  ...POOL_KEYS,
});
export const TYPE_KEYS = Object.keys(idTypeSchema.shape);

const idGeneratorSchema = z
  .strictObject({
    ...ruleValues(GLOBAL_RULE_KEYS),
    pool_min_threshold: count(1, MAX_POOL).default(1000),
    pool_generation_batch_size: count(1, MAX_POOL).default(5000),
    pool_check_interval_seconds: z.number().positive().max(86_400).default(30),
    /** This service's extension: a pod not seen for this long is gone, and what it held is waste (src/pool/lease.ts). */
    pod_lease_seconds: z.number().min(3).max(3600).default(30),
    /** This service's extension: refills run in a worker thread (src/pool/refill-thread.ts); false: on the event loop. */
    refill_in_worker: z.boolean().default(true),
    /** Accepted for compatibility: exhaustion is exact here (the engine counts the space), not a heuristic. */
    exhaustion_max_attempts: count(1, Number.MAX_SAFE_INTEGER).default(1000),
    /** Accepted for compatibility: unused. */
    sub_batch_size: count(1, Number.MAX_SAFE_INTEGER).default(10_000),
    id_types: z
      .record(z.string().regex(TYPE_NAME, `is not a valid ID type name (must match ${TYPE_NAME.source})`), idTypeSchema)
      .refine((types) => Object.keys(types).length > 0, "must define at least one ID type"),
  })
  .transform((section, ctx) => {
    const idTypes: Record<string, PoolSizes> = Object.create(null);
    for (const [name, type] of Object.entries(section.id_types)) {
      const sizes = poolSizes(type, section);
      for (const [key, message] of relationProblems(type, sizes)) {
        ctx.issues.push({ code: "custom", path: ["id_types", name, key], input: type[key], message });
      }
      idTypes[name] = sizes;
    }
    return {
      poolMinThreshold: section.pool_min_threshold,
      poolGenerationBatchSize: section.pool_generation_batch_size,
      poolCheckIntervalSeconds: section.pool_check_interval_seconds,
      podLeaseSeconds: section.pod_lease_seconds,
      refillInWorker: section.refill_in_worker,
      exhaustionMaxAttempts: section.exhaustion_max_attempts,
      subBatchSize: section.sub_batch_size,
      idTypes,
    };
  });

export const SECTION_KEYS = Object.keys(idGeneratorSchema.in.shape);

/**
 * The whole file: id_generator (OpenG2P's) and sequences (this service's counters, src/config/sequences.ts; the
 * default counter exists without it). Other top-level keys are OpenG2P's or the operator's, and ignored.
 */
export const fileSchema = z.looseObject({ id_generator: idGeneratorSchema, sequences: sequencesSchema.prefault({}) });
export const READ_SECTIONS = ["id_generator", "sequences", "keys", "accountability"];
export type FileSettings = z.output<typeof fileSchema>;

export interface PoolSizes {
  readonly pool: { readonly target: number; readonly minThreshold: number };
  readonly buffer: { readonly size: number; readonly lowWater: number; readonly max: number };
}

type TypeInput = z.output<typeof idTypeSchema>;
type SectionInput = { pool_min_threshold: number; pool_generation_batch_size: number };

function poolSizes(type: TypeInput, section: SectionInput): PoolSizes {
  const minThreshold = type.pool_min_threshold ?? section.pool_min_threshold;
  // OpenG2P adds one batch whenever the pool is below the threshold, so its pool peaks at threshold + batch:
  // the same target keeps the database footprint and the refill rhythm of the service being replaced.
  const target = type.pool_target ?? minThreshold + section.pool_generation_batch_size;
  // 1000 IDs last a pod seconds at peak load yet cost one claim query; refilling at 30 % leaves the claim
  // time to complete before the buffer runs dry.
  const size = type.buffer_size ?? 1000;
  const lowWater = type.buffer_low_water ?? Math.floor(size * 0.3);
  const max = type.buffer_max ?? bufferMaxDefault(size, target);
  return { pool: { target, minThreshold }, buffer: { size, lowWater, max } };
}

/**
 * How far a pod's claims may grow under load (src/pool/buffer.ts) unless buffer_max is set: up to ten
 * buffer_sizes, and at most a tenth of pool_target (in whole buffer_sizes, at least one), so that one busy pod
 * never takes more than a tenth of the pool in one claim and leaves the rest to the others. With the defaults
 * (pool_target 6000) claims stay at buffer_size; with pool_target 300,000 they may reach 10,000. A larger
 * claim means more IDs lost if the pod is killed (at most 2 * buffer_max - 2 per type), none on a graceful stop.
 */
function bufferMaxDefault(size: number, target: number): number {
  return size * Math.min(10, Math.max(1, Math.floor(target / (10 * size))));
}

/** [key to blame, reason]: the key named is one the operator set in this type. */
function relationProblems(type: TypeInput, { pool, buffer }: PoolSizes): [keyof TypeInput, string][] {
  const problems: [keyof TypeInput, string][] = [];
  if (buffer.lowWater >= buffer.size) {
    problems.push(["buffer_low_water", `must be less than buffer_size (${buffer.size})`]);
  }
  if (pool.minThreshold > pool.target) {
    problems.push(type.pool_target !== undefined
      ? ["pool_target", `must be at least pool_min_threshold (${pool.minThreshold})`]
      : ["pool_min_threshold", `must be at most pool_target (${pool.target})`]);
  }
  // The default buffer_max is always within these bounds (bufferMaxDefault); only a configured one can break them.
  if (type.buffer_max !== undefined && buffer.max < buffer.size) {
    problems.push(["buffer_max", `must be at least buffer_size (${buffer.size})`]);
  } else if (type.buffer_max !== undefined && buffer.max > pool.target) {
    problems.push(["buffer_max", `must be at most pool_target (${pool.target}), or one claim empties the pool`]);
  }
  if (buffer.size > pool.target) {
    // A pod's claim would empty the pool at once, leaving other pods nothing until the refill.
    problems.push(type.buffer_size !== undefined && type.pool_target === undefined
      ? ["buffer_size", `must be at most pool_target (${pool.target})`]
      : ["pool_target", `must be at least buffer_size (${buffer.size}), or a pod's claim empties the pool`]);
  }
  return problems;
}
