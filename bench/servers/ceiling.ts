// The ceiling every figure is compared with: a trivial Hono handler on Bun, answering the issue and validate
// paths with an envelope of the same shape and size as the service's, from memory, no validation, no database.
// Usage: bun bench/servers/ceiling.ts (PORT, default 0); prints {"msg":"listening","url":...}.
import { Hono } from "hono";

const app = new Hono();
let counter = 7_000_000_000;
const envelope = (response: unknown) => ({ id: "openg2p.idgenerator", version: "1.0", responsetime: new Date().toISOString(), response, errors: [] });
app.post("/v1/idgenerator/:id_type/id", (c) => c.json(envelope({ id: String(++counter) })));
app.get("/v1/idgenerator/:id_type/id/validate/:id", (c) => c.json(envelope({ id: c.req.param("id"), valid: true, reason: null })));
app.get("/v1/idgenerator/health", (c) => c.json(envelope({ status: "UP" })));

const server = Bun.serve({ port: Number(process.env.PORT ?? 0), fetch: app.fetch });
console.log(JSON.stringify({ level: "info", msg: "listening", url: server.url.href }));
