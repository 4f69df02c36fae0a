// `npm run migrate`: applies the pending migrations and exits (0: done or up to date; 1: failed, with the
// reason on one JSON line). For the Kubernetes migration Job, which runs before a rollout so that new pods
// start against a migrated schema. The service still migrates at start: the advisory lock in src/db/migrate.ts
// makes a Job and starting pods safe to run at once, and a start with nothing pending costs one query.
import { ConfigError, loadConfig } from "./config";
import { closeDatabase, connectDatabase } from "./db/connect";
import { migrate } from "./db/migrate";
import { createLogger, redactText } from "./log";
import { MIGRATIONS_DIR } from "./service";

function fail(message: string): never {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "migration failed", error: redactText(message) }));
  process.exit(1);
}

let config;
try {
  config = loadConfig({ env: Bun.env });
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
if (config.database.embedded) fail("no database configured: set DATABASE_URL (or DB_HOST, DB_NAME and DB_USER) to migrate");
const log = createLogger({ level: config.logLevel });
const sql = connectDatabase({ url: config.database.url, log, max: 1, applicationName: "idgen/migrate" });
try {
  const applied = await migrate(sql, { dir: MIGRATIONS_DIR, log });
  log({ level: "info", msg: applied.length ? "migrations applied" : "schema up to date", applied });
} catch (error) {
  await closeDatabase(sql).catch(() => undefined);
  fail(error instanceof Error ? error.message : String(error));
}
await closeDatabase(sql);
process.exit(0);
