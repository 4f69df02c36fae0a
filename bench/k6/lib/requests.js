// The requests of the scenarios, each with the checks of its contract (api-contract.md).
import http from "k6/http";
import { check } from "k6";
import { BASE_URL, ID_TYPE, params } from "./config.js";

const inEnvelope = (res) => {
  try {
    const body = res.json();
    return body.id === "openg2p.idgenerator" && body.version === "1.0" && Array.isArray(body.errors);
  } catch (_) {
    return false;
  }
};

/** POST /v1/idgenerator/{type}/id: one new ID. Returns it (or null). */
export function issueOne() {
  const res = http.post(`${BASE_URL}/v1/idgenerator/${ID_TYPE}/id`, null, params("issue"));
  const ok = check(res, {
    "issue: 200": (r) => r.status === 200,
    "issue: an ID of digits in the envelope": (r) => inEnvelope(r) && /^\d+$/.test(r.json("response.id")),
  });
  return ok ? res.json("response.id") : null;
}

/** POST /v1/idgenerator/{type}/ids {"count": n}: n new IDs at once. */
export function issueBatch(count) {
  const res = http.post(`${BASE_URL}/v1/idgenerator/${ID_TYPE}/ids`, JSON.stringify({ count }), params("batch", { json: true }));
  check(res, {
    "batch: 200": (r) => r.status === 200,
    "batch: n distinct IDs": (r) => {
      if (!inEnvelope(r)) return false;
      const ids = r.json("response.ids");
      return Array.isArray(ids) && ids.length === count && new Set(ids).size === count;
    },
  });
}

/** GET /v1/idgenerator/{type}/id/validate/{id}: the verdict, checked against what the caller expects. */
export function validate(id, expectValid) {
  const res = http.get(`${BASE_URL}/v1/idgenerator/${ID_TYPE}/id/validate/${id}`, params("validate"));
  check(res, {
    "validate: 200": (r) => r.status === 200,
    "validate: the expected verdict": (r) => inEnvelope(r) && r.json("response.valid") === expectValid,
  });
}

/** GET /next: a bare JSON number. */
export function next() {
  const res = http.get(`${BASE_URL}/next`, params("next"));
  check(res, {
    "next: 200": (r) => r.status === 200,
    "next: a bare integer": (r) => /^\d+$/.test(r.body.trim()),
  });
}

/** GET /range?count=n: n consecutive integers. */
export function range(count) {
  const res = http.get(`${BASE_URL}/range?count=${count}`, params("range"));
  check(res, {
    "range: 200": (r) => r.status === 200,
    "range: n consecutive integers": (r) => {
      // Compared as text digits: numbers above 2^53 must not be judged by a float.
      const items = r.body.trim().replace(/^\[|\]$/g, "").split(",").map((s) => s.trim().replace(/^"|"$/g, ""));
      if (items.length !== count || !items.every((s) => /^\d+$/.test(s))) return false;
      for (let i = 1; i < items.length; i++) if (items[i] !== plusOne(items[i - 1])) return false;
      return true;
    },
  });
}

/** An ID with its check digit changed: never valid (Verhoeff catches every single-digit error). */
export function corrupt(id) {
  const last = Number(id[id.length - 1]);
  return id.slice(0, -1) + String((last + 1) % 10);
}

/** n + 1 on decimal digit strings (no BigInt in every k6 runtime; floats lose precision above 2^53). */
function plusOne(digits) {
  const out = digits.split("");
  let i = out.length - 1;
  while (i >= 0 && out[i] === "9") out[i--] = "0";
  if (i < 0) return `1${out.join("")}`;
  out[i] = String(Number(out[i]) + 1);
  return out.join("");
}
