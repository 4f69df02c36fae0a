// The OpenG2P ID Generator 1.0 API (api-contract.md §1) on @hono/zod-openapi: the routes, their schemas
// (which also make /openapi.json), and the envelope on every answer, errors included.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { lookupId } from "../../issuance/audit";
import { bounded } from "../../issuance/idempotency";
import type { IdIssuer } from "../../pool/issuer";
import { requireScope, type Access } from "../auth";
import type { Lanes, Quick } from "../lane";
import { hotRoute, jsonAnswer } from "../observe";
import { envelope, errorResponse } from "./envelope";
import { answerIssuance, type IssuanceDeps } from "./issuance";

export interface OpenG2pDeps {
  issuer: IdIssuer;
  /** "ready" once start-up is complete and the database answers (or buffers still hold IDs). */
  health: () => Promise<"ready" | "starting" | "database">;
  version: { service_version: string; build_time: string; git_commit: string };
  filterRules: Record<string, unknown>;
  /** Audit, idempotency and lookup (they need the database); absent in tests of the bare API. */
  issuance?: IssuanceDeps;
}

const TYPE_NAME = /^[a-z][a-z0-9_]{1,63}$/;
const TYPE_RULE = "an ID type is a lowercase letter then 1 to 63 lowercase letters, digits or underscores";
const ID_DIGITS = /^\d{1,32}$/;
const ID_RULE = "an ID is 1 to 32 digits";
const ErrorSchema = z.object({ errorCode: z.string(), message: z.string() });
const wrap = <T extends z.ZodType>(response: T, name: string) =>
  z
    .object({ id: z.literal("openg2p.idgenerator"), version: z.literal("1.0"), responsetime: z.string(), response, errors: z.array(ErrorSchema) })
    .openapi(name);
const ErrorEnvelope = wrap(z.null(), "ErrorEnvelope");
const errorContent = (description: string) => ({ description, content: { "application/json": { schema: ErrorEnvelope } } });
const okContent = <T extends z.ZodType>(schema: T, name: string, description: string) => ({
  description,
  content: { "application/json": { schema: wrap(schema, name) } },
});

const idTypeParam = z
  .string()
  .regex(TYPE_NAME, TYPE_RULE)
  .openapi({ param: { name: "id_type", in: "path" }, example: "farmer" });

/** The answers of a guarded route (src/http/auth.ts), and the body limit of every route. */
const ACCOUNTABILITY_ERRORS = {
  400: errorContent("IDG-019: malformed Idempotency-Key"),
  401: errorContent("IDG-011: no API key; IDG-012: wrong API key"),
  403: errorContent("IDG-013: the key lacks the scope; IDG-014: the key may not use this ID type"),
  413: errorContent("IDG-016: request body over the limit"),
  429: errorContent("IDG-015: the key's rate limit; see Retry-After"),
};

const issueRoute = createRoute({
  method: "post",
  path: "/v1/idgenerator/{id_type}/id",
  summary: "Issue one ID",
  description:
    "Hands out the next ID of the type from this pod's buffer, recorded (when, to whom) before the answer leaves. " +
    "Any request body is ignored. With an `Idempotency-Key` header, a retry gets the same ID. Scope: issue.",
  request: { params: z.object({ id_type: idTypeParam }), headers: z.object({ "idempotency-key": z.string().optional() }) },
  responses: {
    200: okContent(z.object({ id: z.string().openapi({ example: "742968927519" }) }), "IssuedId", "An ID, never issued before"),
    ...ACCOUNTABILITY_ERRORS,
    404: errorContent("IDG-003: the type is not configured"),
    410: errorContent("IDG-002: every valid ID of the type has been issued"),
    422: errorContent("IDG-007: malformed type name; IDG-017: Idempotency-Key reused for another request"),
    503: errorContent("IDG-001: no ID available right now; a refill is in progress, retry shortly; IDG-020: the audit could not be written; IDG-022: the Idempotency-Key could not be checked"),
  },
});

const batchRoute = createRoute({
  method: "post",
  path: "/v1/idgenerator/{id_type}/ids",
  summary: "Issue a batch of IDs",
  description:
    "Hands out `count` IDs (1 to 10,000) at once, all or none, each recorded before the answer leaves. " +
    "With an `Idempotency-Key` header, a retry gets the same IDs. Scope: issue.",
  request: {
    params: z.object({ id_type: idTypeParam }),
    headers: z.object({ "idempotency-key": z.string().optional() }),
    body: { required: true, content: { "application/json": { schema: z.object({ count: z.int().min(1).max(10_000).openapi({ example: 100 }) }) } } },
  },
  responses: {
    200: okContent(z.object({ ids: z.array(z.string()) }), "IssuedIds", "The IDs, never issued before"),
    ...ACCOUNTABILITY_ERRORS,
    404: errorContent("IDG-003: the type is not configured"),
    409: errorContent("IDG-021: fewer IDs left than asked for (the message says how many); IDG-018: same Idempotency-Key in progress"),
    410: errorContent("IDG-002: every valid ID of the type has been issued"),
    422: errorContent("IDG-007: count missing or outside 1..10000, or malformed body; IDG-017: Idempotency-Key reused for another request"),
    503: errorContent("IDG-001: not enough IDs at hand right now, retry shortly; IDG-020: the audit could not be written; IDG-022: the Idempotency-Key could not be checked"),
  },
});

