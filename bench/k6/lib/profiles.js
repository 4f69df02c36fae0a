// Load profiles shared by every scenario. Arrival-rate executors: the load is requests per second whatever the
// latency (a slow service does not slow the test down and hide it), with enough VUs preallocated to keep up.
import { PROFILE, RATE } from "./config.js";


export const PROFILES = {
  // Does it work at all: a trickle for 30 s.
  smoke: { executor: "constant-arrival-rate", rate: 5, timeUnit: "1s", duration: "30s", preAllocatedVUs: 2, maxVUs: 10 },
  // A registry's busy day: ramp to RATE, hold 10 min.
  average: {
    executor: "ramping-arrival-rate", startRate: 0, timeUnit: "1s", preAllocatedVUs: 50, maxVUs: 500,
    stages: [{ duration: "1m", target: RATE }, { duration: "10m", target: RATE }, { duration: "1m", target: 0 }],
  },
  // Past the expected peak, in steps, to find where service levels break.
  stress: {
    executor: "ramping-arrival-rate", startRate: 0, timeUnit: "1s", preAllocatedVUs: 100, maxVUs: 2000,
    stages: [
      { duration: "2m", target: RATE * 2 }, { duration: "5m", target: RATE * 2 },
      { duration: "2m", target: RATE * 4 }, { duration: "5m", target: RATE * 4 }, { duration: "2m", target: 0 },
    ],
  },
  // A registration campaign opening: from nothing to 10x in seconds, then back.
  spike: {
    executor: "ramping-arrival-rate", startRate: 0, timeUnit: "1s", preAllocatedVUs: 200, maxVUs: 3000,
    stages: [{ duration: "10s", target: RATE * 10 }, { duration: "1m", target: RATE * 10 }, { duration: "10s", target: 0 }],
  },
  // Hours at the average rate: memory and latency must stay flat.
  soak: {
    executor: "ramping-arrival-rate", startRate: 0, timeUnit: "1s", preAllocatedVUs: 50, maxVUs: 500,
    stages: [{ duration: "2m", target: RATE }, { duration: "4h", target: RATE }, { duration: "2m", target: 0 }],
  },
};

/** The scenario block of a script's options: the chosen profile, running `exec`, scaled by `share` of the rate. */
export function scenario(exec, share = 1) {
  const profile = PROFILES[PROFILE];
  if (!profile) throw new Error(`PROFILE must be one of ${Object.keys(PROFILES).join(", ")}, not "${PROFILE}"`);
  const scaled = JSON.parse(JSON.stringify(profile));
  if (scaled.rate) scaled.rate = Math.max(1, Math.round(scaled.rate * share));
  if (scaled.stages) for (const stage of scaled.stages) stage.target = Math.round(stage.target * share);
  return { ...scaled, exec };
}

