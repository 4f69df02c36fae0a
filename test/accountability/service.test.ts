// Accountability in-process, on real PostgreSQL: the group commit (one statement for many requests, failures
// reach exactly their waiters), an audit that cannot be written (503, the ID withheld), audit off, the service
// running open (anonymous, said loudly), batches at the end of a type's space, and configuration errors that
// never quote a secret.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config";
import { GroupCommit } from "../../src/db/group-commit";
import type { LogEntry } from "../../src/db/log";
import { insertIssued, type IssuedRecord } from "../../src/issuance/audit";
import { startService, type Service } from "../../src/service";
import { testDatabase, type TestDatabase } from "../support/database";

const CONFIG = `id_generator:
  pool_min_threshold: 200
  pool_generation_batch_size: 800
  id_types:
    farmer:
      id_length: 12
    tiny:
      id_length: 4
      buffer_size: 100
`;
const TINY_CAPACITY = 465;
const BASE = "/v1/idgenerator";

interface Started {
  db: TestDatabase;
  service: Service;
  logged: LogEntry[];
}
const started: Started[] = [];

async function start(env: Record<string, string> = {}): Promise<Started> {
  const db = await testDatabase();
  const logged: LogEntry[] = [];
  const config = loadConfig({ env: { DATABASE_URL: db.url, CONFIG_PATH: "mem.yaml", ...env }, readFile: () => CONFIG });
  const service = await startService({ config, log: (entry) => void logged.push(entry) });
  const one = { db, service, logged };
  started.push(one);
  return one;
}

