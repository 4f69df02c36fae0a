// The sequential API's errors: `{ "code": "SEQ-00x", "message": "..." }`, its own shape (the replaced service had
// no envelope, and /next's bare-number contract leaves no room for one). Codes are stable; README.md lists them.

export const SEQUENCE_ERRORS = {
  unknownCounter: { status: 404, code: "SEQ-001" },
  invalidParameter: { status: 422, code: "SEQ-002" },
  exhausted: { status: 410, code: "SEQ-003" },
  unsafeNumber: { status: 422, code: "SEQ-004" },
  unavailable: { status: 503, code: "SEQ-005" },
  wrongMethod: { status: 405, code: "SEQ-006" },
  internal: { status: 500, code: "SEQ-007" },
} as const;

export type SequenceErrorName = keyof typeof SEQUENCE_ERRORS;

export function sequenceError(name: SequenceErrorName, message: string, headers: Record<string, string> = {}): Response {
  const { status, code } = SEQUENCE_ERRORS[name];
  return new Response(JSON.stringify({ code, message }), { status, headers: { "content-type": "application/json", ...headers } });
}
