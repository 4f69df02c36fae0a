// A variant of the service for one comparison: the same startService() (same pool, same buffers) serving the
// real app, plus the issue route written by hand under /handchecked/, its parameter checked with the same
// regular expression instead of @hono/zod-openapi's validator. What hand-checking src/http/openg2p/routes.ts
// would gain is the ratio of the two, measured on one process in interleaved runs.
// Usage: CONFIG_PATH=... DATABASE_URL=... bun bench/servers/handchecked.ts; prints {"msg":"listening","url":...}.
import { Hono } from "hono";
import { loadConfig } from "../../src/config";
import { envelope, errorResponse } from "../../src/http/openg2p/envelope";
import { startService } from "../../src/service";

const config = loadConfig({ env: Bun.env });
const service = await startService({ config, log: (entry) => entry.level !== "debug" && entry.level !== "info" && console.error(JSON.stringify(entry)) });
const TYPE_NAME = /^[a-z][a-z0-9_]{1,63}$/;

const hand = new Hono();
hand.post("/handchecked/v1/idgenerator/:id_type/id", async (c) => {
  const idType = c.req.param("id_type");
  if (!TYPE_NAME.test(idType)) return errorResponse(c, "invalidParameter", "id_type: an ID type is a lowercase letter then 1 to 63 lowercase letters, digits or underscores");
  if (!service.issuer.has(idType)) return errorResponse(c, "unknownType", idType);
  const result = await service.issuer.issue(idType);
  if ("id" in result) return c.json(envelope({ id: result.id }), 200);
  if ("exhausted" in result) return errorResponse(c, "exhausted", idType);
  return errorResponse(c, "replenishing", idType, { "Retry-After": "1" });
});

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 0),
  fetch: (request) => (request.url.includes("/handchecked/") ? hand.fetch(request) : service.app.fetch(request)),
});
console.log(JSON.stringify({ level: "info", msg: "listening", url: server.url.href }));
process.on("SIGTERM", async () => {
  await server.stop(false);
  await service.stop();
  process.exit(0);
});
