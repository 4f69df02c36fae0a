// The remembering router (src/http/memo-router.ts) answers exactly as Hono's router does, keeps each path's own
// parameters, keeps only answers worth keeping (parameters that are names, not IDs), and holds a bounded number.
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { createApp } from "../../src/http/app";
import { MAX_ANSWERS, MAX_PATH, MemoRouter } from "../../src/http/memo-router";

const ROUTES: [string, string][] = [
  ["GET", "/validator/rules/rules.wasm"],
  ["GET", "/validator/rules/:module{[a-z0-9_-]+\\.js}"],
  ["ALL", "/validator/*"],
  ["POST", "/v1/idgenerator/:id_type/id"],
  ["GET", "/v1/idgenerator/:id_type/id/:id"],
  ["GET", "/v1/idgenerator/:id_type/id/validate/:id"],
  ["GET", "/v1/idgenerator/health"],
  ["GET", "/next"],
  ["GET", "/counters/:name/next"],
];
const PATHS: [string, string][] = [
  ["GET", "/validator/rules/rules.wasm"],
  ["GET", "/validator/rules/index.js"],
  ["GET", "/validator/rules/../secret"],
  ["POST", "/v1/idgenerator/farmer/id"],
  ["POST", "/v1/idgenerator/household/id"],
  ["GET", "/v1/idgenerator/farmer/id/123456"],
  ["GET", "/v1/idgenerator/farmer/id/validate/123456"],
  ["GET", "/v1/idgenerator/health"],
  ["GET", "/next"],
  ["POST", "/next"],
  ["GET", "/counters/orders/next"],
  ["GET", "/no/such/path"],
];

function both() {
  const plain = new SmartRouter<number>({ routers: [new RegExpRouter(), new TrieRouter()] });
  const memo = new MemoRouter<number>();
  ROUTES.forEach(([method, path], index) => {
    plain.add(method, path, index);
    memo.add(method, path, index);
  });
  return { plain, memo };
}

describe("MemoRouter", () => {
  test("answers every path as Hono's router does, the first time and when remembered", () => {
    const { plain, memo } = both();
    for (const [method, path] of PATHS) {
      const expected = plain.match(method, path);
      expect(memo.match(method, path)).toEqual(expected);
      expect(memo.match(method, path)).toEqual(expected);
    }
    // Kept: the static and wildcard answers and those whose parameters are names (rules.wasm, ../secret under
    // /validator/*, the two issue paths, health, GET /next, /counters/orders/next). Not kept: index.js (not a
    // name), the lookup and validate paths (IDs), POST /next and /no/such/path (no route).
    expect(memo.remembered).toBe(7);
  });

  test("keeps no answer with an ID in its path, and none for a path no route takes", () => {
    const { plain, memo } = both();
    for (let index = 0; index < 50; index++) {
      for (const path of [`/v1/idgenerator/farmer/id/validate/${index}`, `/v1/idgenerator/farmer/id/${index}`, `/no/such/${index}`]) {
        expect(memo.match("GET", path)).toEqual(plain.match("GET", path));
      }
    }
    expect(memo.remembered).toBe(0);
    memo.match("POST", "/v1/idgenerator/farmer/id");
    expect(memo.remembered).toBe(1);
  });

  test("holds at most MAX_ANSWERS answers, and none for long paths", () => {
    const { plain, memo } = both();
    for (let index = 0; index < MAX_ANSWERS * 3 + 7; index++) {
      const path = `/counters/c${index}/next`;
      expect(memo.match("GET", path)).toEqual(plain.match("GET", path));
      expect(memo.remembered).toBeLessThanOrEqual(MAX_ANSWERS);
    }
    const before = memo.remembered;
    const long = `/counters/c${"1".repeat(MAX_PATH)}/next`;
    expect(memo.match("GET", long)).toEqual(plain.match("GET", long));
    expect(memo.remembered).toBe(before);
  });

  test("a Hono app on it gives each request its own path parameters", async () => {
    const app = new Hono({ router: new MemoRouter() });
    app.get("/v1/idgenerator/:id_type/id/validate/:id", (c) => c.json(c.req.param()));
    for (const [type, id] of [["farmer", "1"], ["household", "2"], ["farmer", "1"], ["farmer", "3"]] as const) {
      const res = await app.request(`/v1/idgenerator/${type}/id/validate/${id}`);
      expect(await res.json()).toEqual({ id_type: type, id });
    }
  });

  test("the service's app runs on it", () => {
    expect(createApp({}).router.name).toBe("MemoRouter");
  });
});
