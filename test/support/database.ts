// Test harness: every test file gets its own database, cloned from one migrated template (idgen_template_<hash>,
// the hash of the migration files' checksums, so that checkouts with different migrations sharing one server,
// such as worktrees, never rebuild each other's template).
// The server is DATABASE_URL's when set, else one embedded PostgreSQL started for this test process (a
// temporary cluster, removed when the process ends).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Sql } from "postgres";
import { connectDatabase } from "../../src/db/connect";
import { startEmbeddedPostgres } from "../../src/db/embedded";
import type { Log } from "../../src/db/log";
import { migrate, readMigrations } from "../../src/db/migrate";

export const MIGRATIONS_DIR = resolve(import.meta.dir, "../../sql/migrations");
let TEMPLATE = "idgen_template"; // given its hash suffix in startServer()
/** Advisory lock on the admin database: exclusive to rebuild the template, shared to clone it. "idgen" 0x000002. */
const TEMPLATE_LOCK_KEY = "7594308556988350466";

/** Tests stay quiet unless something is wrong. */
export const testLog: Log = (entry) => {
  if (entry.level === "warn" || entry.level === "error") console.error(JSON.stringify(entry));
};

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  /** Closes `sql` and drops the database. */
  drop(): Promise<void>;
}

interface Server {
  adminUrl: string;
  admin: Sql;
}

// Process-wide on purpose: bun runs every test file in one process, and they share one server and one
// template check. Everything else is per call.
let server: Promise<Server> | undefined;
let created = 0;

/** A new database for one test file: migrated (a clone of the template), or empty with `migrated: false`. */
export async function testDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const { adminUrl, admin } = await (server ??= startServer());
  const name = `idgen_test_${process.pid}_${++created}`;
  await withLock(admin, "shared", (conn) =>
    migrated
      ? conn`create database ${conn(name)} template ${conn(TEMPLATE)}`
      : conn`create database ${conn(name)} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`,
  );
  const url = databaseUrl(adminUrl, name);
  const sql = connectDatabase({ url, log: testLog, max: 4 });
  return {
    name,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 1 });
      await admin`drop database if exists ${admin(name)} with (force)`;
    },
  };
}

async function startServer(): Promise<Server> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), "idgen-test-pg-"));
    const embedded = await startEmbeddedPostgres({ log: testLog, dataDir, port: 0, database: "postgres", ephemeral: true });
    adminUrl = embedded.url;
  }
  const admin = connectDatabase({ url: adminUrl, log: testLog, max: 4 });
  const files = await readMigrations(MIGRATIONS_DIR);
  const hash = new Bun.CryptoHasher("sha256").update(files.map((file) => `${file.version}:${file.checksum}`).join("\n")).digest("hex");
  TEMPLATE = `idgen_template_${hash.slice(0, 12)}`;
  await withLock(admin, "exclusive", async (conn) => {
    await dropLeftovers(conn, adminUrl);
    if (!(await templateIsCurrent(conn, adminUrl))) await buildTemplate(conn, adminUrl);
  });
  return { adminUrl, admin };
}

/** Whether idgen_template exists and recorded exactly the checksums of today's migration files. */
async function templateIsCurrent(conn: Sql, adminUrl: string): Promise<boolean> {
  const [exists] = await conn`select 1 from pg_database where datname = ${TEMPLATE}`;
  if (!exists) return false;
  const template = connectDatabase({ url: databaseUrl(adminUrl, TEMPLATE), log: testLog, max: 1 });
  try {
    const [table] = await template`select to_regclass('idgen_migrations') is not null as present`;
    if (!table?.present) return false;
    const applied = await template<{ version: number; checksum: string }[]>`
      select version, checksum from idgen_migrations order by version`;
    const files = await readMigrations(MIGRATIONS_DIR);
    return (
      applied.length === files.length &&
      files.every((file, i) => applied[i]?.version === file.version && applied[i]?.checksum === file.checksum)
    );
  } finally {
    // A template cannot be cloned while anyone is connected to it.
    await template.end();
  }
}

async function buildTemplate(conn: Sql, adminUrl: string): Promise<void> {
  const started = performance.now();
  const [old] = await conn`select 1 from pg_database where datname = ${TEMPLATE}`;
  if (old) {
    await conn`alter database ${conn(TEMPLATE)} is_template false`;
    await conn`drop database ${conn(TEMPLATE)} with (force)`;
  }
  // From template0 with UTF-8 and C collation, so clones are the same on the embedded and a system server.
  await conn`create database ${conn(TEMPLATE)} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`;
  const template = connectDatabase({ url: databaseUrl(adminUrl, TEMPLATE), log: testLog, max: 1 });
  try {
    await migrate(template, { dir: MIGRATIONS_DIR, log: testLog });
  } finally {
    await template.end();
  }
  await conn`alter database ${conn(TEMPLATE)} is_template true`;
  testLog({ level: "debug", msg: "template built", ms: Math.round(performance.now() - started) });
}

// Test databases of runs that died before drop() (a timeout, a kill) would pile up on a shared server. Their
// names carry the pid, so on a local server the ones whose process is gone can be dropped.
async function dropLeftovers(conn: Sql, adminUrl: string): Promise<void> {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(adminUrl).hostname)) return;
  const names = await conn<{ datname: string }[]>`select datname from pg_database where datname ~ '^idgen_test_[0-9]+_[0-9]+$'`;
  for (const { datname } of names) {
    const pid = Number(datname.split("_")[2]);
    if (pid !== process.pid && !processAlive(pid)) {
      await conn`drop database if exists ${conn(datname)} with (force)`;
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `work` on one admin connection holding the template lock (a session lock: same connection throughout). */
async function withLock<T>(admin: Sql, mode: "shared" | "exclusive", work: (conn: Sql) => Promise<T>): Promise<T> {
  const conn = await admin.reserve();
  try {
    if (mode === "shared") await conn`select pg_advisory_lock_shared(${TEMPLATE_LOCK_KEY}::bigint)`;
    else await conn`select pg_advisory_lock(${TEMPLATE_LOCK_KEY}::bigint)`;
    try {
      return await work(conn);
    } finally {
      if (mode === "shared") await conn`select pg_advisory_unlock_shared(${TEMPLATE_LOCK_KEY}::bigint)`;
      else await conn`select pg_advisory_unlock(${TEMPLATE_LOCK_KEY}::bigint)`;
    }
  } finally {
    conn.release();
  }
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.href;
}
