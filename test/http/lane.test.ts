// The lanes (src/http/lane.ts): Bun's router answering the hot routes in front of the Hono app. One service,
// started in-process on its own database, served twice on real sockets: as src/main.ts serves it (lanes, then
// the app) and through the app's fetch alone. The same requests, common and odd, get the same answers from
// both (status, headers, body, up to the parts that differ by nature: times, request ids made up, IDs and
// numbers handed out). Wrappers count what each lane took and what it handed on to the app (which then asks
// its router; a lane that answers never does), so these tests also fail if the lanes stop answering.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { drainable } from "../../src/http/drain";
import { jsonAnswer } from "../../src/http/observe";
import { startService, type Service } from "../../src/service";
import { testDatabase, testLog, type TestDatabase } from "../support/database";
import { tempFile } from "../support/processes";

const CONFIG = `id_generator:
  pool_min_threshold: 200
  pool_generation_batch_size: 800
  id_types:
    farmer:
      id_length: 12
    tiny:
      id_length: 4
sequences:
  counters:
    orders:
      start: 1000
`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let db: TestDatabase;
let service: Service;
let configFile: ReturnType<typeof tempFile>;
let laned: ReturnType<typeof Bun.serve>;
let plain: ReturnType<typeof Bun.serve>;
let lanedDrain: ReturnType<typeof drainable>;
/** Requests Bun's router gave a lane, and those of them the lane handed on to the app. */
let taken = 0;
let handedOn = 0;
let countHandedOn = false;

beforeAll(async () => {
  db = await testDatabase();
  configFile = tempFile("config.yaml", CONFIG);
  service = await startService({ config: loadConfig({ env: { DATABASE_URL: db.url, CONFIG_PATH: configFile.path, IDGEN_AUDIT: "off" } }), log: testLog });
  const app = service.app;
  // Counted only while a lane runs: a request the lane hands on reaches Hono's dispatch, which asks the router.
  const router = app.router;
  const match = router.match.bind(router);
  router.match = (method, path) => {
    if (countHandedOn) handedOn++;
    return match(method, path);
  };
  lanedDrain = drainable((request, server) => app.fetch(request, server));
  laned = Bun.serve({
    port: 0,
    fetch: lanedDrain.fetch,
    routes: app.bunRoutes((handler) =>
      lanedDrain.wrap((request, server) => {
        taken++;
        countHandedOn = true;
        try {
          return handler(request, server);
        } finally {
          countHandedOn = false;
        }
      }),
    ),
  });
  const plainDrain = drainable((request, server) => app.fetch(request, server));
  plain = Bun.serve({ port: 0, fetch: plainDrain.fetch });
});

afterAll(async () => {
  laned?.stop(true);
  plain?.stop(true);
  await service?.stop();
  await db?.drop();
  configFile?.remove();
});

interface Seen {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The parts of an answer that must not differ between the two doors. */
function normalise(response: Response, text: string, sentId: string | undefined): Seen {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name === "date") return;
    if (name === "x-request-id") value = sentId !== undefined && value === sentId ? "<as sent>" : UUID.test(value) ? "<made up>" : value;
    headers[name] = value;
  });
  let body: unknown = text;
  if (response.headers.get("content-type")?.startsWith("application/json") && text !== "") {
    body = JSON.parse(text, (key, value) => {
      if (key === "responsetime" && typeof value === "string") return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) ? "<time>" : value;
      return value;
    });
    const envelope = body as { response?: { id?: unknown } | null };
    // An issued ID differs between the two requests; its length must not.
    if (envelope?.response && typeof envelope.response.id === "string" && /\/id$/.test(new URL(response.url).pathname)) {
      envelope.response.id = `<${envelope.response.id.length} digits>`;
    }
    // Numbers handed out differ, and so may their count of digits (hence the length).
    const numbers = typeof body === "number" || (typeof body === "string" && /^\d+$/.test(body)) || Array.isArray(body);
    if (numbers) {
      body = Array.isArray(body) ? `<${body.length} ${typeof body[0]}s>` : `<${typeof body}>`;
      delete headers["content-length"];
    }
  }
  return { status: response.status, headers, body };
}

async function send(server: ReturnType<typeof Bun.serve>, method: string, path: string, headers: Record<string, string> = {}, requestBody?: string): Promise<Seen> {
  // A raw path (fetch() would normalise `//` and percent-encoding): built on the server's origin.
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { method, headers, body: requestBody });
  const text = await response.text();
  return normalise(response, text, headers["X-Request-Id"]);
}

async function bothDoors(method: string, path: string, headers: Record<string, string> = {}, requestBody?: string): Promise<{ laned: Seen; plain: Seen }> {
  return { laned: await send(laned, method, path, headers, requestBody), plain: await send(plain, method, path, headers, requestBody) };
}

