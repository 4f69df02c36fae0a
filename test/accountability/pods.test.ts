// Accountability through two real service processes on one database: API keys (missing, wrong, out of scope,
// out of type), rate limits, the body limit, audit rows and lookups, Idempotency-Key across pods and
// restarts, batch bounds, and that no secret reaches a log line or a response.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { testDatabase, type TestDatabase } from "../support/database";
import { explainFailure, killAll, startPod, tempFile, type ServiceProcess } from "../support/processes";

const REGISTRAR = "registrar-secret-1234567890";
const AUDITOR = "auditor-secret-1234567890";
const THROTTLED = "throttled-secret-123456789";
const OPS = "ops-secret-0123456789abcdef";
const SECRETS = [REGISTRAR, AUDITOR, THROTTLED, OPS];
const CONFIG = `id_generator:
  pool_min_threshold: 500
  pool_generation_batch_size: 1500
  pod_lease_seconds: 5
  id_types:
    farmer:
      id_length: 12
      buffer_size: 200
    household:
      id_length: 10
keys:
  registrar:
    secret: "${REGISTRAR}"
    scopes: [issue, lookup]
    id_types: [farmer]
  auditor:
    secret_sha256: "${createHash("sha256").update(AUDITOR).digest("hex")}"
    scopes: [lookup]
  throttled:
    secret: "${THROTTLED}"
    scopes: [issue]
    rate_limit: { per_second: 0.5, burst: 3 }
`;
const configFile = tempFile("config.yaml", CONFIG);
let db: TestDatabase;
const pods: ServiceProcess[] = [];
const urls: string[] = [];
/** Every response text seen, for the check that no secret is ever echoed. */
const seen: string[] = [];

interface Reply {
  status: number;
  headers: Headers;
  body: { response: Record<string, unknown> | null; errors: { errorCode: string; message: string }[] };
}

async function call(url: string, path: string, init: { method?: string; secret?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.secret) headers.authorization = `Bearer ${init.secret}`;
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(`${url}/v1/idgenerator${path}`, { method: init.method ?? "GET", headers, body: init.body });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}
const code = (reply: Reply) => reply.body.errors[0]?.errorCode;

function podEnv(extra: Record<string, string> = {}) {
  return { CONFIG_PATH: configFile.path, DATABASE_URL: db.url, PORT: "0", IDGEN_API_KEYS: `ops:${OPS}`, LOG_LEVEL: "debug", ...extra };
}

beforeAll(async () => {
  db = await testDatabase();
  const started = await Promise.all([0, 1].map((n) => startPod({ env: podEnv(), label: `pod-${n}`, timeoutMs: 120_000 })));
  for (const one of started) {
    pods.push(one.pod);
    everyPod.push(one.pod);
    urls.push(one.url);
  }
});

/** Every pod started in this file, stopped ones included, for the log check at the end. */
const everyPod: ServiceProcess[] = [];

afterAll(async () => {
  await killAll();
  await db.drop();
  configFile.remove();
});

