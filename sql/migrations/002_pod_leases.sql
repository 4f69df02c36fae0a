-- Pods and what they hold. 001 recorded claims by pod name; it could not tell a live pod's buffer from the
-- leftovers of a crash, so a type whose every ID was generated could answer 503 forever instead of 410.

-- How many IDs a chunk holds, stored: counting a type's available IDs then reads no array (a large array is
-- TOASTed, and cardinality() would fetch and decompress every one).
alter table pool_chunk add column size int generated always as (cardinality(ids)) stored;

-- One row per running service process, refreshed every few seconds (src/pool/lease.ts). A pod whose row is
-- older than the lease is gone: what it still holds in claimed_chunk is wasted, never issued, never reissued.
-- A graceful stop returns its IDs and deletes its row. Rows are updated in place, so pages keep free space
-- for HOT updates.
create table pod_lease (
  pod text primary key,
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now()
) with (fillfactor = 50);

comment on table pod_lease is
  'Running pods, refreshed every few seconds; claims of a pod whose lease expired are wasted IDs.';

-- Corrects 001's note: a row whose pod is alive is that pod's buffer (or a chunk it has just used up and is
-- about to forget); a row whose pod's lease expired is waste.
comment on table claimed_chunk is
  'Chunks held by pods (claimed_by). Rows of pods without a live lease (pod_lease) are wasted IDs.';
