// The OpenG2P response envelope and its error codes: every response of /v1/idgenerator, errors included,
// has this shape (api-contract.md §1). Codes IDG-001..006 are OpenG2P's; IDG-007..010 are ours.
import type { Context } from "hono";

export interface EnvelopeError {
  errorCode: string;
  message: string;
}

export function envelope<T>(response: T, errors: EnvelopeError[] = []) {
  return { id: "openg2p.idgenerator" as const, version: "1.0" as const, responsetime: new Date().toISOString(), response, errors };
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
} as const;

export type ApiErrorName = keyof typeof API_ERRORS;

/**
 * The error response. Typed `never` so that a typed route may return it whatever status it declared: the
 * route schemas describe these bodies (ErrorEnvelope) and the contract tests check them.
 */
export function errorResponse(c: Context, name: ApiErrorName, detail = "", headers: Record<string, string> = {}): never {
  const error = API_ERRORS[name];
  return c.json(envelope(null, [{ errorCode: error.code, message: error.message(detail) }]), error.status, headers) as never;
}
