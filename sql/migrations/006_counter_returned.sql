-- Numbers a stopping pod held but could not give back to its counter (issue 4: "a graceful stop never loses
-- more than one block"). The counter row can only move back when nobody has taken numbers since the pod's last
-- block (the compare-and-set of src/sequence/queries.ts giveBack); whatever that cannot return (the unused
-- tail of the current block, the untouched next block, tails left by /range traffic) is written here as
-- ranges lo..hi, and later block takes of prefetch counters use them before the counter row
-- (src/sequence/queries.ts takeBlock). Applied by src/db/migrate.ts in one transaction; never edit once applied.
--
-- Every range lies below its counter's last_value and overlaps no number handed out or held by any pod, nor
-- any other range: a range is inserted only by the pod that held its numbers, and taken by deleting it (or
-- cutting a piece off its low end) under a row lock with SKIP LOCKED, so two pods never take the same numbers.
-- Strict counters never read it: their numbers must lie above every number handed out before.
create table counter_returned (
  counter text not null references counter (name),
  lo bigint not null,
  hi bigint not null,
  returned_at timestamptz not null default now(),
  primary key (counter, lo),
  check (hi >= lo)
);

comment on table counter_returned is
  'Counter numbers a stopping pod held and never handed out (lo..hi inclusive): block takes of prefetch counters use them first.';