const REQUESTS: [string, string, Record<string, string>?, string?][] = [
  // Issue: answered by the lane, or handed on by it (errors, Idempotency-Key, the body limit).
  ["POST", "/v1/idgenerator/farmer/id"],
  ["POST", "/v1/idgenerator/farmer/id", { "X-Request-Id": "trace-42" }],
  ["POST", "/v1/idgenerator/farmer/id", { "X-Request-Id": "not sane\u00e9" }],
  ["POST", "/v1/idgenerator/farmer/id?x=1"],
  ["POST", "/v1/idgenerator/far%6Der/id"],
  ["POST", "/v1/idgenerator/farmer/id/"],
  ["POST", "/v1/idgenerator/Farmer/id"],
  ["POST", "/v1/idgenerator/nope/id"],
  ["POST", "/v1/idgenerator/a%2Fb/id"],
  ["POST", "/v1/idgenerator/farmer/id", { "Idempotency-Key": "k".repeat(300) }],
  ["POST", "/v1/idgenerator/farmer/id", { "Content-Type": "application/octet-stream" }, "x".repeat(70_000)],
  ["POST", "/v1/idgenerator/farmer/id", { "Content-Type": "application/json" }, '{"count": 3}'],
  ["GET", "/v1/idgenerator/farmer/id"],
  ["HEAD", "/v1/idgenerator/farmer/id"],
  ["PUT", "/v1/idgenerator/farmer/id"],
  // Validate.
  ["GET", "/v1/idgenerator/tiny/id/validate/2345"],
  ["GET", "/v1/idgenerator/tiny/id/validate/2346"],
  ["GET", "/v1/idgenerator/farmer/id/validate/7429689275"],
  ["GET", "/v1/idgenerator/farmer/id/validate/12x"],
  ["GET", "/v1/idgenerator/farmer/id/validate/%31%32"],
  ["GET", "/v1/idgenerator/nope/id/validate/2345"],
  ["GET", "/v1/idgenerator/BAD/id/validate/x"],
  ["GET", "/v1/idgenerator/farmer/id/validate/" + "9".repeat(40)],
  ["HEAD", "/v1/idgenerator/tiny/id/validate/2345"],
  ["POST", "/v1/idgenerator/tiny/id/validate/2345"],
  // Counters.
  ["GET", "/next"],
  ["GET", "/next?format=string"],
  ["GET", "/next?format=bad"],
  ["GET", "/next/"],
  ["GET", "//next"],
  ["HEAD", "/next"],
  ["POST", "/next"],
  ["GET", "/counters/orders/next"],
  ["GET", "/counters/nope/next"],
  ["GET", "/counters/Bad/next"],
  ["GET", "/counters/a%20b/next"],
  ["GET", "/range?count=3"],
  ["GET", "/range?count=0"],
  ["GET", "/range"],
  ["GET", "/counters/orders/range?count=2&format=string"],
  // Liveness.
  ["GET", "/livez"],
  ["GET", "/livez", { "X-Request-Id": "abc" }],
  ["HEAD", "/livez"],
  ["GET", "/livez/"],
  ["DELETE", "/livez"],
];

describe("the same answers through the lanes and through the app alone", () => {
  for (const [method, path, headers, body] of REQUESTS) {
    test(`${method} ${path}${headers ? ` ${JSON.stringify(headers)}` : ""}${body ? ` (${body.length}-byte body)` : ""}`, async () => {
      const { laned: viaLanes, plain: viaApp } = await bothDoors(method, path, headers, body);
      expect(viaLanes).toEqual(viaApp);
    });
  }
});

describe("the lanes answer the common case themselves", () => {
  const cases: [string, string, boolean][] = [
    ["POST", "/v1/idgenerator/farmer/id", true],
    ["GET", "/v1/idgenerator/tiny/id/validate/2345", true],
    ["GET", "/next", true],
    ["GET", "/counters/orders/next", true],
    ["GET", "/range?count=5", true],
    ["GET", "/livez", true],
    // Declined by the lane, answered by the app.
    ["POST", "/v1/idgenerator/nope/id", false],
    ["GET", "/v1/idgenerator/nope/id/validate/2345", false],
  ];
  for (const [method, path, answered] of cases) {
    test(`${method} ${path}: ${answered ? "answered by its lane" : "handed on to the app"}`, async () => {
      taken = 0;
      handedOn = 0;
      const response = await fetch(`http://127.0.0.1:${laned.port}${path}`, { method });
      await response.text();
      expect({ taken, handedOn: handedOn > 0 }).toEqual({ taken: 1, handedOn: !answered });
    });
  }

  test("what Bun's router does not take never reaches a lane", async () => {
    taken = 0;
    for (const path of ["/next/", "/v1/idgenerator/farmer/id/", "/health", "/v1/idgenerator/health"]) await (await fetch(`http://127.0.0.1:${laned.port}${path}`)).text();
    expect(taken).toBe(0);
  });
});

