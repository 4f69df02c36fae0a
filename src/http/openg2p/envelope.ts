// The OpenG2P response envelope and its error codes: every response of /v1/idgenerator, errors included,
// has this shape (api-contract.md §1). Codes IDG-001..006 are OpenG2P's; IDG-007..010 are ours,
// IDG-011..022 those of accountability (keys, rate limits, idempotency, batches, audit).
import type { Context } from "hono";
import { idHeaders } from "../observe";

export interface EnvelopeError {
  errorCode: string;
  message: string;
}

let stampedAt = Number.NaN;
let stamp = "";
/**
 * The time as `responsetime` shows it (UTC, milliseconds, Z), formatted once per millisecond: under load a
 * millisecond holds dozens of answers, and toISOString() cost issuance about 0.5 µs of its 7 per request (one
 * process, 6 interleaved wrk rounds, 2026-12-06: 7.33 against 6.80 µs of server CPU; a scratch comparison, not
 * in bench/).
 */
export function responseTime(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}

export function envelope<T>(response: T, errors: EnvelopeError[] = []) {
  return { id: "openg2p.idgenerator" as const, version: "1.0" as const, responsetime: responseTime(), response, errors };
}

/** Each error the API can answer, with its status. Messages say what happened and, where useful, what to do. */
export const API_ERRORS = {
  replenishing: { status: 503, code: "IDG-001", message: (type: string) => `No IDs available for ID type '${type}'. Replenishment in progress.` },
  exhausted: { status: 410, code: "IDG-002", message: (type: string) => `ID space exhausted for ID type '${type}'` },
  unknownType: { status: 404, code: "IDG-003", message: (type: string) => `Unknown ID type '${type}'` },
  notReady: { status: 503, code: "IDG-005", message: () => "Service not ready: startup not complete" },
  database: { status: 503, code: "IDG-006", message: () => "Database health check failed" },
  invalidParameter: { status: 422, code: "IDG-007", message: (detail: string) => `Invalid request: ${detail}` },
  noRoute: { status: 404, code: "IDG-008", message: (path: string) => `No such endpoint: ${path}. See /openapi.json for the API.` },
  wrongMethod: { status: 405, code: "IDG-009", message: (method: string) => `Method ${method} is not allowed here. See the Allow header.` },
  internal: { status: 500, code: "IDG-010", message: () => "Internal error. It has been logged; retry later or contact the operator." },
  // Accountability (issue 5).
  unauthenticated: { status: 401, code: "IDG-011", message: () => "An API key is required: send Authorization: Bearer <secret>." },
  wrongKey: { status: 401, code: "IDG-012", message: () => "The API key is not valid. Check the secret, or ask the operator for a key." },
  outOfScope: { status: 403, code: "IDG-013", message: (detail: string) => `Not allowed: ${detail}. Use a key with that scope, or ask the operator to grant it.` },
  typeNotAllowed: { status: 403, code: "IDG-014", message: (detail: string) => `Not allowed: ${detail}. Use a key for that type, or ask the operator to grant it.` },
  rateLimited: { status: 429, code: "IDG-015", message: (detail: string) => `Too many requests: ${detail}. Retry after the seconds in Retry-After.` },
  bodyTooLarge: { status: 413, code: "IDG-016", message: (limit: string) => `Request body too large: at most ${limit} bytes are accepted.` },
  idempotencyMismatch: { status: 422, code: "IDG-017", message: () => "This Idempotency-Key was already used for a different request. Use a new key for a new request." },
  idempotencyInProgress: { status: 409, code: "IDG-018", message: () => "A request with this Idempotency-Key is still being processed. Retry the same request shortly to get its response." },
  badIdempotencyKey: { status: 400, code: "IDG-019", message: () => "Idempotency-Key must be 1 to 255 visible ASCII characters." },
  auditFailed: { status: 503, code: "IDG-020", message: (type: string) => `Could not record the issuance of '${type}' IDs (database unavailable); nothing was issued. Retry shortly.` },
  idempotencyUnavailable: { status: 503, code: "IDG-022", message: () => "Could not check the Idempotency-Key (database unavailable); nothing was issued. Retry shortly with the same key." },
  batchShort: { status: 409, code: "IDG-021", message: (detail: string) => `Not enough IDs left for this batch: ${detail}. Ask for fewer.` },
} as const;

export type ApiErrorName = keyof typeof API_ERRORS;

/**
 * The error response. Typed `never` so that a typed route may return it whatever status it declared: the
 * route schemas describe these bodies (ErrorEnvelope) and the contract tests check them.
 */
/** The same error as data (status, body, headers), for responses that are stored and replayed (idempotency). */
export function errorBody(name: ApiErrorName, detail = "", headers: Record<string, string> = {}) {
  const error = API_ERRORS[name];
  return { status: error.status as number, body: envelope(null, [{ errorCode: error.code, message: error.message(detail) }]), headers };
}

export function errorResponse(c: Context, name: ApiErrorName, detail = "", headers: Record<string, string> = {}): never {
  const error = API_ERRORS[name];
  return c.json(envelope(null, [{ errorCode: error.code, message: error.message(detail) }]), error.status, idHeaders(c, headers)) as never;
}
