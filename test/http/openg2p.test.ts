// The OpenG2P ID Generator 1.0 contract (api-contract.md §1) through app.request(): a service started
// in-process on its own database answers every endpoint and every error in the envelope. The errors a live
// service cannot be made to give on demand (IDG-001, IDG-005, IDG-006, 500) come from an app built on stubs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import type { Log, LogEntry } from "../../src/db/log";
import { createApp } from "../../src/http/app";
import { IdIssuer, type IdTypeRuntime } from "../../src/pool/issuer";
import type { TypePool } from "../../src/pool/pool";
import { startService, type Service } from "../../src/service";
import { createRules, type Rules } from "../../wasm/index.js";
import pkg from "../../package.json" with { type: "json" };
import { testDatabase, type TestDatabase } from "../support/database";
import { tempFile } from "../support/processes";

// Small pools: the point here is the wire format, not throughput. tiny (length 4) has exactly 465 valid IDs.
const CONFIG = `id_generator:
  pool_min_threshold: 200
  pool_generation_batch_size: 800
  id_types:
    farmer:
      id_length: 12
    household:
      id_length: 8
    tiny:
      id_length: 4
`;
const BASE = "/v1/idgenerator";
const RESPONSE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const FILTER_RULE_KEYS = [
  "sequence_limit", "repeating_limit", "repeating_block_limit", "conjugative_even_digits_limit",
  "digits_group_limit", "reverse_digits_group_limit", "not_start_with", "restricted_numbers",
];

interface Envelope<T = Record<string, unknown>> {
  id: string;
  version: string;
  responsetime: string;
  response: T | null;
  errors: { errorCode: string; message: string }[];
}
interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: Envelope<T>;
}

let db: TestDatabase;
let service: Service;
let configFile: ReturnType<typeof tempFile>;
const logged: LogEntry[] = [];
const quiet: Log = (entry) => void logged.push(entry);
/** Every body the service answered with, for the check that none leaks internals. */
const bodies: { request: string; text: string }[] = [];
const rules: Record<string, Rules> = {};

beforeAll(async () => {
  db = await testDatabase();
  configFile = tempFile("config.yaml", CONFIG);
  service = await startService({ config: loadConfig({ env: { DATABASE_URL: db.url, CONFIG_PATH: configFile.path } }), log: quiet });
  for (const [name, length] of [["farmer", 12], ["household", 8], ["tiny", 4]] as const) rules[name] = await createRules({ id_length: length });
});

afterAll(async () => {
  await service?.stop();
  await db?.drop();
  configFile?.remove();
});

/** One request through app.request(), recorded; the body parsed as JSON when it is JSON. */
async function call<T = Record<string, unknown>>(method: string, path: string, init: RequestInit = {}, app = service.app): Promise<Answer<T>> {
  const res = await app.request(path, { method, ...init });
  const text = await res.text();
  bodies.push({ request: `${method} ${path}`, text });
  const body = res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, text, body };
}

/** The envelope of §1: its five fields, JSON content type, a UTC millisecond timestamp, errors [] on success. */
function expectSuccess<T>(answer: Answer<T>, response: unknown): T {
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(answer.body).sort()).toEqual(["errors", "id", "response", "responsetime", "version"]);
  expect(answer.body).toMatchObject({ id: "openg2p.idgenerator", version: "1.0", errors: [] });
  expect(answer.body.responsetime).toMatch(RESPONSE_TIME);
  expect(answer.status).toBe(200);
  expect(answer.body.response).toEqual(response as T);
  return answer.body.response!;
}

/** An error in the envelope: response null, one error with its code (and message, when given). */
function expectError(answer: Answer, status: number, errorCode: string, message?: string | RegExp): void {
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(answer.body).sort()).toEqual(["errors", "id", "response", "responsetime", "version"]);
  expect(answer.body).toMatchObject({ id: "openg2p.idgenerator", version: "1.0", response: null });
  expect(answer.body.responsetime).toMatch(RESPONSE_TIME);
  expect({ status: answer.status, code: answer.body.errors.map((error) => error.errorCode) }).toEqual({ status, code: [errorCode] });
  if (typeof message === "string") expect(answer.body.errors[0]!.message).toBe(message);
  else if (message) expect(answer.body.errors[0]!.message).toMatch(message);
}