const lookupRoute = createRoute({
  method: "get",
  path: "/v1/idgenerator/{id_type}/id/{id}",
  summary: "Look up an ID",
  description:
    "issued (with when and to whom), available (generated, not yet issued), or unknown (never generated, lost, " +
    "or issued while audit was off). Scope: lookup.",
  request: {
    params: z.object({
      id_type: idTypeParam,
      id: z.string().regex(ID_DIGITS, ID_RULE).openapi({ param: { name: "id", in: "path" }, example: "742968927519" }),
    }),
  },
  responses: {
    200: okContent(
      z.object({ id: z.string(), status: z.enum(["issued", "available", "unknown"]), issued_at: z.string().nullable(), issued_to: z.string().nullable() }),
      "Lookup",
      "What is known of the ID",
    ),
    ...ACCOUNTABILITY_ERRORS,
    404: errorContent("IDG-003: the type is not configured"),
    422: errorContent("IDG-007: malformed type name or ID"),
    503: errorContent("IDG-006: the database does not answer"),
  },
});

const validateRoute = createRoute({
  method: "get",
  path: "/v1/idgenerator/{id_type}/id/validate/{id}",
  summary: "Validate an ID",
  description: "Checks the ten filters and the Verhoeff check digit. `reason` names the first failing rule.",
  request: {
    params: z.object({
      id_type: idTypeParam,
      id: z.string().regex(ID_DIGITS, ID_RULE).openapi({ param: { name: "id", in: "path" }, example: "7429689275" }),
    }),
  },
  responses: {
    200: okContent(
      z.object({ id: z.string(), valid: z.boolean(), reason: z.string().nullable().openapi({ example: "checksum" }) }),
      "Validation",
      "The verdict",
    ),
    404: errorContent("IDG-003: the type is not configured"),
    422: errorContent("IDG-007: malformed type name or ID"),
  },
});

const healthRoute = createRoute({
  method: "get",
  path: "/v1/idgenerator/health",
  summary: "Health (OpenG2P meaning)",
  responses: {
    200: okContent(z.object({ status: z.literal("UP") }), "Health", "Started and the database answers"),
    503: errorContent("IDG-005: start-up not complete; IDG-006: the database does not answer"),
  },
});

const versionRoute = createRoute({
  method: "get",
  path: "/v1/idgenerator/version",
  summary: "Version",
  responses: {
    200: okContent(z.object({ service_version: z.string(), build_time: z.string(), git_commit: z.string() }), "Version", "This build"),
  },
});

const configRoute = createRoute({
  method: "get",
  path: "/v1/idgenerator/config",
  summary: "Configured types and filter rules",
  responses: {
    200: okContent(
      z.object({ id_types: z.record(z.string(), z.object({ id_length: z.number() })), filter_rules: z.record(z.string(), z.unknown()) }),
      "Configuration",
      "ID types and the global filter rules",
    ),
  },
});

/** Paths of this API, for telling a wrong method (405) from an unknown path (404). */
export const OPENG2P_PATHS: { pattern: RegExp; methods: string[] }[] = [
  { pattern: /^\/v1\/idgenerator\/[^/]+\/id$/, methods: ["POST"] },
  { pattern: /^\/v1\/idgenerator\/[^/]+\/ids$/, methods: ["POST"] },
  { pattern: /^\/v1\/idgenerator\/[^/]+\/id\/(?!validate\/)[^/]+$/, methods: ["GET", "HEAD"] },
  { pattern: /^\/v1\/idgenerator\/[^/]+\/id\/validate\/[^/]+$/, methods: ["GET", "HEAD"] },
  { pattern: /^\/v1\/idgenerator\/(health|version|config)$/, methods: ["GET", "HEAD"] },
];

/** The body limit: the middleware for routes that read a body, and the limit itself (bytes). */
export interface BodyLimit {
  limit: MiddlewareHandler;
  maxBytes: number;
}

/**
 * `access`: the API keys, when any are configured; absent, the service runs open and no route checks keys.
 * `body`: the request body limit (default: none). `lanes`: where the hot routes' quick answers are registered.
 */
