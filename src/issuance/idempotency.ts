// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a request carrying a key is done once per
// (caller, ID type, key); its response is kept in idempotency_key and replayed to every retry, from any pod,
// after restarts, until the row expires (24 h by default). The first request inserts the row as pending
// (INSERT … ON CONFLICT DO NOTHING decides the winner in the database, so two pods can never both issue), a
// concurrent duplicate polls until the response is stored, and the same key with another request is refused.
import { createHash, randomUUID } from "node:crypto";
import type { Sql } from "postgres";

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyScope {
  caller: string;
  idType: string;
  key: string;
  /** sha256 of what makes the request this request (method, path, significant body). */
  fingerprint: string;
}

export type IdempotentOutcome =
  | { response: StoredResponse; replayed: boolean }
  | { mismatch: true }
  | { inProgress: true };

export interface IdempotencyOptions {
  retentionHours: number;
  /** A pending row older than this is an abandoned attempt (its pod died mid-request) and may be taken over. */
  staleSeconds?: number;
  /** How long a duplicate waits for the first request's response before answering "in progress". */
  waitMs?: number;
  /** Each statement's limit: a database that does not answer makes runIdempotent throw, not hang. */
  statementTimeoutMs?: number;
}

/** `work`, or a rejection after `ms` (the statement goes on; its result is then ignored). */
export async function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the database within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const fingerprintOf = (...parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex");

/** A key is 1 to 255 visible ASCII characters (the draft's sf-string, without its quotes). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs `work` once per scope and returns its response, or the stored response of an earlier run. Only 2xx
 * responses are kept: a failure (503, 409 ...) deletes the pending row, so a retry runs the work afresh.
 * If `work` throws, the row is deleted too and the error goes on.
 */
export async function runIdempotent(
  sql: Sql,
  scope: IdempotencyScope,
  options: IdempotencyOptions,
  work: () => Promise<StoredResponse>,
  onStoreFailed: (error: unknown) => void = () => undefined,
): Promise<IdempotentOutcome> {
  const deadline = performance.now() + (options.waitMs ?? 15_000);
  const limit = options.statementTimeoutMs ?? 5000;
  for (;;) {
    const owner = await bounded(claimKey(sql, scope, options), limit);
    if (owner !== null) {
      let response: StoredResponse;
      try {
        response = await work();
      } catch (error) {
        await bounded(releaseKey(sql, scope, owner), limit).catch(() => undefined);
        throw error;
      }
      if (response.status >= 200 && response.status < 300) {
        // The IDs are issued (and audited) by now: they leave even if keeping the reply fails, and a retry
        // then waits for the pending row to go stale and gets new IDs (logged by the caller).
        await bounded(completeKey(sql, scope, owner, response), limit).catch(onStoreFailed);
      } else {
        await bounded(releaseKey(sql, scope, owner), limit).catch(() => undefined);
      }
      return { response, replayed: false };
    }
    const row = await bounded(readKey(sql, scope), limit);
    if (row === undefined) continue; // released or expired between the two statements: try to claim it again
    if (row.fingerprint !== scope.fingerprint) return { mismatch: true };
    if (row.state === "done") return { response: { status: row.status!, body: JSON.parse(row.response!) }, replayed: true };
    if (performance.now() >= deadline) return { inProgress: true };
    await Bun.sleep(50);
  }
}

/** Inserts the key as pending and returns the owner token, or null when a live row exists (someone else's). */
async function claimKey(sql: Sql, scope: IdempotencyScope, options: IdempotencyOptions): Promise<string | null> {
  const owner = randomUUID();
  // An expired row, or a pending one abandoned by a dead pod (same request only), counts as absent.
  const rows = await sql`
    insert into idempotency_key as k (caller, id_type, key, fingerprint, owner, state, expires_at)
    values (${scope.caller}, ${scope.idType}, ${scope.key}, ${scope.fingerprint}, ${owner}, 'pending',
            now() + ${options.retentionHours} * interval '1 hour')
    on conflict (caller, id_type, key) do update
      set fingerprint = excluded.fingerprint, owner = excluded.owner, state = 'pending', status = null,
          response = null, created_at = now(), expires_at = excluded.expires_at
      where k.expires_at < now()
         or (k.state = 'pending' and k.fingerprint = excluded.fingerprint
             and k.created_at < now() - ${options.staleSeconds ?? 60} * interval '1 second')
    returning owner`;
  return rows.length > 0 ? owner : null;
}

async function readKey(sql: Sql, scope: IdempotencyScope) {
  const [row] = await sql<{ fingerprint: string; state: "pending" | "done"; status: number | null; response: string | null }[]>`
    select fingerprint, state, status, response from idempotency_key
    where caller = ${scope.caller} and id_type = ${scope.idType} and key = ${scope.key} and expires_at >= now()`;
  return row;
}

async function completeKey(sql: Sql, scope: IdempotencyScope, owner: string, response: StoredResponse): Promise<void> {
  await sql`
    update idempotency_key set state = 'done', status = ${response.status}, response = ${JSON.stringify(response.body)}
    where caller = ${scope.caller} and id_type = ${scope.idType} and key = ${scope.key} and owner = ${owner}`;
}

async function releaseKey(sql: Sql, scope: IdempotencyScope, owner: string): Promise<void> {
  await sql`delete from idempotency_key where caller = ${scope.caller} and id_type = ${scope.idType} and key = ${scope.key} and owner = ${owner}`;
}

/** Deletes up to `limit` expired rows; resolves to how many. Run periodically by every pod (cheap when none). */
export async function deleteExpiredKeys(sql: Sql, limit = 10_000): Promise<number> {
  const rows = await sql`
    delete from idempotency_key where ctid = any(array(
      select ctid from idempotency_key where expires_at < now() limit ${limit}))
    returning 1`;
  return rows.length;
}
