// The sequential service's /range: GET /range?count=COUNT (default 100) -> COUNT consecutive integers.
import { healthProbe, summaryTo } from "./lib/lifecycle.js";
import { scenario } from "./lib/profiles.js";
import { range as rangeOf } from "./lib/requests.js";
import { thresholds } from "./lib/thresholds.js";

const COUNT = Number(__ENV.COUNT || 100);
export const options = { scenarios: { range: scenario("range", 0.1) }, thresholds: thresholds("range") };
export const setup = healthProbe;
export function range() {
  rangeOf(COUNT);
}
export const handleSummary = summaryTo("range");