test("the lanes' requests are in the request metrics, under the route's pattern", async () => {
  const count = async () => {
    const text = await (await fetch(`http://127.0.0.1:${plain.port}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('idgen_http_request_duration_seconds_count{route="/v1/idgenerator/:id_type/id",method="POST",status="200"}'));
    return Number(line?.split(" ").at(-1) ?? 0);
  };
  const before = await count();
  taken = 0;
  for (let i = 0; i < 25; i++) await (await fetch(`http://127.0.0.1:${laned.port}/v1/idgenerator/farmer/id`, { method: "POST" })).text();
  expect(taken).toBe(25);
  expect((await count()) - before).toBe(25);
});

test("a lane's answers with another status are recorded under that status", async () => {
  const count = async (status: number) => {
    const text = await (await fetch(`http://127.0.0.1:${plain.port}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`idgen_http_request_duration_seconds_count{route="/next",method="GET",status="${status}"}`));
    return Number(line?.split(" ").at(-1) ?? 0);
  };
  const before = await count(422);
  taken = 0;
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`http://127.0.0.1:${laned.port}/next?format=roman`);
    await response.text();
    expect(response.status).toBe(422);
  }
  expect(taken).toBe(3);
  expect((await count(422)) - before).toBe(3);
});

// Quick answers put X-Request-Id into one Headers object reused for every answer (src/http/observe.ts
// jsonHeadersWithId), which is safe only because a Response copies its headers when it is made.
test("every answer of a lane carries its own request's id, however many are in flight", async () => {
  const paths: [string, string][] = [["GET", "/next"], ["GET", "/livez"], ["POST", "/v1/idgenerator/farmer/id"], ["GET", "/counters/orders/next"]];
  const sent = Array.from({ length: 200 }, (_, n) => ({ id: `lane-id-${n}`, method: paths[n % paths.length]![0], path: paths[n % paths.length]![1] }));
  const echoed = await Promise.all(
    sent.map(async ({ id, method, path }) => {
      const response = await fetch(`http://127.0.0.1:${laned.port}${path}`, { method, headers: { "X-Request-Id": id } });
      await response.text();
      return response.headers.get("x-request-id");
    }),
  );
  expect(echoed).toEqual(sent.map(({ id }) => id));
  // The property itself, directly: an answer made first keeps its id when the next one is made.
  const first = jsonAnswer({ n: 1 }, "first-id");
  const second = jsonAnswer({ n: 2 }, "second-id");
  expect([first.headers.get("x-request-id"), second.headers.get("x-request-id"), jsonAnswer({}, undefined).headers.get("x-request-id")]).toEqual(["first-id", "second-id", null]);
  // And a made-up id is new for each answer.
  const made = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(`http://127.0.0.1:${laned.port}/next`)).headers.get("x-request-id")));
  expect(new Set(made).size).toBe(50);
});

test("a draining server closes the connections of the lanes' answers too", async () => {
  const drained = lanedDrain.drain(5_000);
  const response = await fetch(`http://127.0.0.1:${laned.port}/next`);
  await response.text();
  expect(response.headers.get("connection")).toBe("close");
  expect(await drained).toBe(true);
});

test("with API keys configured there is no lane: every request passes the key checks", async () => {
  const keyed = await startService({
    config: loadConfig({ env: { DATABASE_URL: db.url, CONFIG_PATH: configFile.path, IDGEN_AUDIT: "off", IDGEN_API_KEYS: "ops:0123456789abcdef0123456789abcdef" } }),
    log: testLog,
  });
  try {
    expect(keyed.app.bunRoutes()).toEqual({});
    expect(Object.keys(service.app.bunRoutes()).sort()).toEqual(
      ["/counters/:name/next", "/counters/:name/range", "/livez", "/next", "/range", "/v1/idgenerator/:id_type/id", "/v1/idgenerator/:id_type/id/validate/:id"].sort(),
    );
  } finally {
    await keyed.stop();
  }
});

test("with the audit off, an Idempotency-Key still gets its retry the same ID (the lane hands it on)", async () => {
  const ask = async () => {
    const response = await fetch(`http://127.0.0.1:${plain.port}/v1/idgenerator/farmer/id`, { method: "POST", headers: { "Idempotency-Key": "lane-test-retry-1" } });
    return { replayed: response.headers.get("idempotent-replayed"), id: ((await response.json()) as { response: { id: string } }).response.id };
  };
  const askLaned = async () => {
    const response = await fetch(`http://127.0.0.1:${laned.port}/v1/idgenerator/farmer/id`, { method: "POST", headers: { "Idempotency-Key": "lane-test-retry-1" } });
    return { replayed: response.headers.get("idempotent-replayed"), id: ((await response.json()) as { response: { id: string } }).response.id };
  };
  const first = await askLaned();
  expect(first.replayed).toBeNull();
  expect(first.id).toMatch(/^\d{12}$/);
  expect(await askLaned()).toEqual({ replayed: "true", id: first.id });
  expect(await ask()).toEqual({ replayed: "true", id: first.id });
});
