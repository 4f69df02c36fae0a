// A registry's day, all at once (shares of requests): enrolment desks issuing one ID per person (60 %), back offices checking IDs
// they were handed (25 %), bulk imports taking batches of 100 (5 %), case numbers from the sequential service (10 %).
// Each kind of client is its own scenario at its share of the profile's rate, so their latencies stay apart.
// Set SEQUENCES=0 or BATCHES=0 against a build without those endpoints.
import { healthProbe, summaryTo } from "./lib/lifecycle.js";
import { scenario } from "./lib/profiles.js";
import { corrupt, issueBatch, issueOne, next, validate } from "./lib/requests.js";
import { thresholds } from "./lib/thresholds.js";

const withSequences = __ENV.SEQUENCES !== "0";
const withBatches = __ENV.BATCHES !== "0";
const scenarios = { enrolment: scenario("enrolment", 0.6), checks: scenario("checks", 0.25) };
if (withBatches) scenarios.imports = scenario("imports", 0.05);
if (withSequences) scenarios.cases = scenario("cases", 0.1);
export const options = { scenarios, thresholds: thresholds("issue", "validate", "batch", "next") };

export function setup() {
  const state = healthProbe();
  const ids = [];
  for (let i = 0; i < 20; i++) {
    const id = issueOne();
    if (id) ids.push(id);
  }
  return { ...state, ids };
}

export function enrolment() {
  issueOne();
}
export function checks(data) {
  const id = data.ids[__ITER % data.ids.length];
  if (__ITER % 5 === 0) validate(corrupt(id), false);
  else validate(id, true);
}
export function imports() {
  issueBatch(100);
}
export function cases() {
  next();
}
export const handleSummary = summaryTo("registry-day");