async function post(service: Service, path: string, body?: unknown) {
  const res = await service.app.request(`${BASE}${path}`, {
    method: "POST",
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  return { status: res.status, body: (await res.json()) as { response: { id?: string; ids?: string[] } | null; errors: { errorCode: string; message: string }[] } };
}

afterAll(async () => {
  for (const { service, db } of started) {
    await service.stop();
    await db.drop();
  }
});

describe("GroupCommit on a real database", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
    await db.sql`insert into id_type (name, id_length) values ('farmer', 12)`;
  });
  afterAll(() => db.drop());

  test("300 concurrent callers share a few statements, and each resolves only once its rows are committed", async () => {
    const group = new GroupCommit<IssuedRecord>({ write: (rows) => insertIssued(db.sql, rows) });
    const committedWhenResolved: boolean[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, n) => {
        const id = String(100_000_000_000 + n);
        await group.add([{ idType: "farmer", id, issuedTo: "anonymous", requestId: `r${n}` }]);
        // Seen from another connection: committed, not merely sent.
        const [row] = await db.sql`select 1 from issued_id where id = ${id}`;
        committedWhenResolved.push(row !== undefined);
      }),
    );
    expect(committedWhenResolved).toEqual(Array(300).fill(true));
    expect(group.stats.rows).toBe(300);
    expect(group.stats.statements).toBeLessThan(20);
    expect(group.stats.statements).toBeGreaterThanOrEqual(2); // the first writes go alone, at once
  });

  test("a failed statement rejects exactly its waiters; the next batch goes on", async () => {
    // One writer, so that the batches are known: the first record alone, then the next two together.
    const group = new GroupCommit<IssuedRecord>({ write: (rows) => insertIssued(db.sql, rows), writers: 1 });
    const record = (id: string) => ({ idType: "farmer", id, issuedTo: "anonymous", requestId: "r" });
    const first = group.add([record("200000000001")]); // goes alone
    // These queue behind it and share one statement, which fails on the duplicate.
    const doomed = [group.add([record("200000000002")]), group.add([record("200000000001")])];
    await first;
    for (const outcome of await Promise.allSettled(doomed)) expect(outcome.status).toBe("rejected");
    await group.add([record("200000000003")]);
    const rows = await db.sql<{ id: string }[]>`select id from issued_id where id like '2000000000%' order by id`;
    expect(rows.map((row) => row.id)).toEqual(["200000000001", "200000000003"]);
    expect(group.stats.failures).toBe(1);
  });

  test("after a failed write it stops accepting for a backoff, then accepts again", async () => {
    const group = new GroupCommit<IssuedRecord>({ write: (rows) => insertIssued(db.sql, rows), writers: 1 });
    const record = (id: string) => ({ idType: "farmer", id, issuedTo: "anonymous", requestId: "r" });
    expect(group.accepting).toBe(true);
    await group.add([record("400000000001")]);
    const failed = await group.add([record("400000000001")]).then(() => false, () => true);
    expect(failed).toBe(true);
    expect(group.accepting).toBe(false);
    await Bun.sleep(1100);
    expect(group.accepting).toBe(true);
    await group.add([record("400000000002")]);
    expect(group.accepting).toBe(true);
  });

  test("with several writers, no more statements run at once than allowed, and every waiter settles", async () => {
    let running = 0;
    let most = 0;
    const group = new GroupCommit<IssuedRecord>({
      writers: 3,
      write: async (rows) => {
        most = Math.max(most, ++running);
        try {
          await insertIssued(db.sql, rows);
        } finally {
          running--;
        }
      },
    });
    await Promise.all(Array.from({ length: 200 }, (_, n) => group.add([{ idType: "farmer", id: String(300_000_000_000 + n), issuedTo: "a", requestId: "r" }])));
    await group.flushed();
    expect(most).toBe(3);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from issued_id where id like '3000000%'`;
    expect(row!.n).toBe(200);
  });
});

describe("audit on the request path", () => {
  test("runs open when no key is configured, says so at start-up, and records IDs as issued to anonymous", async () => {
    const { service, db, logged } = await start();
    expect(logged.some((entry) => entry.level === "warn" && /NO API KEYS CONFIGURED/.test(entry.msg))).toBe(true);
    const answer = await post(service, "/farmer/id");
    expect(answer.status).toBe(200);
    const [row] = await db.sql`select issued_to from issued_id where id = ${answer.body.response!.id!}`;
    expect(row!.issued_to).toBe("anonymous");
  });

  test("an audit that cannot be written answers 503 IDG-020 and hands out no ID; it recovers by itself", async () => {
    const { service, db, logged } = await start();
    await db.sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit disk full'; end $$`;
    await db.sql`create trigger refuse_audit before insert on issued_id for each statement execute function refuse_audit()`;
    const single = await post(service, "/farmer/id");
    expect(single.status).toBe(503);
    expect(single.body.errors[0]!.errorCode).toBe("IDG-020");
    expect(single.body.response).toBeNull();
    await Bun.sleep(1100); // past the refusal that follows a failed write (below)
    const batch = await post(service, "/farmer/ids", { count: 5 });
    expect([batch.status, batch.body.errors[0]!.errorCode]).toEqual([503, "IDG-020"]);
    expect(JSON.stringify([single, batch])).not.toContain("audit disk full"); // no SQL or database text leaks
    const failures = logged.filter((entry) => entry.msg === "audit write failed; IDs withheld and wasted");
    expect(failures.map((entry) => entry.wasted)).toEqual([1, 5]);
    await db.sql`drop trigger refuse_audit on issued_id`;
    await Bun.sleep(1100);
    const after = await post(service, "/farmer/id");
    expect(after.status).toBe(200);
    // The withheld IDs are never handed out later: they are neither returned to the pool nor in a buffer.
    const withheld = failures.flatMap((entry) => entry.ids as string[]);
    expect(withheld).not.toContain(after.body.response!.id);
    const [pooled] = await db.sql<{ n: number }[]>`select count(*)::int as n from pool_chunk where id_type = 'farmer' and ids && ${withheld}::text[]`;
    expect(pooled!.n).toBe(0);
  });

  test("IDGEN_AUDIT=off issues without records (and warns); lookup then cannot call them issued", async () => {
    const { service, db, logged } = await start({ IDGEN_AUDIT: "off" });
    expect(logged.some((entry) => entry.level === "warn" && /audit is OFF/.test(entry.msg))).toBe(true);
    const answer = await post(service, "/farmer/ids", { count: 10 });
    expect(answer.status).toBe(200);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from issued_id`;
    expect(row!.n).toBe(0);
    const res = await service.app.request(`${BASE}/farmer/id/${answer.body.response!.ids![0]}`);
    expect(((await res.json()) as { response: { status: string } }).response.status).not.toBe("issued");
  });
});

describe("batches at the end of a type's space", () => {
  test("larger than what remains: 409 IDG-021 saying how many, nothing handed out; then all of it; then 410", async () => {
    const { service, db } = await start();
    for (let waited = 0; ; waited += 50) {
      const [row] = await db.sql<{ n: number }[]>`select coalesce(sum(size), 0)::int as n from pool_chunk where id_type = 'tiny'`;
      if (row!.n === TINY_CAPACITY) break;
      if (waited > 20_000) throw new Error(`tiny pool not filled: ${row!.n}`);
      await Bun.sleep(50);
    }
    const tooMany = await post(service, "/tiny/ids", { count: TINY_CAPACITY + 1 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.errors[0]!.errorCode).toBe("IDG-021");
    expect(tooMany.body.errors[0]!.message).toContain(`at most ${TINY_CAPACITY}`);
    const [audited] = await db.sql<{ n: number }[]>`select count(*)::int as n from issued_id where id_type = 'tiny'`;
    expect(audited!.n).toBe(0);
    const all = await post(service, "/tiny/ids", { count: TINY_CAPACITY });
    expect(all.status).toBe(200);
    expect(new Set(all.body.response!.ids).size).toBe(TINY_CAPACITY);
    const none = await post(service, "/tiny/ids", { count: 1 });
    expect([none.status, none.body.errors[0]!.errorCode]).toEqual([410, "IDG-002"]);
    expect((await post(service, "/tiny/id")).status).toBe(410);
  });
});

describe("configuration of keys", () => {
  const SECRET = "a-secret-nobody-may-see-0123";
  const configError = (env: Record<string, string>, file = "") => {
    try {
      loadConfig({ env: { CONFIG_PATH: "mem.yaml", ...env }, readFile: () => CONFIG + file });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error("no ConfigError");
  };

  test("problems name the key, never the secret", () => {
    const short = configError({ IDGEN_API_KEYS: `alice:${SECRET.slice(0, 8)}` });
    expect(short.message).toContain("IDGEN_API_KEYS");
    expect(short.message).not.toContain(SECRET.slice(0, 8));
    const noName = configError({ IDGEN_API_KEYS: `:${SECRET}` });
    expect(noName.message).toContain("entry 1");
    expect(noName.message).not.toContain(SECRET);
    const both = configError({}, `keys:\n  bob:\n    secret: "${SECRET}"\n    secret_sha256: "${"a".repeat(64)}"\n`);
    expect(both.message).toContain("keys.bob");
    expect(both.message).not.toContain(SECRET);
    const badScope = configError({}, `keys:\n  bob:\n    secret: "${SECRET}"\n    scopes: [everything]\n`);
    expect(badScope.message).toContain("keys.bob.scopes");
    expect(badScope.message).not.toContain(SECRET);
    const unknownType = configError({}, `keys:\n  bob:\n    secret: "${SECRET}"\n    id_types: [cattle]\n`);
    expect(unknownType.message).toContain("cattle");
    const twice = configError({ IDGEN_API_KEYS: `bob:${SECRET}` }, `keys:\n  bob:\n    secret: "other-secret-0123456789"\n`);
    expect(twice.message).toContain("defined twice");
    expect(configError({ IDGEN_AUDIT: "maybe" }).message).toContain("IDGEN_AUDIT");
    expect(configError({ IDGEN_MAX_BODY_BYTES: "12" }).message).toContain("IDGEN_MAX_BODY_BYTES");
  });

  test("a loaded configuration keeps only digests, and its start-up description names keys without them", async () => {
    const { describeConfig } = await import("../../src/config");
    const config = loadConfig({ env: { CONFIG_PATH: "mem.yaml", IDGEN_API_KEYS: `alice:${SECRET}`, IDGEN_RATE_LIMIT: "5:10" }, readFile: () => CONFIG });
    expect(JSON.stringify(config)).not.toContain(SECRET);
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain(SECRET);
    expect(described).not.toContain(config.accountability.keys[0]!.sha256);
    expect(config.accountability.keys[0]).toMatchObject({ name: "alice", scopes: ["issue", "lookup", "admin"], rateLimit: { perSecond: 5, burst: 10 } });
  });
});
