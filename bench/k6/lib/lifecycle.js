// What every scenario does before and after: a health probe in setup() (a run against a service that is not
// ready would measure only errors), and a JSON summary for the record.
import http from "k6/http";
import exec from "k6/execution";
import { BASE_URL, PROFILE, SUMMARY_DIR, params } from "./config.js";

/** Fails the run at once unless /v1/idgenerator/health answers 200 {"status":"UP"} in the envelope. */
export function healthProbe() {
  const res = http.get(`${BASE_URL}/v1/idgenerator/health`, params("health"));
  let status = null;
  try {
    status = res.json("response.status");
  } catch (_) {
    // not JSON: reported below
  }
  if (res.status !== 200 || status !== "UP") {
    exec.test.abort(`${BASE_URL} is not healthy (HTTP ${res.status}): start the service or set BASE_URL`);
  }
  return { startedAt: new Date().toISOString() };
}

/** handleSummary for a scenario: the full summary as <name>-summary.json, and a few lines on stdout. */
export function summaryTo(name) {
  return (data) => {
    const metric = (key, stat) => data.metrics[key] && data.metrics[key].values[stat];
    const lines = [
      `${name} (${PROFILE}) against ${BASE_URL}`,
      `  requests: ${metric("http_reqs", "count")} (${(metric("http_reqs", "rate") || 0).toFixed(1)}/s), failed: ${((metric("http_req_failed", "rate") || 0) * 100).toFixed(3)} %`,
      `  latency: p50 ${(metric("http_req_duration", "med") || 0).toFixed(2)} ms, p95 ${(metric("http_req_duration", "p(95)") || 0).toFixed(2)} ms, max ${(metric("http_req_duration", "max") || 0).toFixed(2)} ms`,
      ...Object.entries(data.metrics)
        .filter(([, m]) => m.thresholds)
        .map(([key, m]) => `  ${Object.values(m.thresholds).every((t) => t.ok) ? "ok  " : "FAIL"} ${key} ${Object.keys(m.thresholds).join(", ")}`),
    ];
    return { stdout: `${lines.join("\n")}\n`, [`${SUMMARY_DIR}/${name}-summary.json`]: JSON.stringify(data, null, 2) };
  };
}
