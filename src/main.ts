// Entry point: serves the HTTP application on PORT (default 8080) and logs where, as one JSON line.
import { createApp } from "./http/app";

const port = Number(Bun.env.PORT || 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`PORT must be an integer from 0 to 65535, got "${Bun.env.PORT}"`);
}

const server = Bun.serve({ port, fetch: createApp().fetch });
console.log(JSON.stringify({ level: "info", msg: "listening", url: server.url.href }));