async function issue(type: string, init: RequestInit = {}): Promise<Answer<{ id: string }>> {
  return call<{ id: string }>("POST", `${BASE}/${type}/id`, init);
}

describe("POST /v1/idgenerator/{id_type}/id", () => {
  test("issues a 12-digit ID that the rules engine accepts, in the envelope", async () => {
    const answer = await issue("farmer");
    const { id } = expectSuccess(answer, { id: expect.stringMatching(/^\d{12}$/) });
    expect(rules.farmer!.validate(id)).toEqual({ valid: true, reason: null });
  });

  // "Large" is up to the body limit (64 KiB by default): over it, 413 IDG-016 (test/accountability/pods.test.ts).
  test("ignores any body: JSON, malformed JSON, form data, text, and a large one", async () => {
    const bodies: RequestInit[] = [
      { body: JSON.stringify({ id_type: "tiny", count: 5 }), headers: { "Content-Type": "application/json" } },
      { body: "{not json", headers: { "Content-Type": "application/json" } },
      { body: "a=1&b=2", headers: { "Content-Type": "application/x-www-form-urlencoded" } },
      { body: "hello", headers: { "Content-Type": "text/plain" } },
      { body: "x".repeat(60_000), headers: { "Content-Type": "application/octet-stream" } },
    ];
    const ids: string[] = [];
    for (const init of bodies) ids.push(expectSuccess(await issue("household", init), { id: expect.stringMatching(/^\d{8}$/) }).id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(rules.household!.validate(id).valid).toBe(true);
  });

  test("a well-formed unconfigured type is 404 IDG-003", async () => {
    expectError(await issue("x1"), 404, "IDG-003", "Unknown ID type 'x1'");
    // 1 + 63 characters is still well-formed.
    const longest = `a${"b".repeat(63)}`;
    expectError(await issue(longest), 404, "IDG-003", `Unknown ID type '${longest}'`);
  });

  test("a malformed type is 422 in the envelope", async () => {
    for (const type of ["Bad", "a", `a${"b".repeat(64)}`, "1abc", "ab-c"]) expectError(await issue(type), 422, "IDG-007");
  });

  test("GET on the issue path is 405 with an Allow header", async () => {
    const answer = await call("GET", `${BASE}/farmer/id`);
    expectError(answer, 405, "IDG-009");
    expect(answer.headers.get("allow")).toBe("POST");
  });

  test("a length-4 type drains to exactly its 465 valid IDs, then 410 IDG-002", async () => {
    const issued: string[] = [];
    for (;;) {
      const answer = await issue("tiny");
      if (answer.status === 410) {
        expectError(answer, 410, "IDG-002", "ID space exhausted for ID type 'tiny'");
        break;
      }
      if (answer.status === 503) continue; // IDG-001: a refill is still in progress
      issued.push(expectSuccess(answer, { id: expect.stringMatching(/^\d{4}$/) }).id);
      if (issued.length > 465) break;
    }
    expect(issued.length).toBe(465);
    expect([...issued].sort()).toEqual(rules.tiny!.enumerate());
    expectError(await issue("tiny"), 410, "IDG-002", "ID space exhausted for ID type 'tiny'");
    // The other types are unaffected.
    expectSuccess(await issue("farmer"), { id: expect.stringMatching(/^\d{12}$/) });
  });
});

describe("GET /v1/idgenerator/{id_type}/id/validate/{id}", () => {
  test("a valid ID: valid true, the ID as given, reason null", async () => {
    const { id } = (await issue("farmer")).body.response!;
    expectSuccess(await call("GET", `${BASE}/farmer/id/validate/${id}`), { id, valid: true, reason: null });
  });

  test("an invalid ID: valid false with the failing rule as reason", async () => {
    const { id } = (await issue("farmer")).body.response!;
    const wrongCheckDigit = id.slice(0, 11) + String((Number(id[11]) + 1) % 10);
    expectSuccess(await call("GET", `${BASE}/farmer/id/validate/${wrongCheckDigit}`), { id: wrongCheckDigit, valid: false, reason: "checksum" });
    expectSuccess(await call("GET", `${BASE}/farmer/id/validate/0042`), { id: "0042", valid: false, reason: "length" });
    // 32 digits is the longest well-formed ID.
    const longest = "7".repeat(32);
    expectSuccess(await call("GET", `${BASE}/farmer/id/validate/${longest}`), { id: longest, valid: false, reason: "length" });
  });

  test("an unconfigured type is 404 IDG-003", async () => {
    expectError(await call("GET", `${BASE}/x1/id/validate/123456789012`), 404, "IDG-003", "Unknown ID type 'x1'");
  });

  test("a malformed ID or type is 422 in the envelope", async () => {
    for (const id of ["12a", "1".repeat(33), "-1", "1.5"]) expectError(await call("GET", `${BASE}/farmer/id/validate/${id}`), 422, "IDG-007");
    for (const type of ["Bad", "a", `a${"b".repeat(64)}`]) expectError(await call("GET", `${BASE}/${type}/id/validate/1234`), 422, "IDG-007");
  });

  test("POST on the validate path is 405 with an Allow header", async () => {
    const answer = await call("POST", `${BASE}/farmer/id/validate/1234`);
    expectError(answer, 405, "IDG-009");
    expect(answer.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("health, version, config", () => {
  test("health is UP", async () => {
    expectSuccess(await call("GET", `${BASE}/health`), { status: "UP" });
  });

  test("version names this build", async () => {
    const version = expectSuccess(await call("GET", `${BASE}/version`), {
      service_version: pkg.version,
      build_time: expect.any(String),
      git_commit: expect.any(String),
    });
    expect(version.build_time).toMatch(/^(unknown|\d{4}-\d\d-\d\dT.*Z)$/);
    expect(version.git_commit).toMatch(/^(unknown|[0-9a-f]{40})$/);
  });

  test("config lists the types with their lengths and exactly OpenG2P's filter rule keys", async () => {
    const config = expectSuccess(await call("GET", `${BASE}/config`), {
      id_types: { farmer: { id_length: 12 }, household: { id_length: 8 }, tiny: { id_length: 4 } },
      filter_rules: expect.any(Object),
    });
    expect(Object.keys(config.filter_rules as object).sort()).toEqual([...FILTER_RULE_KEYS].sort());
    // The file sets none, so they are the openg2p defaults (the values of the contract's example file).
    expect(config.filter_rules).toEqual({
      sequence_limit: 3, repeating_limit: 2, repeating_block_limit: 2, conjugative_even_digits_limit: 3,
      digits_group_limit: 5, reverse_digits_group_limit: 5, not_start_with: ["0", "1"], restricted_numbers: [],
    });
  });

  test("wrong methods on them are 405", async () => {
    for (const path of ["health", "version", "config"]) {
      const answer = await call("DELETE", `${BASE}/${path}`);
      expectError(answer, 405, "IDG-009");
      expect(answer.headers.get("allow")).toBe("GET, HEAD");
    }
  });
});

describe("unknown routes", () => {
  test("are 404 in the envelope", async () => {
    for (const [method, path] of [["GET", `${BASE}/nope`], ["POST", BASE], ["GET", `${BASE}/farmer/idz`], ["GET", "/nothing-here"], ["POST", "/v2/idgenerator/farmer/id"]] as const) {
      expectError(await call(method, path), 404, "IDG-008");
    }
  });
});

describe("errors a live service gives only under trouble (an app on stubs)", () => {
  function stubApp(options: { issue?: () => Promise<unknown>; health?: "ready" | "starting" | "database" }, log: Log = quiet) {
    const pool = { issueNow: () => undefined, issue: options.issue ?? (async () => ({ behind: true })), buffered: 0, close: async () => 0 } as unknown as TypePool;
    const runtime: IdTypeRuntime = { name: "farmer", idLength: 12, rules: rules.farmer!, pool };
    return createApp({
      log,
      openg2p: {
        issuer: new IdIssuer([runtime]),
        version: { service_version: "0.0.0", build_time: "unknown", git_commit: "unknown" },
        filterRules: {},
        health: async () => options.health ?? "ready",
      },
    });
  }

  test("503 IDG-001 with Retry-After while a refill is behind", async () => {
    const answer = await call("POST", `${BASE}/farmer/id`, {}, stubApp({}));
    expectError(answer, 503, "IDG-001", "No IDs available for ID type 'farmer'. Replenishment in progress.");
    expect(answer.headers.get("retry-after")).toBe("1");
  });

  test("503 IDG-005 before start-up completes, 503 IDG-006 when the database does not answer", async () => {
    expectError(await call("GET", `${BASE}/health`, {}, stubApp({ health: "starting" })), 503, "IDG-005", "Service not ready: startup not complete");
    expectError(await call("GET", `${BASE}/health`, {}, stubApp({ health: "database" })), 503, "IDG-006", "Database health check failed");
  });

  test("500 IDG-010 for an unexpected error, logged but not leaked", async () => {
    const seen: LogEntry[] = [];
    const app = stubApp(
      {
        issue: async () => {
          throw new Error('PostgresError: syntax error at or near "select" in /work/main/src/pool/queries.ts:42');
        },
      },
      (entry) => void seen.push(entry),
    );
    const answer = await call("POST", `${BASE}/farmer/id`, {}, app);
    expectError(answer, 500, "IDG-010");
    expect(seen.some((entry) => entry.level === "error" && String(entry.error).includes("syntax error"))).toBe(true);
  });
});

describe("beside the API", () => {
  test("/openapi.json is OpenAPI 3.1 and lists the seven paths", async () => {
    const answer = await call("GET", "/openapi.json");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    const document = answer.body as unknown as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths).filter((path) => path.startsWith(BASE)).sort()).toEqual([
      `${BASE}/config`,
      `${BASE}/health`,
      `${BASE}/version`,
      `${BASE}/{id_type}/id`,
      `${BASE}/{id_type}/id/validate/{id}`,
      `${BASE}/{id_type}/id/{id}`,
      `${BASE}/{id_type}/ids`,
    ]);
  });

  test("/docs/ serves HTML", async () => {
    const answer = await call("GET", "/docs/");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(answer.text).toContain("<html");
  });

  test("/livez and /readyz are 200", async () => {
    expect((await call("GET", "/livez")).status).toBe(200);
    expect((await call("GET", "/readyz")).status).toBe(200);
  });
});

describe("every answer", () => {
  // Hot routes put the id into the headers they create (cheap on Bun); every other response gets it added
  // afterwards (src/http/observe.ts). Either way: exactly one X-Request-Id, the caller's when it is sane.
  test("carries exactly one X-Request-Id: the caller's when sane, else a new UUID", async () => {
    const requests: [string, string][] = [
      ["POST", "/v1/idgenerator/farmer/id"], ["POST", "/v1/idgenerator/nosuch/id"], ["GET", "/v1/idgenerator/farmer/id"],
      ["GET", "/v1/idgenerator/farmer/id/validate/123"], ["GET", "/v1/idgenerator/BAD/id/validate/123"], ["GET", "/v1/idgenerator/health"],
      ["GET", "/livez"], ["GET", "/readyz"], ["GET", "/next"], ["GET", "/range?count=2"], ["GET", "/range?count=0"],
      ["GET", "/counters/nosuch/next"], ["POST", "/next"], ["GET", "/openapi.json"], ["GET", "/docs/"], ["GET", "/no/such/path"],
    ];
    for (const [method, path] of requests) {
      const sent = await call(method, path, { headers: { "X-Request-Id": `trace-${method}-${path}`.replace(/[?=]/g, ".") } });
      expect({ path, method, id: sent.headers.get("x-request-id") }).toEqual({ path, method, id: `trace-${method}-${path}`.replace(/[?=]/g, ".") });
      const made = await call(method, path);
      expect({ path, method, id: made.headers.get("x-request-id") }).toEqual({ path, method, id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) });
    }
  });

  test("leaks no stack frame, database word or file path", () => {
    const api = bodies.filter(({ request }) => !/ \/(openapi\.json|docs\/)$/.test(request));
    expect(api.length).toBeGreaterThan(500);
    for (const { request, text } of api) {
      const leak = [/\bat \S+ \(/, /\n\s+at /, /postgres/i, /select/i, /\/(work|src|home|tmp|usr|node_modules)\//, /\.(ts|js):\d+/].find((pattern) => pattern.test(text));
      expect({ request, leak: leak?.source }).toEqual({ request, leak: undefined });
    }
  });

  test("the service logged no error", () => {
    expect(logged.filter((entry) => entry.level === "error")).toEqual([]);
  });
});
