// Issuing through the API: the audit (every ID recorded, durably, before the response leaves) and the
// Idempotency-Key (the same key from the same caller for the same type answers the same IDs). Shared by the
// single-ID and the batch route.
import type { Context } from "hono";
import type { Sql } from "postgres";
import { ANONYMOUS } from "../../auth/keys";
import type { Log } from "../../db/log";
import type { GroupCommit } from "../../db/group-commit";
import type { IssuedRecord } from "../../issuance/audit";
import { bounded, fingerprintOf, IDEMPOTENCY_KEY, runIdempotent } from "../../issuance/idempotency";
import type { BatchResult, IssueResult } from "../../pool/pool";
import { idHeaders, requestIdOf } from "../observe";
import { envelope, errorBody, errorResponse } from "./envelope";

export interface IssuanceDeps {
  sql: Sql;
  /** null: audit is off (IDGEN_AUDIT=off). */
  audit: GroupCommit<IssuedRecord> | null;
  idempotencyRetentionHours: number;
  log: Log;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Runs `issue` for the request (once per Idempotency-Key when one is given), audits what it issued, and
 * answers. `significant` is what distinguishes two requests on the same path (the batch's count).
 */
export async function answerIssuance(
  c: Context,
  deps: IssuanceDeps | undefined,
  idType: string,
  significant: string,
  issue: () => Promise<IssueResult | BatchResult>,
): Promise<Response> {
  const work = () => issueAndAudit(c, deps, idType, issue);
  const key = c.req.header("idempotency-key");
  if (key === undefined || !deps) return send(c, await work());
  if (!IDEMPOTENCY_KEY.test(key)) return errorResponse(c, "badIdempotencyKey");
  const caller = (c.get("caller") ?? ANONYMOUS).name;
  const scope = { caller, idType, key, fingerprint: fingerprintOf(c.req.method, new URL(c.req.url).pathname, significant) };
  let outcome;
  try {
    outcome = await runIdempotent(deps.sql, scope, { retentionHours: deps.idempotencyRetentionHours }, work, (error) =>
      deps.log({ level: "warn", msg: "could not store an idempotent response; a retry after a minute gets new IDs", idType, caller, error: String(error) }),
    );
  } catch (error) {
    // The key could not be claimed or read (the work, which never throws, did not run or was released).
    storeTrouble(deps.log, idType, error);
    return errorResponse(c, "idempotencyUnavailable", "", { "Retry-After": "1" });
  }
  if ("mismatch" in outcome) return errorResponse(c, "idempotencyMismatch");
  if ("inProgress" in outcome) return errorResponse(c, "idempotencyInProgress", "", { "Retry-After": "1" });
  if (outcome.replayed) c.header("Idempotent-Replayed", "true");
  return send(c, outcome.response as Answer);
}

/** An outage would log one line per request: one line per 5 s, counting the others. */
let troubleLoggedAt = -Infinity;
let troubleSuppressed = 0;
function storeTrouble(log: Log, idType: string, error: unknown): void {
  if (performance.now() - troubleLoggedAt < 5000) {
    troubleSuppressed++;
    return;
  }
  troubleLoggedAt = performance.now();
  log({ level: "warn", msg: "idempotency key store unavailable; answering 503 IDG-022", idType, error: String(error), alsoSince: troubleSuppressed });
  troubleSuppressed = 0;
}

function send(c: Context, answer: Answer): Response {
  return c.json(answer.body as never, answer.status as never, idHeaders(c, answer.headers));
}

async function issueAndAudit(c: Context, deps: IssuanceDeps | undefined, idType: string, issue: () => Promise<IssueResult | BatchResult>): Promise<Answer> {
  // Right after a failed audit write, refuse before taking IDs: during an outage each request would
  // otherwise withhold (waste) its IDs. One batch is retried per backoff period (at most a second).
  if (deps?.audit && !deps.audit.accepting) return errorBody("auditFailed", idType, { "Retry-After": "1" });
  const result = await issue();
  if ("exhausted" in result) return errorBody("exhausted", idType);
  if ("behind" in result) return errorBody("replenishing", idType, { "Retry-After": "1" });
  if ("short" in result) return errorBody("batchShort", `at most ${result.short} can be issued now`);
  const ids = "id" in result ? [result.id] : result.ids;
  if (deps?.audit) {
    const issuedTo = (c.get("caller") ?? ANONYMOUS).name;
    const requestId = requestIdOf(c) || "none";
    try {
      // Bounded: a database that does not answer makes this a 503, not a hang (the IDs are withheld as below).
      await bounded(deps.audit.add(ids.map((id) => ({ idType, id, issuedTo, requestId }))), 5000);
    } catch (error) {
      // The IDs are not handed out, and not returned to the pool either: their audit rows may have committed
      // (a connection lost after COMMIT), and an ID must never be issued twice. They are counted as waste.
      deps.log({ level: "error", msg: "audit write failed; IDs withheld and wasted", idType, wasted: ids.length, ids: ids.slice(0, 20), requestId, error: String(error) });
      return errorBody("auditFailed", idType, { "Retry-After": "1" });
    }
  }
  return { status: 200, body: envelope("id" in result ? { id: result.id } : { ids }) };
}
