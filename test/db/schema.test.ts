// The pool schema's own guarantees, on a database cloned from the migrated template: one registry row per
// (type, ID), type names that are safe identifiers, and the tables the pool service relies on.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { testDatabase, type TestDatabase } from "../support/database";

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
  await db.sql`insert into id_type (name, id_length) values ('farmer_id', 10)`;
});
afterAll(() => db.drop());

test("the clone is migrated", async () => {
  const tables = await db.sql<{ name: string }[]>`
    select table_name as name from information_schema.tables where table_schema = 'public' order by 1`;
  // The pool's tables (later migrations add others of their own domains).
  expect(tables.map((table) => table.name)).toEqual(
    expect.arrayContaining(["claimed_chunk", "id_type", "idgen_migrations", "pod_lease", "pool_chunk", "pool_id", "pool_id_num", "registered_id"]),
  );
});

test("the registry rejects an ID registered twice for one type, and takes the same ID for another type, at every length", async () => {
  await db.sql`insert into id_type (name, id_length) values ('household_id', 10), ('long_id', 20), ('other_long_id', 20)`;
  // Up to 18 digits in pool_id_num (a number), longer in pool_id (text): both reached through registered_id.
  for (const [type, otherType, id, key] of [
    ["farmer_id", "household_id", "0234567890", "pool_id_num_pkey"],
    ["long_id", "other_long_id", "01234567890123456789", "pool_id_pkey"],
  ] as const) {
    await db.sql`insert into registered_id (id_type, id) values (${type}, ${id})`;
    await expect(db.sql`insert into registered_id (id_type, id) values (${type}, ${id})`).rejects.toMatchObject({ code: "23505", constraint_name: key });
    // Types are separate spaces: the pair is unique, not the ID (whichever column the key puts first, 007).
    await db.sql`insert into registered_id (id_type, id) values (${otherType}, ${id})`;
    const rows = await db.sql<{ id_type: string; id: string }[]>`select id_type, id from registered_id where id = ${id} order by id_type`;
    expect([...rows]).toEqual([{ id_type: type, id }, { id_type: otherType, id }].sort((a, b) => a.id_type.localeCompare(b.id_type)));
  }
  // pool_id takes no ID of up to 18 digits (a pod of the release before 009 would probe pool_id for it, miss
  // the one in pool_id_num, and register it again).
  await expect(db.sql`insert into pool_id (id_type, id) values ('household_id', '1111111111')`).rejects.toMatchObject({
    code: "23514",
    constraint_name: "pool_id_holds_long_ids_only",
  });
  // The leading zero survives the number: stored as 234567890, read back with the type's 10 digits.
  const [stored] = await db.sql<{ id: string }[]>`select n.id::text as id from pool_id_num n join id_type t using (type_no) where t.name = 'farmer_id'`;
  expect(stored?.id).toBe("234567890");
});

test("registering by hand refuses an unknown type and an ID of another length than its type's", async () => {
  await expect(db.sql`insert into registered_id (id_type, id) values ('no_such_type', '1234567890')`).rejects.toMatchObject({ code: "23503" });
  // '12' would be stored as 12 and read back as '0000000012': refused, not silently renamed.
  await expect(db.sql`insert into registered_id (id_type, id) values ('farmer_id', '12')`).rejects.toMatchObject({ code: "23514" });
  await expect(db.sql`insert into registered_id (id_type, id) values ('farmer_id', '123456789012')`).rejects.toMatchObject({ code: "23514" });
});

