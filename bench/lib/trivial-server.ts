// The yardstick of the HTTP benchmarks: a trivial Hono handler on Bun answering a bare JSON number, the
// cheapest thing an HTTP service can do. Run: PORT=n bun bench/lib/trivial-server.ts
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.json(1042));
Bun.serve({ port: Number(process.env.PORT ?? 0), fetch: app.fetch });
