-- Random ID pools: one schema for every ID type (a type is a row, never a table), so adding a type is an
-- INSERT and the claim query is one statement for all types. Applied by src/db/migrate.ts in one transaction;
-- once applied, never edit this file: add 002_….sql instead.

-- One row per ID type. Updated by every refill (the `generated` counter), so pages keep free space for
-- HOT updates: an update then rewrites the row in place and touches no index.
create table id_type (
  name text primary key check (name ~ '^[a-z][a-z0-9_]{1,63}$'),
  id_length int not null,
  -- Every ID ever generated for the type, available or issued; bumped by the refill transaction that
  -- inserts into pool_id, so it always equals that type's pool_id row count without counting them.
  generated bigint not null default 0,
  -- How many IDs the rules admit (numeric: a 32-digit space overflows bigint). From the rules engine;
  -- capacity_exact says whether it was counted or estimated.
  capacity numeric,
  capacity_exact boolean not null default false,
  created_at timestamptz not null default now()
) with (fillfactor = 70);

comment on column id_type.generated is
  'IDs ever generated for this type (= its pool_id rows); kept by the refill transaction';

-- The uniqueness registry: every ID ever generated for a type, available or issued, exactly once. The
-- primary key is the guarantee that no ID is handed out twice, across pods and restarts. Insert-only,
-- never updated or deleted, so the default fillfactor (100) is right: pages are packed full.
create table pool_id (
  id_type text not null references id_type (name),
  id text not null,
  primary key (id_type, id)
);

comment on table pool_id is
  'Every ID ever generated per type, exactly once (available or issued). Insert-only: never update or delete.';

-- Available IDs, packed many per row: claiming a chunk deletes one row instead of writing one row per ID,
-- and refilling inserts one row per chunk. Rows are inserted and deleted, never updated (fillfactor 100).
-- Large arrays are stored out of line (TOAST); that is fine, a claim reads each chunk once.
create table pool_chunk (
  chunk_id bigint generated always as identity primary key,
  id_type text not null references id_type (name),
  ids text[] not null,
  created_at timestamptz not null default now()
);

-- The claim takes the oldest chunks of one type (order by chunk_id ... for update skip locked).
create index pool_chunk_type_idx on pool_chunk (id_type, chunk_id);

comment on table pool_chunk is
  'Available IDs, many per row; a claim moves whole rows to claimed_chunk.';

-- Chunks handed to a pod's buffer, keeping the chunk_id they had in pool_chunk. A graceful stop returns the
-- unissued IDs as a new pool_chunk row and deletes its rows here; after a crash the rows that remain show
-- what the dead pod held: those IDs are wasted (never issued, never reissued), and countable.
create table claimed_chunk (
  chunk_id bigint primary key,
  id_type text not null,
  ids text[] not null,
  claimed_by text not null,
  claimed_at timestamptz not null default now()
);

comment on table claimed_chunk is
  'Chunks held by pods (claimed_by). Left behind by a crash: IDs that will never be issued.';
