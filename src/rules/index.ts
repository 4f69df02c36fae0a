// The service's one door to the rules engine (wasm/): building a type's rules, and counting its capacity
// in a worker thread.
import { createRules, type RuleOptions, type Rules } from "../../wasm/index.js";

export type { Rules };

export interface CountedCapacity {
  count: bigint;
  exact: boolean;
  low: bigint;
  high: bigint;
}

export function loadRules(parameters: RuleOptions): Promise<Rules> {
  return createRules(parameters);
}

/**
 * The type's capacity, computed in a worker thread (an exact count of a 10-digit space takes seconds).
 * Aborting `signal` (the service stopping) ends the worker at once and rejects.
 */
export function countCapacity(parameters: RuleOptions, signal?: AbortSignal): Promise<CountedCapacity> {
  if (signal?.aborted) return Promise.reject(new Error("capacity count aborted"));
  const worker = new Worker(new URL("./capacity-worker.ts", import.meta.url));
  return new Promise<CountedCapacity>((resolve, reject) => {
    signal?.addEventListener("abort", () => reject(new Error("capacity count aborted")), { once: true });
    worker.onmessage = (event: MessageEvent<{ error?: string; count: string; exact: boolean; low: string; high: string }>) => {
      const { error, count, exact, low, high } = event.data;
      if (error) reject(new Error(error));
      else resolve({ count: BigInt(count), exact, low: BigInt(low), high: BigInt(high) });
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(parameters);
  }).finally(() => worker.terminate());
}
