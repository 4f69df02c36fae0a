-- Sequential IDs: named counters (src/sequence/). One row per counter; pods take blocks of numbers from it
-- with one UPDATE each (src/sequence/queries.ts), so the row is the only thing concurrent pods contend on.
-- Applied by src/db/migrate.ts in one transaction; once applied, never edit this file.

-- last_value is the last number handed out (start - 1 before the first), so a block take is
-- "last_value + 1 .. last_value + n" and the counter can be handed out up to max_value inclusive.
-- last_block_first is the first number of the most recent take: the same UPDATE sets it from the old row,
-- which is how the statement returns both ends of the block it took.
-- The row is updated in place at every block take, so pages keep free space for HOT updates.
create table counter (
  name text primary key check (name ~ '^[a-z][a-z0-9_]{1,63}$'),
  start_value bigint not null check (start_value >= 0),
  last_value bigint not null,
  last_block_first bigint,
  -- Inclusive; null: up to 2^63 - 1.
  max_value bigint,
  mode text not null default 'prefetch' check (mode in ('prefetch', 'strict')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (last_value >= start_value - 1),
  check (max_value is null or max_value >= start_value)
) with (fillfactor = 50);

comment on table counter is
  'Sequential ID counters: last_value is the last number handed out by any pod (start_value - 1 before the first).';
