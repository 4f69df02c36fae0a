// The yardstick of the HTTP benchmarks: a trivial Hono handler on Bun, the cheapest thing an HTTP service can
// do, measured in the same run as the service (measurements.md: ratios, never lone absolute figures).
// GET answers a bare JSON number (what /next answers); POST answers an issued-ID envelope (what issuance
// answers). Run: PORT=n bun bench/lib/trivial-server.ts (PORT 0 or unset: any free port, said on stdout).
import { Hono } from "hono";

const app = new Hono();
app.get("*", (c) => c.json(1042));
app.post("*", (c) => c.json({ id: "openg2p.idgenerator", version: "1.0", responsetime: new Date().toISOString(), response: { id: "742968927519" }, errors: [] }));
const server = Bun.serve({ port: Number(process.env.PORT ?? 0), fetch: app.fetch });
console.log(JSON.stringify({ level: "info", msg: "listening", url: server.url.href }));
