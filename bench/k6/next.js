// The sequential service's /next: GET /next -> a bare JSON number (api-contract.md §2).
import { healthProbe, summaryTo } from "./lib/lifecycle.js";
import { scenario } from "./lib/profiles.js";
import { next as nextNumber } from "./lib/requests.js";
import { thresholds } from "./lib/thresholds.js";

export const options = { scenarios: { next: scenario("next") }, thresholds: thresholds("next") };
export const setup = healthProbe;
export function next() {
  nextNumber();
}
export const handleSummary = summaryTo("next");
