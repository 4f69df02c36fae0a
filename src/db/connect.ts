// Opens the service's PostgreSQL pool (postgres.js). The caller owns the returned `sql` and passes it in to
// whatever needs the database; closeDatabase() ends it on shutdown.
import postgres, { type Sql } from "postgres";
import type { Log } from "./log";

export interface ConnectOptions {
  url: string;
  log: Log;
  /** Pool size. The claim path holds a connection only for one short statement, so a few are plenty. */
  max?: number;
  /** Names the connections in pg_stat_activity (the service: "idgen/<pod>", so a pod can count its own). */
  applicationName?: string;
}

export function connectDatabase({ url, log, max = 10, applicationName = "idgen" }: ConnectOptions): Sql {
  return postgres(url, {
    max,
    // Fail a start-up against an unreachable server in seconds, not the OS's TCP timeout.
    connect_timeout: 10,
    // Reconnect delay after failed attempts, in seconds. postgres.js's default grows to 20 s, so a pod would
    // take up to 20 s to notice a database that is back; this one caps at half a second (with jitter, so
    // pods do not reconnect in lock step), which is how the service is back within a second of the database.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 0.5),
    // Let idle connections go so a quiet pod does not pin server slots.
    idle_timeout: 60,
    // Recycle connections now and then so server-side memory and plan caches do not grow without bound.
    max_lifetime: 30 * 60,
    // Names the service in pg_stat_activity and server logs.
    connection: { application_name: applicationName },
    // Notices are server messages worth keeping (e.g. from migrations); without this they go to console.log.
    onnotice: (notice) =>
      log({ level: "info", msg: "postgres notice", severity: notice.severity, code: notice.code, notice: notice.message }),
  });
}

/** Waits up to `timeout` seconds for running queries, then closes every connection. */
export async function closeDatabase(sql: Sql, { timeout = 5 }: { timeout?: number } = {}): Promise<void> {
  await sql.end({ timeout });
}