describe("API keys", () => {
  test("guarded endpoints answer 401 without a key or with a wrong one, in the envelope", async () => {
    const [a, b] = urls as [string, string];
    for (const [url, path, method] of [[a, "/farmer/id", "POST"], [b, "/farmer/ids", "POST"], [a, "/farmer/id/123456789012", "GET"], [b, "/config", "GET"]] as const) {
      const missing = await call(url, path, { method, body: method === "POST" ? '{"count":1}' : undefined });
      expect(missing.status).toBe(401);
      expect(code(missing)).toBe("IDG-011");
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");
      const wrong = await call(url, path, { method, secret: `${REGISTRAR}x`, body: method === "POST" ? '{"count":1}' : undefined });
      expect(wrong.status).toBe(401);
      expect(code(wrong)).toBe("IDG-012");
      const notBearer = await call(url, path, { method, headers: { authorization: `Basic ${REGISTRAR}` } });
      expect(code(notBearer)).toBe("IDG-011");
    }
  });

  test("health, version, validate, docs, the validator page and the probes need no key", async () => {
    const url = urls[0]!;
    expect((await call(url, "/health")).status).toBe(200);
    expect((await call(url, "/version")).status).toBe(200);
    expect((await call(url, "/farmer/id/validate/123456789012")).status).toBe(200);
    for (const path of ["/openapi.json", "/docs/", "/validator/", "/livez", "/readyz"]) {
      expect((await fetch(`${url}${path}`)).status).toBe(200);
    }
  });

  test("403 outside the key's scopes or ID types; 200 within them; a key with a stored hash works", async () => {
    const url = urls[0]!;
    const auditorIssues = await call(url, "/farmer/id", { method: "POST", secret: AUDITOR });
    expect([auditorIssues.status, code(auditorIssues)]).toEqual([403, "IDG-013"]);
    const otherType = await call(url, "/household/id", { method: "POST", secret: REGISTRAR });
    expect([otherType.status, code(otherType)]).toEqual([403, "IDG-014"]);
    // An unknown type is also outside a restricted key's types: which types exist is not revealed to it.
    expect(code(await call(url, "/nosuchtype/id", { method: "POST", secret: REGISTRAR }))).toBe("IDG-014");
    const issued = await call(url, "/farmer/id", { method: "POST", secret: REGISTRAR });
    expect(issued.status).toBe(200);
    const looked = await call(url, `/household/id/${"1".repeat(10)}`, { secret: AUDITOR });
    expect(looked.status).toBe(200);
    const throttledLooks = await call(url, `/farmer/id/${issued.body.response!.id}`, { secret: THROTTLED });
    expect([throttledLooks.status, code(throttledLooks)]).toEqual([403, "IDG-013"]);
    // The env key has every scope, admin included.
    expect((await call(url, "/household/id", { method: "POST", secret: OPS })).status).toBe(200);
    expect((await call(url, "/config", { secret: AUDITOR })).status).toBe(200);
  });

  test("over its rate limit a key gets 429 with Retry-After, per pod; other keys are not affected", async () => {
    const url = urls[1]!;
    // At once, so that the bucket (one token every 2 s) cannot refill in between: the burst of 3, then 429s.
    const replies = await Promise.all(Array.from({ length: 5 }, () => call(url, "/farmer/id", { method: "POST", secret: THROTTLED })));
    expect(replies.filter((reply) => reply.status === 200).length).toBe(3);
    const limited = replies.filter((reply) => reply.status !== 200);
    expect(limited.length).toBe(2);
    for (const reply of limited) {
      expect([reply.status, code(reply)]).toEqual([429, "IDG-015"]);
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(reply.headers.get("retry-after"))).toBeLessThanOrEqual(2);
    }
    expect((await call(url, "/farmer/id", { method: "POST", secret: REGISTRAR })).status).toBe(200);
    await Bun.sleep(Number(limited[0]!.headers.get("retry-after")) * 1000 + 100);
    expect((await call(url, "/farmer/id", { method: "POST", secret: THROTTLED })).status).toBe(200);
  });
});

