// Validation: GET /v1/idgenerator/{ID_TYPE}/id/validate/{id}, on IDs the service itself issued (valid) and the
// same IDs with a wrong check digit (invalid), half and half.
import { healthProbe, summaryTo } from "./lib/lifecycle.js";
import { scenario } from "./lib/profiles.js";
import { corrupt, issueOne, validate as validateId } from "./lib/requests.js";
import { thresholds } from "./lib/thresholds.js";

export const options = { scenarios: { validate: scenario("validate") }, thresholds: thresholds("validate") };

/** Health first, then a few real IDs to validate (issued once, shared by every VU). */
export function setup() {
  const state = healthProbe();
  const ids = [];
  for (let i = 0; i < 20; i++) {
    const id = issueOne();
    if (id) ids.push(id);
  }
  if (ids.length === 0) throw new Error("the service issued no ID to validate");
  return { ...state, ids };
}

export function validate(data) {
  const id = data.ids[__ITER % data.ids.length];
  if (__ITER % 2 === 0) validateId(id, true);
  else validateId(corrupt(id), false);
}
export const handleSummary = summaryTo("validate");
