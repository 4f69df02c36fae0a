// The OpenG2P ID Generator 1.0 API (api-contract.md §1) on @hono/zod-openapi: the routes, their schemas
// (which also make /openapi.json), and the envelope on every answer, errors included.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { IdIssuer } from "../../pool/issuer";
import { envelope, errorResponse } from "./envelope";

export interface OpenG2pDeps {
  issuer: IdIssuer;
  /** "ready" once start-up is complete and the database answers (or buffers still hold IDs). */
  health: () => Promise<"ready" | "starting" | "database">;
  version: { service_version: string; build_time: string; git_commit: string };
  filterRules: Record<string, unknown>;
}

const TYPE_NAME = /^[a-z][a-z0-9_]{1,63}$/;
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
  .regex(TYPE_NAME, "an ID type is a lowercase letter then 1 to 63 lowercase letters, digits or underscores")
  .openapi({ param: { name: "id_type", in: "path" }, example: "farmer" });

const issueRoute = createRoute({
  method: "post",
  path: "/v1/idgenerator/{id_type}/id",
  summary: "Issue one ID",
  description: "Hands out the next ID of the type from this pod's buffer. Any request body is ignored.",
  request: { params: z.object({ id_type: idTypeParam }) },
  responses: {
    200: okContent(z.object({ id: z.string().openapi({ example: "742968927519" }) }), "IssuedId", "An ID, never issued before"),
    404: errorContent("IDG-003: the type is not configured"),
    410: errorContent("IDG-002: every valid ID of the type has been issued"),
    422: errorContent("IDG-007: malformed type name"),
    503: errorContent("IDG-001: no ID available right now; a refill is in progress, retry shortly"),
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
      id: z.string().regex(/^\d{1,32}$/, "an ID is 1 to 32 digits").openapi({ param: { name: "id", in: "path" }, example: "7429689275" }),
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
  { pattern: /^\/v1\/idgenerator\/[^/]+\/id\/validate\/[^/]+$/, methods: ["GET", "HEAD"] },
  { pattern: /^\/v1\/idgenerator\/(health|version|config)$/, methods: ["GET", "HEAD"] },
];

export function mountOpenG2p(app: OpenAPIHono, deps: OpenG2pDeps): void {
  const { issuer } = deps;

  app.openapi(issueRoute, async (c) => {
    const { id_type } = c.req.valid("param");
    if (!issuer.has(id_type)) return errorResponse(c, "unknownType", id_type);
    const result = await issuer.issue(id_type);
    if ("id" in result) return c.json(envelope({ id: result.id }), 200);
    if ("exhausted" in result) return errorResponse(c, "exhausted", id_type);
    return errorResponse(c, "replenishing", id_type, { "Retry-After": "1" });
  });

  app.openapi(validateRoute, (c) => {
    const { id_type, id } = c.req.valid("param");
    if (!issuer.has(id_type)) return errorResponse(c, "unknownType", id_type);
    const { valid, reason } = issuer.validate(id_type, id);
    return c.json(envelope({ id, valid, reason }), 200);
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
