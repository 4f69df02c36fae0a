// Generation and capacity costs of the rules engine: valid IDs per second in pool-refill batches (time-boxed,
// since a long type yields only hundreds a second), and how long createRules() and capacity() take.
import { createRules, type RuleOptions, type Rules } from "../../wasm/index.js";
import { timeBoxed } from "./measure.js";

/** The batch a pool refill asks for. */
export const REFILL_BATCH = 10_000;

/**
 * The largest batch up to REFILL_BATCH that takes at most half of `seconds`, from two timed probes (the first
 * also warms the engine up), so that a time-boxed loop over a sparse type still ends on time.
 */
export function calibrateBatch(rules: Rules, seconds: number): number {
  let batch = 20;
  for (let pass = 0; pass < 2; pass++) {
    const start = performance.now();
    rules.generateBytes(batch);
    const rate = batch / Math.max((performance.now() - start) / 1000, 1e-6);
    batch = Math.max(1, Math.min(REFILL_BATCH, Math.floor((rate * seconds) / 2)));
  }
  return batch;
}

export interface GenerationSample {
  batch: number;
  calls: number;
  items: number;
  seconds: number;
  rate: number;
}

/** Valid IDs per second from generateBytes(batch) (the bytes a COPY into the pool takes). */
export function measureGenerateBytes(rules: Rules, batch: number, seconds: number): GenerationSample {
  const stride = rules.parameters.id_length + 1;
  return { batch, ...timeBoxed(seconds, () => rules.generateBytes(batch).length / stride) };
}

/** The same through generate(batch), which decodes the bytes into strings. */
export function measureGenerateStrings(rules: Rules, batch: number, seconds: number): GenerationSample {
  return { batch, ...timeBoxed(seconds, () => rules.generate(batch).length) };
}

export interface CapacitySample {
  createSeconds: number;
  capacitySeconds: number;
  count: string;
  method: string;
}

/** A fresh instance each time: capacity() is cached per instance, and short types are counted at creation. */
export async function measureCapacity(options: RuleOptions): Promise<CapacitySample> {
  const start = performance.now();
  const rules = await createRules(options);
  const created = performance.now();
  const capacity = await rules.capacity();
  const done = performance.now();
  return {
    createSeconds: (created - start) / 1000,
    capacitySeconds: (done - created) / 1000,
    count: String(capacity.count),
    method: capacity.method,
  };
}
