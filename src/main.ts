// Entry point: reads the configuration, starts the service and serves it on PORT. SIGTERM/SIGINT stop it
// gracefully: stop accepting, let requests in flight finish, return buffered IDs, exit within 10 s.
import { ConfigError, describeConfig, loadConfig } from "./config";
import { guardClosedSocketWrites } from "./db/connection-errors";
import type { Log, LogEntry } from "./db/log";
import { startService } from "./service";

const LEVELS: LogEntry["level"][] = ["debug", "info", "warn", "error"];
const STOP_DEADLINE_MS = 10_000;

function startupFailure(message: string): never {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "start-up failed", error: message }));
  process.exit(1);
}

let config;
try {
  config = loadConfig({ env: Bun.env });
} catch (error) {
  if (error instanceof ConfigError) startupFailure(error.message);
  throw error;
}
const minimum = LEVELS.indexOf(config.logLevel);
const log: Log = (entry) => {
  if (LEVELS.indexOf(entry.level) < minimum) return;
  const line = JSON.stringify({ time: new Date().toISOString(), ...entry }, (_, value) => (typeof value === "bigint" ? value.toString() : value));
  if (entry.level === "error" || entry.level === "warn") console.error(line);
  else console.log(line);
};

// postgres.js can throw outside any promise when the database drops mid-write; see connection-errors.ts.
guardClosedSocketWrites(log);

log({ level: "info", msg: "configuration", ...describeConfig(config) });
for (const warning of config.warnings) log({ level: "warn", msg: warning });

const service = await startService({ config, log }).catch((error) => startupFailure(error instanceof Error ? error.message : String(error)));
// routes: the sequential API's hot paths, answered without Hono's routing (src/http/sequence/handlers.ts).
const server = Bun.serve({ port: config.port, routes: service.routes, fetch: service.app.fetch });
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
  await server.stop(false); // stop accepting; requests in flight finish
  await service.stop();
  clearTimeout(deadline);
  log({ level: "info", msg: "stopped" });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
