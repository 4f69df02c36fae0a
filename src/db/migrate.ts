// Applies sql/migrations/NNN_name.sql in order, forward only: one transaction per file, a sha256 checksum per
// applied file so an edited one is refused, and a session advisory lock so concurrent runners (several pods
// starting at once) apply each file exactly once. The only place `sql.unsafe` is allowed: files are trusted SQL.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sql } from "postgres";
import type { Log } from "./log";

/**
 * pg_advisory_lock key held while migrating: the bytes "idgen" followed by 0x000001. Advisory locks are
 * scoped to one database, so only runners on the same database wait for each other.
 */
export const MIGRATION_LOCK_KEY = "7594308556988350465";

export type MigrationErrorCode = "MIGRATION_EDITED" | "MIGRATION_INVALID";

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  text: string;
  checksum: string;
}

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** The migration files of `dir`, in order, checked for names and unique versions. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const file of (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) {
      throw new MigrationError("MIGRATION_INVALID", `${file}: migrations are named NNN_name.sql`, file);
    }
    const version = Number(match[1]);
    if (files.some((other) => other.version === version)) {
      throw new MigrationError("MIGRATION_INVALID", `${file}: version ${version} is used twice`, file);
    }
    const text = await readFile(join(dir, file), "utf8");
    const checksum = createHash("sha256").update(text).digest("hex");
    files.push({ version, name: match[2]!, file, text, checksum });
  }
  return files;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies the pending migrations of `dir` and returns the files applied (none when up to date).
 * Throws MigrationError MIGRATION_EDITED when an applied file was changed, renamed or removed.
 */
export async function migrate(sql: Sql, { dir, log }: { dir: string; log: Log }): Promise<string[]> {
  const files = await readMigrations(dir);
  // One connection for the whole run: a session advisory lock belongs to the connection that took it.
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    try {
      // Checked rather than "create table if not exists", which sends a notice on every start.
      const [table] = await conn`select to_regclass('idgen_migrations') is not null as present`;
      if (!table?.present) {
        await conn`
          create table idgen_migrations (
            version int primary key,
            name text not null,
            checksum text not null,
            applied_at timestamptz not null default now()
          )`;
      }
      const applied = await conn<AppliedRow[]>`select version, name, checksum from idgen_migrations order by version`;
      checkApplied(applied, files);
      const done = new Set(applied.map((row) => row.version));
      const pending = files.filter((file) => !done.has(file.version));
      for (const migration of pending) await applyOne(conn, migration, log);
      return pending.map((migration) => migration.file);
    } finally {
      // If the connection broke, the server has already dropped the lock; keep the original error.
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}

function checkApplied(applied: AppliedRow[], files: MigrationFile[]): void {
  for (const row of applied) {
    const recorded = `${String(row.version).padStart(3, "0")}_${row.name}.sql`;
    const file = files.find((candidate) => candidate.version === row.version);
    const problem = !file
      ? "was applied to this database but is missing from the migrations folder"
      : file.name !== row.name
        ? `was applied but is now named ${file.file}`
        : file.checksum !== row.checksum
          ? "was edited after it was applied"
          : null;
    if (problem) {
      throw new MigrationError(
        "MIGRATION_EDITED",
        `migration ${recorded} ${problem}. Never change an applied migration: restore it as it was ` +
          "and add a new numbered file for the change.",
        recorded,
      );
    }
  }
}

async function applyOne(conn: Sql, migration: MigrationFile, log: Log): Promise<void> {
  const startedAt = performance.now();
  // Manual BEGIN/COMMIT: a reserved connection has no sql.begin(). A file must not contain its own.
  await conn`begin`;
  try {
    await conn.unsafe(migration.text);
    await conn`
      insert into idgen_migrations (version, name, checksum)
      values (${migration.version}, ${migration.name}, ${migration.checksum})`;
    await conn`commit`;
  } catch (error) {
    await conn`rollback`.catch(() => {});
    throw error;
  }
  const ms = Math.round(performance.now() - startedAt);
  log({ level: "info", msg: "migration applied", migration: migration.file, ms });
}
