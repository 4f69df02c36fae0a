// A variant of the service for one comparison: the same startService() (same pool, same buffers) plus two
// copies of the issue route that differ only in how they check `id_type`: one with @hono/zod-openapi's
// validator (how src/http/openg2p/routes.ts checked it until 2026-12-06), one by hand with the same regular
// expression (how it checks it now). Neither copy writes the audit record, so the ratio of the two is the
// cost of the validator alone. Measured on one process in interleaved runs.
// Usage: CONFIG_PATH=... DATABASE_URL=... bun bench/servers/handchecked.ts; prints {"msg":"listening","url":...}.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../../src/config";
import { envelope, errorResponse } from "../../src/http/openg2p/envelope";
import { startService } from "../../src/service";

const config = loadConfig({ env: Bun.env });
const service = await startService({ config, log: (entry) => entry.level !== "debug" && entry.level !== "info" && console.error(JSON.stringify(entry)) });
const TYPE_NAME = /^[a-z][a-z0-9_]{1,63}$/;
const RULE = "an ID type is a lowercase letter then 1 to 63 lowercase letters, digits or underscores";

async function issue(c: Context, idType: string) {
  if (!service.issuer.has(idType)) return errorResponse(c, "unknownType", idType);
  const result = await service.issuer.issue(idType);
  if ("id" in result) return c.json(envelope({ id: result.id }), 200);
  if ("exhausted" in result) return errorResponse(c, "exhausted", idType);
  return errorResponse(c, "replenishing", idType, { "Retry-After": "1" });
}

const variants = new OpenAPIHono({
  defaultHook: (result, c) => (result.success ? undefined : errorResponse(c, "invalidParameter", `id_type: ${RULE}`)),
});
const zodRoute = createRoute({
  method: "post",
  path: "/zod/v1/idgenerator/{id_type}/id",
  request: { params: z.object({ id_type: z.string().regex(TYPE_NAME, RULE) }) },
  responses: { 200: { description: "an ID" } },
});
variants.openapi(zodRoute, (c) => issue(c, c.req.valid("param").id_type) as never);
variants.post("/handchecked/v1/idgenerator/:id_type/id", (c) => {
  const idType = c.req.param("id_type");
  if (!TYPE_NAME.test(idType)) return errorResponse(c, "invalidParameter", `id_type: ${RULE}`);
  return issue(c, idType);
});

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 0),
  fetch: (request) => (request.url.includes("/handchecked/") || request.url.includes("/zod/") ? variants.fetch(request) : service.app.fetch(request)),
});
console.log(JSON.stringify({ level: "info", msg: "listening", url: server.url.href }));
process.on("SIGTERM", async () => {
  await server.stop(false);
  await service.stop();
  process.exit(0);
});
