// The config file's `sequences` section (this service's own; OpenG2P has none): named counters for /next,
// /range and /counters/{name}/..., with their start, maximum, mode and block sizes. The `default` counter
// (the one /next and /range serve) exists whether or not it is listed.
import { z } from "zod";

export const COUNTER_NAME = /^[a-z][a-z0-9_]{1,63}$/;
export const DEFAULT_COUNTER = "default";
const BIGINT_MAX = 9223372036854775807n;
const MAX_BLOCK = 10_000_000;

/**
 * A 64-bit number: a whole number up to 2^53 - 1 as a YAML number, any up to 2^63 - 1 as a quoted digit
 * string (YAML numbers past 2^53 arrive rounded, so they are refused rather than silently changed).
 */
const counterNumber = z.unknown().transform((value, ctx) => {
  const fail = (message: string) => (ctx.issues.push({ code: "custom", input: value, message }), z.NEVER);
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) return fail("must be a whole number, 0 or more");
    if (value > Number.MAX_SAFE_INTEGER) return fail(`must be at most ${Number.MAX_SAFE_INTEGER} as a YAML number (larger ones arrive rounded); write it in quotes`);
    return BigInt(value);
  }
  if (typeof value === "string" && /^\d{1,19}$/.test(value) && BigInt(value) <= BIGINT_MAX) return BigInt(value);
  return fail(`must be a whole number from 0 to ${BIGINT_MAX} (in quotes above ${Number.MAX_SAFE_INTEGER})`);
});

const blockKeys = {
  /** Smallest block a pod takes (and its first); default 1000. */
  block_min: z.int().min(1).max(MAX_BLOCK).optional(),
  /** Largest block; default 100,000. */
  block_max: z.int().min(1).max(MAX_BLOCK).optional(),
  /** Seconds of a pod's traffic one block should last; default 10. */
  block_target_seconds: z.number().positive().max(3600).optional(),
};

const counterSchema = z.strictObject({
  /** The first number handed out; default 1. */
  start: counterNumber.optional(),
  max: counterNumber.optional(),
  mode: z.enum(["prefetch", "strict"]).optional(),
  ...blockKeys,
});
export const COUNTER_KEYS = Object.keys(counterSchema.shape);

export interface CounterConfig {
  readonly name: string;
  readonly start: bigint;
  /** Inclusive; undefined: 2^63 - 1. */
  readonly max?: bigint;
  readonly mode: "prefetch" | "strict";
  readonly block: { readonly min: number; readonly max: number; readonly targetSeconds: number };
}

export const sequencesSchema = z
  .strictObject({
    ...blockKeys,
    counters: z.record(z.string().regex(COUNTER_NAME, `is not a valid counter name (must match ${COUNTER_NAME.source})`), counterSchema.nullable()).optional(),
  })
  .transform((section, ctx) => {
    const counters: Record<string, CounterConfig> = Object.create(null);
    const listed: Record<string, z.output<typeof counterSchema> | null> = { [DEFAULT_COUNTER]: null, ...section.counters };
    for (const [name, own] of Object.entries(listed)) {
      const counter: z.output<typeof counterSchema> = own ?? {};
      const start = counter.start ?? 1n;
      const block = {
        min: counter.block_min ?? section.block_min ?? 1000,
        max: counter.block_max ?? section.block_max ?? 100_000,
        targetSeconds: counter.block_target_seconds ?? section.block_target_seconds ?? 10,
      };
      const at = (key: string) => ["counters", name, key];
      if (counter.max !== undefined && counter.max < start) ctx.issues.push({ code: "custom", path: at("max"), input: counter.max, message: `must be at least start (${start})` });
      if (block.min > block.max) {
        const key = counter.block_min !== undefined || section.block_min !== undefined ? "block_min" : "block_max";
        ctx.issues.push({ code: "custom", path: counter[key] !== undefined ? at(key) : [key], input: block[key === "block_min" ? "min" : "max"], message: key === "block_min" ? `must be at most block_max (${block.max})` : `must be at least block_min (${block.min})` });
      }
      counters[name] = jsonSafe({ name, start, ...(counter.max !== undefined ? { max: counter.max } : {}), mode: counter.mode ?? "prefetch", block });
    }
    return { counters };
  });

/** JSON.stringify cannot write a bigint: the config (logged whole at start-up) shows start and max as strings. */
function jsonSafe(counter: CounterConfig): CounterConfig {
  Object.defineProperty(counter, "toJSON", { value: () => ({ ...counter, start: String(counter.start), ...(counter.max !== undefined ? { max: String(counter.max) } : {}) }) });
  return counter;
}

export const SEQUENCES_KEYS = Object.keys(sequencesSchema.in.shape);
export type SequencesConfig = z.output<typeof sequencesSchema>;