// 005_refill_speed: no foreign key to id_type (a lookup per inserted ID, guarding a type deletion that never
// happens); the key compares bytes (collation "C"), and the primary key stays the uniqueness guarantee.
// 007_registry_key_order: the key's columns are (id, id_type), the ID first (cheaper to compare).
// 009_numeric_registry: IDs of up to 18 digits are keyed (id bigint, type_no int), the ID first likewise.
test("the registry's keys put the ID first: pool_id (id, id_type) under collation C, pool_id_num (id, type_no); no per-row foreign key", async () => {
  const columns = await db.sql<{ column_name: string; collation_name: string }[]>`
    select column_name, collation_name from information_schema.columns where table_name = 'pool_id' order by column_name`;
  expect([...columns]).toEqual([
    { column_name: "id", collation_name: "C" },
    { column_name: "id_type", collation_name: "C" },
  ]);
  for (const [table, def] of [["pool_id", "PRIMARY KEY (id, id_type)"], ["pool_id_num", "PRIMARY KEY (id, type_no)"]] as const) {
    const constraints = await db.sql<{ contype: string }[]>`select contype from pg_constraint where conrelid = ${table}::regclass`;
    // PostgreSQL 18 (the embedded server) also lists NOT NULL constraints ("n"); 15 does not. What matters: the
    // primary key is there and no foreign key ("f") is (pool_id_num also checks that IDs are not negative).
    expect(constraints.map((row) => row.contype).filter((type) => type !== "n" && type !== "c")).toEqual(["p"]);
    const [key] = await db.sql<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = ${table}::regclass and contype = 'p'`;
    expect(key?.def).toBe(def);
  }
});

// 008_chunk_storage: chunks go to TOAST uncompressed (pglz cost more CPU per ID than the pool saves in room).
test("chunks of IDs are stored out of line without compression", async () => {
  const storage = await db.sql<{ relname: string; attstorage: string }[]>`
    select c.relname, a.attstorage from pg_attribute a join pg_class c on c.oid = a.attrelid
    where c.relname in ('pool_chunk', 'claimed_chunk') and a.attname = 'ids' order by c.relname`;
  expect([...storage]).toEqual([
    { relname: "claimed_chunk", attstorage: "e" },
    { relname: "pool_chunk", attstorage: "e" },
  ]);
});

test("id_type rejects names that are not lower-case identifiers of 2 to 64 characters", async () => {
  for (const name of ["Farmer", "1farmer", "farmer-id", "f", "x".repeat(65), "a b"]) {
    await expect(db.sql`insert into id_type (name, id_length) values (${name}, 8)`).rejects.toMatchObject({
      code: "23514",
    });
  }
  await db.sql`insert into id_type (name, id_length) values (${"x".repeat(64)}, 8)`;
});

test("a chunk gets an identity chunk_id and a claim moves it whole", async () => {
  const [chunk] = await db.sql<{ chunk_id: string }[]>`
    insert into pool_chunk (id_type, ids) values ('farmer_id', ${["1111111111", "2222222222"]}) returning chunk_id`;
  await db.sql`
    with taken as (delete from pool_chunk where chunk_id = ${chunk!.chunk_id} returning chunk_id, id_type, ids)
    insert into claimed_chunk (chunk_id, id_type, ids, claimed_by) select chunk_id, id_type, ids, 'pod-a' from taken`;
  const [claimed] = await db.sql`select ids, claimed_by from claimed_chunk`;
  expect(claimed).toMatchObject({ ids: ["1111111111", "2222222222"], claimed_by: "pod-a" });
});

// Accountability (004): an ID is audited as issued at most once; idempotency rows are pending or done.
test("issued_id rejects an ID recorded twice, and an unknown type", async () => {
  await db.sql`insert into issued_id (id_type, id, issued_to, request_id) values ('farmer_id', '5555555555', 'alice', 'r1')`;
  await expect(db.sql`insert into issued_id (id_type, id, issued_to, request_id) values ('farmer_id', '5555555555', 'bob', 'r2')`).rejects.toMatchObject({
    code: "23505",
    constraint_name: "issued_id_pkey",
  });
  await expect(db.sql`insert into issued_id (id_type, id, issued_to, request_id) values ('nobody', '1', 'a', 'r')`).rejects.toMatchObject({ code: "23503" });
});

test("idempotency_key: one row per caller, type and key; state is pending or done", async () => {
  const row = (state: string) => db.sql`
    insert into idempotency_key (caller, id_type, key, fingerprint, owner, state, expires_at)
    values ('alice', 'farmer_id', 'k', 'f', 'o', ${state}, now() + interval '1 day')`;
  await expect(row("lost")).rejects.toMatchObject({ code: "23514" });
  await row("pending");
  await expect(row("done")).rejects.toMatchObject({ code: "23505" });
});
