// A first look at an ID type's space when its rules are created: is it empty, and can generate() draw from it
// uniformly in reasonable time? Configurations that fail either are refused with the parameter to change.
import { RulesConfigError, resolveParameters } from "./params.js";

export const WALK_COUNT = 0;
export const WALK_EMIT = 1;
export const WALK_FIRST = 2;

const QUICK_PROBES = 2_000;
/** Search trees smaller than this are counted exactly at creation (a few milliseconds). */
const QUICK_EXACT_NODES = 5e6;
/** Rejection sampling needing more candidates per valid ID than this is too slow (about a second per ID). */
const MAX_CANDIDATES_PER_ID = 1e7;
/** A space too sparse for rejection is enumerated instead when it has at most this many IDs. */
export const SPARSE_ENUMERATION_MAX = 1 << 22;
const SPARSE_COUNT_BUDGET = 2e7;

/** How many equally likely ways generate() has to draw a payload (see drawDigit in assembly/search.ts). */
function drawSpace(p) {
  const excludedFirst = new Set(p.not_start_with.filter((entry) => entry.length === 1)).size;
  const repeatDistance = p.repeating_limit_inclusive ? p.repeating_limit : Math.max(0, p.repeating_limit - 1);
  let ways = Math.max(0, 10 - excludedFirst);
  for (let j = 1; j < p.id_length - 1; j++) ways *= Math.max(0, 10 - Math.min(repeatDistance, j));
  return ways;
}

/**
 * Knuth's estimate of the valid IDs and of the search tree; exact counts where the tree is small; and the
 * verdict: "ok", "empty", or "sparse" (non-empty, but rejection sampling would need more than
 * MAX_CANDIDATES_PER_ID candidates per ID and the space is too large to enumerate).
 */
export function analyseSpace(engine, parameters, deep = true) {
  const { wasm, memory } = engine;
  wasm.estimate(QUICK_PROBES);
  const [leaves, , nodes, nodesVariance] = new Float64Array(memory.buffer, wasm.estimatePointer(), 4);
  const analysis = { exactCount: undefined, estimatedLeaves: leaves, estimatedNodes: nodes, enumerate: false, verdict: "ok" };
  if (nodes + 4 * Math.sqrt(nodesVariance / QUICK_PROBES) < QUICK_EXACT_NODES) {
    const count = wasm.walk(WALK_COUNT, 10 * QUICK_EXACT_NODES, 0, 0n);
    if (count >= 0n) Object.assign(analysis, { exactCount: count, estimatedLeaves: Number(count) });
  }
  if (analysis.exactCount === 0n) return { ...analysis, verdict: "empty" };
  if (analysis.estimatedLeaves * MAX_CANDIDATES_PER_ID >= drawSpace(parameters)) return analysis;
  if (analysis.exactCount !== undefined) return { ...analysis, enumerate: true };
  if (!deep) return { ...analysis, verdict: analysis.estimatedLeaves > 0 ? "sparse" : "empty" };
  // Rare valid IDs: count them exactly if the search stays affordable, and generate from the list.
  const count = wasm.walk(WALK_COUNT, SPARSE_COUNT_BUDGET, 0, 0n);
  if (count === 0n) return { ...analysis, exactCount: count, verdict: "empty" };
  if (count > 0n && count <= BigInt(SPARSE_ENUMERATION_MAX)) return { ...analysis, exactCount: count, enumerate: true };
  return { ...analysis, verdict: count > 0n || analysis.estimatedLeaves > 0 ? "sparse" : "empty" };
}

// Parameters that, turned off or widened, may let IDs through: named when a configuration is refused.
const RELAXATIONS = [
  ["not_start_with", { not_start_with: [] }],
  ["restricted_numbers", { restricted_numbers: [] }],
  ["repeating_block_limit", { repeating_block_limit: 32 }],
  ["repeating_limit", { repeating_limit: 0 }],
  ["sequence_limit", { sequence_limit: 32 }],
  ["conjugative_even_digits_limit", { conjugative_even_digits_limit: null }],
  ["digits_group_limit", { digits_group_limit: null }],
  ["reverse_digits_group_limit", { reverse_digits_group_limit: null }],
  ["cyclic_numbers", { cyclic_numbers: false }],
];

/** Throws RulesConfigError when the space is empty or too sparse, naming the parameters whose relaxing helps. */
export async function refuseUnusableSpace(parameters, engine, analyseTrial) {
  const { verdict } = engine.analysis;
  if (verdict === "ok") return;
  const culprits = [];
  for (const [name, relaxed] of RELAXATIONS) {
    const trial = resolveParameters({ ...parameters, ...relaxed });
    if ((await analyseTrial(trial)).verdict === "ok") culprits.push(name);
  }
  const blamed = culprits[0] ?? "id_length";
  const hint = culprits.length ? `; relaxing ${culprits.join(" or ")} would help` : "";
  const problem = verdict === "empty"
    ? `this configuration admits no valid ID of length ${parameters.id_length}`
    : `valid IDs of length ${parameters.id_length} are so rare (under 1 in ${MAX_CANDIDATES_PER_ID} random candidates) and so many that they can be neither drawn nor listed in reasonable time`;
  throw new RulesConfigError(blamed, problem + hint);
}
