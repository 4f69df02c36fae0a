// The migration runner against a real PostgreSQL: applies in order, is a no-op when up to date, refuses an
// edited, renamed or removed migration, and serialises runners in separate processes on the advisory lock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, MigrationError } from "../../src/db/migrate";
import type { LogEntry } from "../../src/db/log";
import { MIGRATIONS_DIR, testDatabase, type TestDatabase } from "../support/database";

const migrationFiles = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith(".sql")).sort();

/** A scratch copy of the migrations folder that a test may change. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), "idgen-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

/**
 * For the tests of one describe block: an unmigrated database, and scratch copies of the migrations folder,
 * both removed after them.
 */
function unmigratedDatabase() {
  let db: TestDatabase | undefined;
  const scratch: string[] = [];
  beforeAll(async () => {
    db = await testDatabase({ migrated: false });
  });
  afterAll(async () => {
    await db?.drop();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get db(): TestDatabase {
      if (!db) throw new Error("the database is made in beforeAll");
      return db;
    },
    /** A scratch copy of the migrations folder, removed after the block. */
    copyOfMigrations(): string {
      const dir = copyOfMigrations();
      scratch.push(dir);
      return dir;
    },
  };
}

describe("migrate", () => {
  const setup = unmigratedDatabase();

  test("applies every file once, logs each, and a second run is a no-op", async () => {
    const entries: LogEntry[] = [];
    const log = (entry: LogEntry) => entries.push(entry);
    expect(await migrate(setup.db.sql, { dir: MIGRATIONS_DIR, log })).toEqual(migrationFiles);
    expect(entries.filter((entry) => entry.msg === "migration applied").map((entry) => entry.migration)).toEqual(
      migrationFiles,
    );
    expect(await migrate(setup.db.sql, { dir: MIGRATIONS_DIR, log })).toEqual([]);
    const rows = await setup.db.sql`select version, name, length(checksum) as len from idgen_migrations order by version`;
    expect(rows.length).toBe(migrationFiles.length);
    expect(rows[0]).toMatchObject({ version: 1, name: "pools", len: 64 });
  });

  test("refuses an edited migration with MIGRATION_EDITED, naming the file", async () => {
    const dir = setup.copyOfMigrations();
    appendFileSync(join(dir, "001_pools.sql"), "\n-- an innocent-looking edit\n");
    const error = await migrate(setup.db.sql, { dir, log: () => {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: "MIGRATION_EDITED", file: "001_pools.sql" });
    expect((error as Error).message).toContain("add a new numbered file");
  });

  test("refuses a renamed or removed migration", async () => {
    const dir = setup.copyOfMigrations();
    renameSync(join(dir, "001_pools.sql"), join(dir, "001_pool_schema.sql"));
    await expect(migrate(setup.db.sql, { dir, log: () => {} })).rejects.toMatchObject({ code: "MIGRATION_EDITED" });
    rmSync(join(dir, "001_pool_schema.sql"));
    await expect(migrate(setup.db.sql, { dir, log: () => {} })).rejects.toMatchObject({ code: "MIGRATION_EDITED" });
  });

  test("a failing migration rolls back whole and is not recorded", async () => {
    const dir = setup.copyOfMigrations();
    writeFileSync(join(dir, "900_broken.sql"), "create table half_done (x int);\nselect no_such_function();\n");
    await expect(migrate(setup.db.sql, { dir, log: () => {} })).rejects.toThrow(/no_such_function/);
    const [table] = await setup.db.sql`select to_regclass('half_done') as oid`;
    expect(table?.oid).toBeNull();
    const [recorded] = await setup.db.sql`select count(*)::int as n from idgen_migrations where version = 900`;
    expect(recorded?.n).toBe(0);
  });
});

describe("migrate from two processes at once", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  test("both succeed and each file is applied exactly once", async () => {
    // A slow extra migration widens the window in which the second runner must wait for the lock.
    const dir = copyOfMigrations();
    writeFileSync(join(dir, "999_slow.sql"), "select pg_sleep(0.5);\n");
    const script = join(import.meta.dir, "fixtures/run-migrate.ts");
    const runs = [0, 1].map(() =>
      Bun.spawn([process.execPath, script, db.url, dir], { stdout: "pipe", stderr: "pipe" }),
    );
    const results = await Promise.all(
      runs.map(async (run) => ({
        code: await run.exited,
        stdout: await new Response(run.stdout).text(),
        stderr: await new Response(run.stderr).text(),
      })),
    );
    rmSync(dir, { recursive: true, force: true });
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: "" });
    const applied = results.map((result) => JSON.parse(result.stdout).applied as string[]);
    const expected = [...migrationFiles, "999_slow.sql"];
    expect(applied.flat().sort()).toEqual(expected);
    expect(applied.map((files) => files.length).sort()).toEqual([0, expected.length]);
    const rows = await db.sql`select version from idgen_migrations`;
    expect(rows.length).toBe(expected.length);
  });
});

describe("009_numeric_registry on a registry that has IDs", () => {
  const setup = unmigratedDatabase();

  test("moves IDs of up to 18 digits to pool_id_num, keeps longer ones in pool_id, and loses none", async () => {
    const before = setup.copyOfMigrations();
    for (const file of readdirSync(before)) if (Number(file.slice(0, 3)) >= 9) rmSync(join(before, file));
    await migrate(setup.db.sql, { dir: before, log: () => {} });
    await setup.db.sql`insert into id_type (name, id_length) values ('farmer', 10), ('household', 10), ('national', 20)`;
    const ids = {
      farmer: ["0123456789", "9876543210", "5000000000"],
      household: ["0123456789", "7000000001"],
      national: ["01234567890123456789", "98765432109876543210"],
    };
    for (const [type, list] of Object.entries(ids)) await setup.db.sql`insert into pool_id (id_type, id) select ${type}, unnest(${list}::text[])`;
    expect(await migrate(setup.db.sql, { dir: MIGRATIONS_DIR, log: () => {} })).toEqual(migrationFiles.filter((file) => Number(file.slice(0, 3)) >= 9));
    const registered = await setup.db.sql<{ id_type: string; id: string }[]>`select id_type, id from registered_id order by id_type, id`;
    expect([...registered]).toEqual(Object.entries(ids).flatMap(([type, list]) => [...list].sort().map((id) => ({ id_type: type, id }))));
    const [counts] = await setup.db.sql<{ text: number; numeric: number }[]>`
      select (select count(*)::int from pool_id) as text, (select count(*)::int from pool_id_num) as numeric`;
    expect(counts).toEqual({ text: 2, numeric: 5 });
    // Still unique after the move: the same ID again is refused in its new place.
    await expect(setup.db.sql`insert into registered_id (id_type, id) values ('farmer', '0123456789')`).rejects.toMatchObject({ code: "23505" });
  });
});
