-- The registry of IDs of up to 18 digits keyed by number: pool_id_num (id bigint, type_no int) instead of
-- pool_id (id text, id_type text). Same guarantee, per type: every ID ever generated, available or issued,
-- exactly once; the primary key (id, type_no) is that guarantee. IDs stay text everywhere else (the API, the
-- chunks, the buffers): a type's IDs all have its id_length digits, so the number and its length give the text
-- back (lpad with zeros: '0123456789' is stored as 123456789). Longer IDs (19 to 32 digits) do not fit a bigint
-- and stay in pool_id. Which table holds an ID depends on the ID alone (its length), so no ID can be in both.
--
-- Why: a refill looks every candidate up in the registry's key and inserts the fresh ones into it, and that is
-- most of what a refill costs PostgreSQL, which on a pod's machine is CPU taken from the requests (issue 3:
-- issuance while the pool refills underneath). A bigint key compares as one machine word where text compares
-- by memcmp after reading a varlena header, and its entries are smaller: 24 bytes in the index instead of 32
-- (a type's name in a few bytes plus the ID's 11). Measured on a 2-core machine (2026-12-07, scratch: 1M
-- length-10 IDs registered, then 5 rounds of 200,000 candidates each probed and the fresh ones COPYed into
-- each layout, CPU of the PostgreSQL backend from /proc): probe 0.90 µs per candidate against 1.20, COPY 1.45
-- µs per ID against 1.95 (-25 % together); with 2M rows the index took 79 MB against 105. `npm run
-- bench:refill` measures the whole refill on both layouts in the same rounds (the variant "before 009").
--
-- type_no: a small number per type for the key (the name would make every entry longer). Types are never
-- deleted, so a number is never reused.
--
-- Cost of applying it: the IDs of up to 18 digits move from pool_id to pool_id_num, one INSERT ... SELECT and
-- one DELETE, holding pool_id's lock meanwhile (refills wait; issuance reads chunks and buffers, never the
-- registry), then the key is built: 8.8 s for 3M length-10 IDs on a 2-core machine (2026-12-07), roughly linear.
-- docs/operations.md ("Upgrades and migrations") says when to apply it.

alter table id_type add column type_no int generated always as identity;
alter table id_type add constraint id_type_type_no_key unique (type_no);

-- The key is added after the IDs have moved: built once by sorting, which is faster than an index insert per
-- row and leaves a packed index.
create table pool_id_num (
  id bigint not null check (id >= 0),
  type_no int not null
);

comment on table pool_id_num is
  'Every ID of up to 18 digits ever generated per type (type_no: id_type.type_no), as a number, exactly once; the primary key is the guarantee. Insert-only: never update or delete.';

-- Only plain digits move (the engine makes nothing else; anything else stays where it is, still unique there).
insert into pool_id_num (id, type_no)
select p.id::bigint, t.type_no from pool_id p join id_type t on t.name = p.id_type
where p.id ~ '^[0-9]{1,18}$';

delete from pool_id p using id_type t
where t.name = p.id_type and p.id ~ '^[0-9]{1,18}$';

alter table pool_id_num add constraint pool_id_num_pkey primary key (id, type_no);

-- From now on pool_id takes no ID that belongs in pool_id_num. This is what keeps a rolling update safe: pods
-- of the release before this one still refill, and their refill probes pool_id only, where the IDs of up to 18
-- digits no longer are; without this check one of them could register an ID again. With it their COPY fails,
-- the refill is rolled back whole (logged, retried, failing again) and nothing is registered twice, while the
-- new pods refill the pools and every pod keeps issuing. The same holds for a rollback of the image past this
-- migration: safe, but the old release cannot refill (docs/operations.md, "Upgrades and migrations").
alter table pool_id add constraint pool_id_holds_long_ids_only check (id !~ '^[0-9]{1,18}$');

comment on table pool_id is
  'Every ID of 19 digits or more ever generated per type, exactly once (available or issued); the primary key is the guarantee. Shorter IDs are in pool_id_num. Insert-only: never update or delete.';

-- The registry as text, both tables together: what operators and tests read ("was this ID ever generated?").
-- The padding uses the type's id_length, which is the length its IDs were generated with.
create view registered_id as
  select id_type, id from pool_id
  union all
  select t.name, lpad(n.id::text, t.id_length, '0') from pool_id_num n join id_type t on t.type_no = n.type_no;

comment on view registered_id is
  'Every ID ever generated per type, as text: pool_id and pool_id_num together. Insert here to register IDs by hand (routed to the right table).';

-- Inserting into the view registers an ID in the table its length belongs to, with that table's checks: a
-- duplicate fails with unique_violation, as an insert into pool_id always did; an unknown type or an ID of
-- another length than its type's is refused. For operators (docs/operations.md, restoring from a backup) and
-- tests; refills COPY into the tables directly.
create function registered_id_insert() returns trigger language plpgsql as $$
declare
  number int;
  digits int;
begin
  select type_no, id_length into number, digits from id_type where name = new.id_type;
  if number is null then
    raise exception using errcode = 'foreign_key_violation', message = format('no id type named %L', new.id_type),
      hint = 'Types are created by the service at start-up, from its configuration.';
  end if;
  -- A number and the type's length give one text: '12' for a length-10 type would read back as '0000000012'.
  if length(new.id) <> digits then
    raise exception using errcode = 'check_violation',
      message = format('ID %L has %s characters; the IDs of type %L have %s', new.id, length(new.id), new.id_type, digits);
  end if;
  if new.id ~ '^[0-9]{1,18}$' then
    insert into pool_id_num (id, type_no) values (new.id::bigint, number);
  else
    insert into pool_id (id_type, id) values (new.id_type, new.id);
  end if;
  return new;
end $$;

create trigger registered_id_insert instead of insert on registered_id
  for each row execute function registered_id_insert();