export function mountOpenG2p(app: OpenAPIHono, lanes: Lanes, deps: OpenG2pDeps, access?: Access, body?: BodyLimit): void {
  const { issuer } = deps;

  // API keys (src/http/auth.ts): health, version, validate, docs and the validator page stay open.
  if (access) {
    app.use("/v1/idgenerator/:id_type/id", requireScope(access, "issue"));
    app.use("/v1/idgenerator/:id_type/ids", requireScope(access, "issue"));
    app.use("/v1/idgenerator/:id_type/id/:id", requireScope(access, "lookup"));
    app.use("/v1/idgenerator/config", requireScope(access, null));
  }

  // The body limit as a middleware only where a body is read: the batch (registered before its handler).
  if (body) app.post("/v1/idgenerator/:id_type/ids", body.limit);
  const audited = deps.issuance?.audit != null;

  // The two hot routes (issue, validate) check their path parameters by hand: the same rules and 422 messages
  // as the schemas, which still describe them in /openapi.json (registerPath), without zod's validator
  // middleware on every request (measured: 1.14x issuance, bench/servers/handchecked.ts).
  // The issue route has one handler and no middleware (in open mode), and answers synchronously while the
  // buffer holds IDs and nothing needs the database (no audit, no Idempotency-Key): see src/http/observe.ts
  // and src/http/lane.ts.
  app.openAPIRegistry.registerPath(issueRoute);
  // The quick answer (src/http/lane.ts): an ID from the buffer, when no check fails, nothing needs the database
  // (no audit, no Idempotency-Key) and the buffer holds one. Anything else: the handler below, in full.
  const quickIssue: Quick = (request, { id_type }, requestId) => {
    if (audited || !TYPE_NAME.test(id_type!) || !issuer.has(id_type!)) return undefined;
    const headers = request.headers;
    if (headers.get("idempotency-key") !== null) return undefined;
    if (body && Number(headers.get("content-length") ?? 0) > body.maxBytes) return undefined;
    const id = issuer.issueNow(id_type!);
    return id === undefined ? undefined : jsonAnswer(envelope({ id }), requestId);
  };
  hotRoute(app, lanes, "POST", "/v1/idgenerator/:id_type/id", quickIssue, (c) => {
    // The body is ignored, never read; one declared over the limit is refused all the same (one that is not
    // declared, chunked, is discarded unread by Bun within its maxRequestBodySize).
    if (body && Number(c.req.header("content-length") ?? 0) > body.maxBytes) return errorResponse(c, "bodyTooLarge", String(body.maxBytes));
    const id_type = c.req.param("id_type");
    if (!TYPE_NAME.test(id_type)) return errorResponse(c, "invalidParameter", `id_type: ${TYPE_RULE}`);
    if (!issuer.has(id_type)) return errorResponse(c, "unknownType", id_type);
    return answerIssuance(c, deps.issuance, id_type, "", () => issuer.issue(id_type));
  });

  app.openapi(batchRoute, async (c) => {
    const { id_type } = c.req.valid("param");
    const { count } = c.req.valid("json");
    if (!issuer.has(id_type)) return errorResponse(c, "unknownType", id_type);
    return answerIssuance(c, deps.issuance, id_type, `count=${count}`, () => issuer.issueMany(id_type, count)) as never;
  });

  app.openapi(lookupRoute, async (c) => {
    const { id_type, id } = c.req.valid("param");
    if (!issuer.has(id_type)) return errorResponse(c, "unknownType", id_type);
    if (!deps.issuance) return errorResponse(c, "database");
    const answer = await bounded(lookupId(deps.issuance.sql, id_type, id), 5000).catch(() => null);
    if (!answer) return errorResponse(c, "database");
    return c.json(envelope(answer), 200);
  });

  app.openAPIRegistry.registerPath(validateRoute);
  const quickValidate: Quick = (_request, { id_type, id }, requestId) => {
    if (!TYPE_NAME.test(id_type!) || !ID_DIGITS.test(id!) || !issuer.has(id_type!)) return undefined;
    const { valid, reason } = issuer.validate(id_type!, id!);
    return jsonAnswer(envelope({ id, valid, reason }), requestId);
  };
  hotRoute(app, lanes, "GET", "/v1/idgenerator/:id_type/id/validate/:id", quickValidate, (c) => {
    const id_type = c.req.param("id_type");
    const id = c.req.param("id");
    const problems = [...(TYPE_NAME.test(id_type) ? [] : [`id_type: ${TYPE_RULE}`]), ...(ID_DIGITS.test(id) ? [] : [`id: ${ID_RULE}`])];
    if (problems.length > 0) return errorResponse(c, "invalidParameter", problems.join("; "));
    return errorResponse(c, "unknownType", id_type);
  });

  app.openapi(healthRoute, async (c) => {
    const state = await deps.health();
    if (state === "ready") return c.json(envelope({ status: "UP" as const }), 200);
    return errorResponse(c, state === "starting" ? "notReady" : "database");
  });

  app.openapi(versionRoute, (c) => c.json(envelope(deps.version), 200));

  app.openapi(configRoute, (c) => {
    const idTypes = Object.fromEntries(issuer.types().map((type) => [type.name, { id_length: type.idLength }]));
    return c.json(envelope({ id_types: idTypes, filter_rules: deps.filterRules }), 200);
  });
}
