// The yardstick of the HTTP benchmarks: a trivial Hono handler on Bun that answers POST with a small JSON
// body, measured in the same run as the service (measurements.md: ratios, never lone absolute figures).
import { Hono } from "hono";

const app = new Hono();
app.post("*", (c) => c.json({ id: "openg2p.idgenerator", version: "1.0", responsetime: new Date().toISOString(), response: { id: "742968927519" }, errors: [] }));
const server = Bun.serve({ port: Number(process.env.PORT ?? 0), fetch: app.fetch });
console.log(JSON.stringify({ level: "info", msg: "listening", url: server.url.href }));
