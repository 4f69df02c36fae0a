-- Accountability: who took which ID and when (issued_id), and the replies kept for Idempotency-Key retries
-- (idempotency_key). Numbered 004 on purpose: 003 belongs to another branch; the runner applies whatever is
-- pending in order, so a gap (or 003 arriving after 004 was applied) is fine.

-- One row per ID handed out while audit is on, written by a group commit (src/db/group-commit.ts) before
-- the response leaves. The primary key is also a last guard: an ID can never be recorded as issued twice.
-- Insert-only, never updated or deleted: packed pages (fillfactor 100).
create table issued_id (
  id_type text not null references id_type (name),
  id text not null,
  issued_at timestamptz not null default now(),
  -- The API key's name, or 'anonymous' when the service runs without keys. Never a secret.
  issued_to text not null,
  -- The request that took it (the X-Request-Id given, or one made up), to match audit rows to logs.
  request_id text not null,
  primary key (id_type, id)
);

-- "What did key X take, and when": the question an auditor asks after the lookup by ID (the primary key).
create index issued_id_to_idx on issued_id (issued_to, issued_at);

comment on table issued_id is
  'Every ID issued while audit was on: when and to whom (API key name or anonymous). Insert-only.';

-- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the first request with a key inserts its row
-- as pending, issues, and stores its response; a retry (any pod, after a restart) replays the response, a
-- concurrent duplicate waits for it, and the same key with another request (fingerprint) is refused. Rows
-- live until expires_at (created_at + the retention, 24 h by default) and are deleted by a periodic cleanup
-- in every pod (src/issuance/idempotency.ts); an expired row that is still there counts as absent.
create table idempotency_key (
  caller text not null,
  id_type text not null,
  key text not null,
  -- sha256 of the method, path and significant body: the same key with another request is a 422.
  fingerprint text not null,
  -- Who is working on it: a pending row whose owner died is taken over after a timeout.
  owner text not null,
  state text not null check (state in ('pending', 'done')),
  status int,
  -- The response body as sent (text, not jsonb: a replay is byte for byte the same, key order included).
  response text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (caller, id_type, key)
);

-- The cleanup deletes by expiry.
create index idempotency_key_expires_idx on idempotency_key (expires_at);

comment on table idempotency_key is
  'Responses kept for Idempotency-Key retries until expires_at; expired rows are deleted by a periodic cleanup.';
