// Fresh databases for the benchmarks, on DATABASE_URL's server (else the machine's 127.0.0.1:5432), created
// with the server's default collation (what a user's database has) and migrated with a chosen set of files.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres, { type Sql } from "postgres";
import { migrate } from "../../src/db/migrate";

export const MIGRATIONS_DIR = resolve(import.meta.dir, "../../sql/migrations");
export const SERVER_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface BenchDatabase {
  name: string;
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

let created = 0;

/** A new database migrated with the files whose names pass `only` (default: all of them). */
export async function benchDatabase(label: string, { only = (_file: string): boolean => true, max = 4 } = {}): Promise<BenchDatabase> {
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => undefined });
  const name = `idgen_bench_${label}_${process.pid}_${++created}`.replace(/[^a-z0-9_]/g, "_");
  try {
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end({ timeout: 1 });
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const sql = postgres(url.href, { max, onnotice: () => undefined });
  const dir = mkdtempSync(join(tmpdir(), "idgen-bench-migrations-"));
  try {
    for (const file of readdirSync(MIGRATIONS_DIR).filter(only)) cpSync(join(MIGRATIONS_DIR, file), join(dir, file));
    await migrate(sql, { dir, log: () => undefined });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name,
    url: url.href,
    sql,
    drop: async () => {
      await sql.end({ timeout: 1 });
      const admin = postgres(SERVER_URL, { max: 1, onnotice: () => undefined });
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end({ timeout: 1 });
    },
  };
}

/**
 * Runs `load` with a registry table's primary key dropped (pool_id_num by default: the IDs of up to 18 digits,
 * every benchmark's length-10 type), then builds the key once by sorting (minutes faster than millions of index
 * inserts, and the same index in the end): the key as the migrations define it, read before dropping it
 * (sql/migrations/007 and 009 put the ID first), never spelled out here.
 */
export async function withoutRegistryKey<T>(sql: Sql, load: () => Promise<T>, table: "pool_id_num" | "pool_id" = "pool_id_num"): Promise<T> {
  const name = `${table}_pkey`;
  const [key] = await sql<{ def: string }[]>`select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${name} and conrelid = ${table}::regclass`;
  if (!key) throw new Error(`${table} has no primary key ${name}: is the database migrated?`);
  await sql`alter table ${sql(table)} drop constraint ${sql(name)}`;
  const result = await load();
  await sql.unsafe(`alter table ${table} add constraint ${name} ${key.def}`);
  return result;
}
