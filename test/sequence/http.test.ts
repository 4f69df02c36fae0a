// The sequential API through the app (no socket): the contract of /next and /range (api-contract.md §2), the
// named counters' paths, every bad input with its stable code, 2^53 handling, and /openapi.json.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { Sequences } from "../../src/sequence/sequences";
import { testDatabase, testLog, type TestDatabase } from "../support/database";

let db: TestDatabase;
let sequences: Sequences;
let app: ReturnType<typeof createApp>;
const block = { min: 50, max: 1000, targetSeconds: 10 };

beforeAll(async () => {
  db = await testDatabase();
  sequences = await Sequences.start({
    sql: db.sql,
    log: testLog,
    counters: [
      { name: "default", start: 1n, mode: "prefetch", block },
      { name: "small", start: 10n, max: 14n, mode: "prefetch", block },
      { name: "huge", start: 9007199254740990n, mode: "prefetch", block },
      { name: "ordered", start: 1n, mode: "strict", block },
    ],
  });
  app = createApp({ log: testLog, sequences: { sequences, log: testLog } });
});
afterAll(async () => {
  await sequences.close();
  await db.drop();
});

async function get(path: string, method = "GET") {
  const res = await app.request(path, { method });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), text, body: text ? JSON.parse(text) : undefined, res };
}

test("GET /next answers a bare JSON number, and /range a JSON array of consecutive integers", async () => {
  const first = await get("/next");
  expect(first).toMatchObject({ status: 200, type: "application/json", text: "1" });
  const range = await get("/range?count=3");
  expect(range.body).toEqual([2, 3, 4]);
  expect((await get("/next")).body).toBe(5);
  const big = await get("/range?count=100000");
  expect(big.body.length).toBe(100_000);
  expect(big.body[99_999] - big.body[0]).toBe(99_999);
});

test("named counters on /counters/{name}/next and /range, and their state", async () => {
  expect((await get("/counters/small/next")).body).toBe(10);
  expect((await get("/counters/small/range?count=2")).body).toEqual([11, 12]);
  const state = await get("/counters/small");
  expect(state.body).toMatchObject({ name: "small", mode: "prefetch", start: "10", max: "14", last_value: "14", pod: { buffered: "2" } });
  expect((await get("/counters/ordered/next")).body).toBe(1);
  expect((await get("/counters/ordered/range?count=2")).body).toEqual([2, 3]);
  expect((await get("/counters/ordered")).body).toMatchObject({ mode: "strict", last_value: "3", pod: { buffered: "0" } });
});

test("a counter past its maximum answers 410 SEQ-003, after handing out the tail below it", async () => {
  expect((await get("/counters/small/range?count=3")).body).toMatchObject({ code: "SEQ-003" });
  expect((await get("/counters/small/range?count=2")).body).toEqual([13, 14]);
  const after = await get("/counters/small/next");
  expect(after.status).toBe(410);
  expect(after.body).toEqual({ code: "SEQ-003", message: expect.stringContaining("past its maximum") });
  expect((await get("/counters/small/range?count=1")).status).toBe(410);
});

test("numbers above 2^53 - 1: 422 SEQ-004 as JSON numbers, exact with ?format=string", async () => {
  expect((await get("/counters/huge/next")).text).toBe("9007199254740990");
  expect((await get("/counters/huge/next")).text).toBe("9007199254740991");
  const refused = await get("/counters/huge/next");
  expect(refused.status).toBe(422);
  expect(refused.body.code).toBe("SEQ-004");
  expect(refused.body.message).toContain("format=string");
  expect((await get("/counters/huge/next?format=string")).text).toBe('"9007199254740992"');
  expect((await get("/counters/huge/range?count=2&format=string")).body).toEqual(["9007199254740993", "9007199254740994"]);
  expect((await get("/counters/huge/range?count=2")).body.code).toBe("SEQ-004");
  expect((await get("/next?format=string")).body).toMatch(/^\d+$/);
});

test("every bad count: 422 SEQ-002 with a message saying what to ask for", async () => {
  for (const query of ["", "?count=", "?count=0", "?count=-1", "?count=1.5", "?count=abc", "?count=100001", "?count=1e3", "?count=0x10", "?count=%201", "?count=1&count=2", "?count=99999999999"]) {
    const answer = await get(`/range${query}`);
    expect({ query, status: answer.status, code: answer.body.code }).toEqual({ query, status: 422, code: "SEQ-002" });
    expect(answer.body.message).toContain("count=N");
  }
  expect((await get("/next?format=hex")).body.code).toBe("SEQ-002");
  expect((await get("/range?count=1&format=string&format=number")).body.code).toBe("SEQ-002");
});

test("unknown counter 404 SEQ-001, malformed name 422 SEQ-002, wrong method 405 SEQ-006 (HEAD too)", async () => {
  expect(await get("/counters/nobody/next")).toMatchObject({ status: 404, body: { code: "SEQ-001" } });
  expect(await get("/counters/nobody/range?count=1")).toMatchObject({ status: 404, body: { code: "SEQ-001" } });
  expect(await get("/counters/nobody")).toMatchObject({ status: 404, body: { code: "SEQ-001" } });
  expect(await get("/counters/Bad-Name/next")).toMatchObject({ status: 422, body: { code: "SEQ-002" } });
  const post = await get("/next", "POST");
  expect(post).toMatchObject({ status: 405, body: { code: "SEQ-006" } });
  expect(post.res.headers.get("allow")).toBe("GET");
  const before = (await get("/counters/ordered")).body.last_value;
  expect((await get("/counters/ordered/next", "HEAD")).status).toBe(405);
  expect((await get("/counters/ordered")).body.last_value).toBe(before); // HEAD used nothing up
});

test("/openapi.json documents the sequential paths", async () => {
  const spec = (await get("/openapi.json")).body;
  for (const path of ["/next", "/range", "/counters/{name}/next", "/counters/{name}/range", "/counters/{name}"]) {
    expect(spec.paths[path]?.get).toBeDefined();
  }
  expect(spec.paths["/range"].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["count", "format"]);
  expect(spec.components.schemas.SequenceError).toBeDefined();
});
