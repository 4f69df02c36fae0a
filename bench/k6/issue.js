// Single-ID issuance: POST /v1/idgenerator/{ID_TYPE}/id. The headline figure.
// k6 run -e BASE_URL=http://idgen:8080 -e ID_TYPE=farmer -e PROFILE=average bench/k6/issue.js
import { healthProbe, summaryTo } from "./lib/lifecycle.js";
import { scenario } from "./lib/profiles.js";
import { issueOne } from "./lib/requests.js";
import { thresholds } from "./lib/thresholds.js";

export const options = { scenarios: { issue: scenario("issue") }, thresholds: thresholds("issue") };
export const setup = healthProbe;
export function issue() {
  issueOne();
}
export const handleSummary = summaryTo("issue");
