// Entry point: reads the configuration, starts the service and serves it on PORT. SIGTERM/SIGINT stop it
// gracefully: requests in flight finish (src/http/drain.ts), the server closes, buffered IDs go back, exit within 10 s.
import { ConfigError, describeConfig, loadConfig } from "./config";
import { createLogger, redactText } from "./log";
import { drainable } from "./http/drain";
import { startService, STOP_DEADLINE_MS } from "./service";

function startupFailure(message: string): never {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "start-up failed", error: redactText(message) }));
  process.exit(1);
}

let config;
try {
  config = loadConfig({ env: Bun.env });
} catch (error) {
  if (error instanceof ConfigError) startupFailure(error.message);
  throw error;
}
const log = createLogger({ level: config.logLevel });

// postgres.js sometimes rejects a promise of its own that nobody holds when a connection dies mid-query (the
// ROLLBACK of a transaction, the type fetch of a new connection: porsager/postgres#1192, #1208): an unhandled
// rejection, which would kill the pod in the middle of a database outage it otherwise rides out. Those, and
// only those (a connection error from the driver), are logged and survived; anything else still ends the process.
const DRIVER_CONNECTION_ERRORS = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNRESET", "ECONNREFUSED", "EPIPE"]);
process.on("unhandledRejection", (reason) => {
  const code = (reason as { code?: unknown } | null)?.code;
  if (typeof code === "string" && DRIVER_CONNECTION_ERRORS.has(code)) {
    log({ level: "warn", msg: "database driver dropped a failed internal query (connection lost); continuing", code });
    return;
  }
  log({ level: "error", msg: "unhandled rejection; exiting", error: String(reason), stack: (reason as Error | null)?.stack });
  process.exit(1);
});

log({ level: "info", msg: "configuration", ...describeConfig(config) });
for (const warning of config.warnings) log({ level: "warn", msg: warning });

const service = await startService({ config, log }).catch((error) => startupFailure(error instanceof Error ? error.message : String(error)));
const edge = drainable((request, server) => service.app.fetch(request, server));
// Hot routes first through Bun's router (src/http/lane.ts), everything else through the app's fetch.
// IDGEN_HTTP_LANES=off: everything through the app's fetch (the same answers; the lanes are only faster).
const server = Bun.serve({ port: config.port, fetch: edge.fetch, routes: config.httpLanes ? service.app.bunRoutes(edge.wrap) : {} });
log({ level: "info", msg: "listening", url: server.url.href, docs: new URL("docs/", server.url).href, validator: new URL("validator/", server.url).href });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log({ level: "info", msg: "stopping", signal });
  const deadline = setTimeout(() => {
    log({ level: "error", msg: "graceful stop took too long; exiting" });
    process.exit(1);
  }, STOP_DEADLINE_MS);
  // Requests in flight finish (src/http/drain.ts: Bun's own stop(false) cuts some off); then the listener and
  // any idle keep-alive connection close. Half the deadline at most, so the buffers still go back in time.
  const drained = await edge.drain(STOP_DEADLINE_MS / 2);
  if (!drained) log({ level: "warn", msg: "requests still in flight at the drain deadline; closing them", inFlight: edge.inFlight });
  await server.stop(true);
  await service.stop();
  clearTimeout(deadline);
  log({ level: "info", msg: "stopped" });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
