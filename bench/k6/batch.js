// Batch issuance: POST /v1/idgenerator/{ID_TYPE}/ids {"count": BATCH} (default 100) -> {"ids": [...]}.
import { healthProbe, summaryTo } from "./lib/lifecycle.js";
import { scenario } from "./lib/profiles.js";
import { issueBatch } from "./lib/requests.js";
import { thresholds } from "./lib/thresholds.js";

const BATCH = Number(__ENV.BATCH || 100);
// A batch is BATCH IDs: the profile's rate is divided by ten so that a run issues a similar order of IDs.
export const options = { scenarios: { batch: scenario("batch", 0.1) }, thresholds: thresholds("batch") };
export const setup = healthProbe;
export function batch() {
  issueBatch(BATCH);
}
export const handleSummary = summaryTo("batch");
