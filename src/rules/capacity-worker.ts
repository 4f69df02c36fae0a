// Worker body: counts (or estimates) one ID type's capacity with its own engine instance, so the seconds an
// exact count of a 10-digit space takes never block the service's event loop.
import { createRules, type RuleOptions } from "../../wasm/index.js";

declare const self: Worker;

self.onmessage = async (event: MessageEvent<RuleOptions>) => {
  try {
    const capacity = await (await createRules(event.data)).capacity();
    self.postMessage({ count: capacity.count.toString(), exact: capacity.exact, low: capacity.low.toString(), high: capacity.high.toString() });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
