// One engine per configuration across a test file: creating one runs a short analysis of its space.
import { createRules, type LoadOptions, type RuleOptions, type Rules } from "../../wasm/index";

const cache = new Map<string, Promise<Rules>>();

export function rulesFor(options: RuleOptions, load: LoadOptions = {}): Promise<Rules> {
  const key = JSON.stringify([options, load.sampler ?? "auto"]);
  let rules = cache.get(key);
  if (!rules) {
    rules = createRules(options, load);
    cache.set(key, rules);
  }
  return rules;
}
