// Our service levels, as k6 thresholds: a run that breaks one fails (k6 exits non-zero). Latencies are what a
// client in the same cluster sees; measured figures on a 2-core machine are in bench/RESULTS.md.
//   - Issuing an ID: p95 under 10 ms, p99 under 25 ms. The request path touches no database in steady state.
//   - Validating: p99 under 10 ms (pure computation).
//   - Batches and ranges: p99 under 50 ms.
//   - Errors: under 0.1 % of requests fail (a 503 IDG-001 counts: it means a refill fell behind).
//   - Every answer has the shape of the contract (checks), 99.9 %.
export const SERVICE_LEVELS = {
  "http_req_failed": ["rate<0.001"],
  "checks": ["rate>0.999"],
  "http_req_duration{name:issue}": ["p(95)<10", "p(99)<25"],
  "http_req_duration{name:validate}": ["p(99)<10"],
  "http_req_duration{name:batch}": ["p(99)<50"],
  "http_req_duration{name:next}": ["p(95)<10", "p(99)<25"],
  "http_req_duration{name:range}": ["p(99)<50"],
};

/** The service levels that concern the named requests (k6 warns about thresholds on tags never seen). */
export function thresholds(...names) {
  const out = { http_req_failed: SERVICE_LEVELS.http_req_failed, checks: SERVICE_LEVELS.checks };
  for (const name of names) {
    const key = `http_req_duration{name:${name}}`;
    if (SERVICE_LEVELS[key]) out[key] = SERVICE_LEVELS[key];
  }
  return out;
}