describe("body limit", () => {
  test("a body over 64 KiB is refused with 413 in the envelope, with or without Content-Length", async () => {
    const url = urls[0]!;
    const big = "x".repeat(65_537);
    const sized = await call(url, "/farmer/id", { method: "POST", secret: REGISTRAR, body: big });
    expect([sized.status, code(sized)]).toEqual([413, "IDG-016"]);
    const chunked = await fetch(`${url}/v1/idgenerator/farmer/ids`, {
      method: "POST",
      headers: { authorization: `Bearer ${REGISTRAR}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 70; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
          controller.close();
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as Reply["body"]).errors[0]!.errorCode).toBe("IDG-016");
    // Just under the limit passes (the issue route ignores its body).
    expect((await call(url, "/farmer/id", { method: "POST", secret: REGISTRAR, body: "x".repeat(60_000) })).status).toBe(200);
  });
});

describe("audit and lookup", () => {
  test("an ID is available before issuance and issued (when, to whom) after; unknown IDs say so", async () => {
    const url = urls[0]!;
    const [pooled] = await db.sql<{ id: string }[]>`select ids[1] as id from pool_chunk where id_type = 'farmer' order by chunk_id desc limit 1`;
    const before = await call(url, `/farmer/id/${pooled!.id}`, { secret: AUDITOR });
    expect(before.body.response).toEqual({ id: pooled!.id, status: "available", issued_at: null, issued_to: null });
    const startedAt = Date.now();
    const issued = await call(urls[1]!, "/farmer/id", { method: "POST", secret: REGISTRAR, headers: { "x-request-id": "req-lookup-1" } });
    const id = issued.body.response!.id as string;
    expect(issued.headers.get("x-request-id")).toBe("req-lookup-1");
    const after = await call(url, `/farmer/id/${id}`, { secret: AUDITOR });
    expect(after.body.response!.status).toBe("issued");
    expect(after.body.response!.issued_to).toBe("registrar");
    expect(Math.abs(Date.parse(after.body.response!.issued_at as string) - startedAt)).toBeLessThan(60_000);
    const [row] = await db.sql`select request_id from issued_id where id_type = 'farmer' and id = ${id}`;
    expect(row!.request_id).toBe("req-lookup-1");
    expect((await call(url, "/farmer/id/000000000000", { secret: AUDITOR })).body.response!.status).toBe("unknown");
    expect(code(await call(url, "/farmer/id/12ab", { secret: AUDITOR }))).toBe("IDG-007");
    expect(code(await call(url, "/nosuch/id/1234", { secret: AUDITOR }))).toBe("IDG-003");
  });

  test("under concurrent load on two pods every ID handed out has exactly one audit row, and nothing else does", async () => {
    await explainFailure(() => pods, async () => {
      await db.sql`delete from issued_id`;
      const handedOut: string[] = [];
      await Promise.all(
        Array.from({ length: 40 }, async (_, client) => {
          for (let i = 0; i < 25; i++) {
            const reply = await call(urls[client % 2]!, "/farmer/id", { method: "POST", secret: client % 2 ? REGISTRAR : OPS });
            if (reply.status === 200) handedOut.push(reply.body.response!.id as string);
            else expect(code(reply)).toBe("IDG-001");
          }
        }),
      );
      expect(handedOut.length).toBeGreaterThan(900);
      expect(new Set(handedOut).size).toBe(handedOut.length);
      const rows = await db.sql<{ id: string; issued_to: string }[]>`select id, issued_to from issued_id where id_type = 'farmer'`;
      expect(rows.map((row) => row.id).sort()).toEqual([...handedOut].sort());
      expect(new Set(rows.map((row) => row.issued_to))).toEqual(new Set(["ops", "registrar"]));
    });
  });
});

describe("batch", () => {
  test("count must be a whole number from 1 to 10000; anything else is a 4xx in the envelope", async () => {
    const url = urls[0]!;
    for (const body of ['{"count":0}', '{"count":10001}', '{"count":-1}', '{"count":1.5}', '{"count":"5"}', '{"count":null}', "{}", "[]", '{"count":', "not json"]) {
      const reply = await call(url, "/farmer/ids", { method: "POST", secret: REGISTRAR, body });
      expect(reply.status).toBe(422);
      expect(code(reply)).toBe("IDG-007");
    }
    const noBody = await call(url, "/farmer/ids", { method: "POST", secret: REGISTRAR });
    expect([noBody.status, code(noBody)]).toEqual([422, "IDG-007"]);
    const wrongMethod = await call(url, "/farmer/ids", { secret: REGISTRAR });
    expect(wrongMethod.status).toBe(405);
  });

  test("1 and 10000 are served whole, unique and audited", async () => {
    const one = await call(urls[0]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, body: '{"count":1}' });
    expect((one.body.response!.ids as string[]).length).toBe(1);
    const many = await call(urls[1]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, body: '{"count":10000}' });
    expect(many.status).toBe(200);
    const ids = many.body.response!.ids as string[];
    expect(ids.length).toBe(10_000);
    expect(new Set(ids).size).toBe(10_000);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from issued_id where id_type = 'farmer' and id = any(${ids}::text[]) and issued_to = 'registrar'`;
    expect(row!.n).toBe(10_000);
  });
});

describe("Idempotency-Key", () => {
  test("the same key retried concurrently against two pods yields one ID, and one audit row", async () => {
    await explainFailure(() => pods, async () => {
      for (let round = 0; round < 5; round++) {
        const key = `order-${round}-${crypto.randomUUID()}`;
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) => call(urls[i % 2]!, "/farmer/id", { method: "POST", secret: REGISTRAR, headers: { "idempotency-key": key } })),
        );
        expect(replies.map((reply) => reply.status)).toEqual(Array(10).fill(200));
        const ids = new Set(replies.map((reply) => reply.body.response!.id));
        expect(ids.size).toBe(1);
        expect(replies.filter((reply) => reply.headers.get("idempotent-replayed") === "true").length).toBe(9);
        const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from issued_id where id = ${[...ids][0] as string}`;
        expect(row!.n).toBe(1);
      }
    });
  });

  test("batches too: the same IDs for the same key; another count or endpoint with that key is 422", async () => {
    const key = crypto.randomUUID();
    const headers = { "idempotency-key": key };
    const [first, second] = await Promise.all([
      call(urls[0]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, headers, body: '{"count":50}' }),
      call(urls[1]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, headers, body: '{"count": 50}' }),
    ]);
    expect(first.body.response).toEqual(second.body.response);
    expect((first.body.response!.ids as string[]).length).toBe(50);
    const otherCount = await call(urls[0]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, headers, body: '{"count":51}' });
    expect([otherCount.status, code(otherCount)]).toEqual([422, "IDG-017"]);
    const otherEndpoint = await call(urls[1]!, "/farmer/id", { method: "POST", secret: REGISTRAR, headers });
    expect([otherEndpoint.status, code(otherEndpoint)]).toEqual([422, "IDG-017"]);
  });

  test("keys are per caller and per type; a malformed key is 400", async () => {
    const headers = { "idempotency-key": `shared-${crypto.randomUUID()}` };
    const registrar = await call(urls[0]!, "/farmer/id", { method: "POST", secret: REGISTRAR, headers });
    const ops = await call(urls[0]!, "/farmer/id", { method: "POST", secret: OPS, headers });
    const household = await call(urls[0]!, "/household/id", { method: "POST", secret: OPS, headers });
    expect(new Set([registrar.body.response!.id, ops.body.response!.id, household.body.response!.id]).size).toBe(3);
    for (const bad of ["", "x".repeat(256), "has space"]) {
      const reply = await call(urls[0]!, "/farmer/id", { method: "POST", secret: REGISTRAR, headers: { "idempotency-key": bad } });
      expect([reply.status, code(reply)]).toEqual([400, "IDG-019"]);
    }
  });

  test("a failed request is not kept: a retry runs afresh", async () => {
    const headers = { "idempotency-key": crypto.randomUUID() };
    const denied = await call(urls[0]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, headers, body: '{"count":0}' });
    expect(denied.status).toBe(422);
    expect((await call(urls[0]!, "/farmer/ids", { method: "POST", secret: REGISTRAR, headers, body: '{"count":2}' })).status).toBe(200);
  });

  test("the response survives a restart of every pod; expired keys are cleaned up and then count as new", async () => {
    await explainFailure(() => pods, async () => {
      const headers = { "idempotency-key": crypto.randomUUID() };
      const before = await call(urls[0]!, "/farmer/id", { method: "POST", secret: REGISTRAR, headers });
      for (const pod of pods.splice(0)) {
        pod.signal("SIGTERM");
        expect(await pod.waitForExit(15_000)).toBe(0);
      }
      const restarted = await startPod({ env: podEnv(), label: "restarted", timeoutMs: 120_000 });
      pods.push(restarted.pod);
      everyPod.push(restarted.pod);
      urls.splice(0, urls.length, restarted.url, restarted.url);
      const after = await call(restarted.url, "/farmer/id", { method: "POST", secret: REGISTRAR, headers });
      expect(after.body.response).toEqual(before.body.response);
      expect(after.headers.get("idempotent-replayed")).toBe("true");

      // Past its retention the row no longer counts, and the cleanup every pod runs at start (and hourly) deletes it.
      await db.sql`update idempotency_key set expires_at = now() - interval '1 second', created_at = now() - interval '25 hours' where key = ${headers["idempotency-key"]}`;
      const fresh = await call(restarted.url, "/farmer/id", { method: "POST", secret: REGISTRAR, headers });
      expect(fresh.body.response!.id).not.toBe(before.body.response!.id);
      await db.sql`update idempotency_key set expires_at = now() - interval '1 second'`;
      const again = await startPod({ env: podEnv(), label: "cleaner", timeoutMs: 120_000 });
      pods.push(again.pod);
      everyPod.push(again.pod);
      await again.pod.waitForLog((line) => line.msg === "expired idempotency keys deleted");
      const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from idempotency_key where expires_at < now()`;
      expect(left!.n).toBe(0);
    });
  });
});

// Last, once every request above has been made: no secret (nor its sha256) in any log line of any pod, at
// debug level, nor in any response body.
test("nothing secret in logs or responses", () => {
  const digests = SECRETS.map((secret) => createHash("sha256").update(secret).digest("hex"));
  expect(everyPod.length).toBeGreaterThanOrEqual(4);
  expect(seen.length).toBeGreaterThan(100);
  for (const pod of everyPod) {
    const output = pod.stdout + pod.stderr;
    expect(output).toContain('"msg":"API keys required"');
    for (const secret of [...SECRETS, ...digests]) expect(output).not.toContain(secret);
  }
  for (const text of seen) for (const secret of [...SECRETS, ...digests]) expect(text).not.toContain(secret);
});
