// Where and as whom the scenarios run: everything from the environment (k6 run -e NAME=value), nothing baked in.
//   BASE_URL   the service, default http://localhost:8080
//   ID_TYPE    the ID type to issue and validate, default "farmer"
//   API_KEY    sent as "Authorization: Bearer <key>" when set (for a gateway in front of the service)
//   PROFILE    smoke | average | stress | spike | soak (lib/profiles.js), default smoke
//   RATE       average profile's requests/s (the others scale from it), default 500
//   SUMMARY_DIR where handleSummary writes <scenario>-summary.json, default the working directory
export const BASE_URL = (__ENV.BASE_URL || "http://localhost:8080").replace(/\/$/, "");
export const ID_TYPE = __ENV.ID_TYPE || "farmer";
export const PROFILE = __ENV.PROFILE || "smoke";
export const RATE = Number(__ENV.RATE || 500);
export const SUMMARY_DIR = (__ENV.SUMMARY_DIR || ".").replace(/\/$/, "");

const auth = __ENV.API_KEY ? { Authorization: `Bearer ${__ENV.API_KEY}` } : {};

/** Request params: the auth header, JSON where there is a body, and a name tag so URLs with IDs group as one. */
export function params(name, { json = false } = {}) {
  return { headers: { ...auth, ...(json ? { "Content-Type": "application/json" } : {}) }, tags: { name } };
}
