-- Refill speed (issue 3: refill >= 150k IDs/s). Measured by bench/refill.bench.ts, variants in one run; the
-- figures are in bench/RESULTS.md. Two costs of every pool_id insert that protect nothing the primary key
-- does not already protect:
--
-- 1. The foreign key pool_id.id_type -> id_type(name) looked up id_type's index once per inserted ID. Types are
--    never deleted (their IDs must stay unique forever, so deleting a type is not an operation this service
--    has), and every insert comes from a refill of a type that registerIdType() wrote first: the key guarded a
--    case that cannot happen, at a cost on every ID.
-- 2. pool_id's text columns compared with the database's collation. On a libc locale (en_US.UTF-8, C.UTF-8)
--    every comparison in the primary-key index goes through strcoll(); with collation "C" it is a memcmp. IDs
--    are ASCII digits, so "C" order is numeric order for equal lengths and nothing changes in what is equal:
--    uniqueness is byte equality either way. The index is rebuilt once here (no table rewrite: text to text).
--
-- What stays: the primary key (id_type, id), the guarantee that no ID is ever generated twice for a type.

alter table pool_id drop constraint pool_id_id_type_fkey;
alter table pool_id alter column id_type type text collate "C", alter column id type text collate "C";

comment on table pool_id is
  'Every ID ever generated per type, exactly once (available or issued); the primary key is the guarantee. Insert-only: never update or delete.';
