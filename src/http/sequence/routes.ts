// The sequential API (api-contract.md §2): GET /next and /range on the default counter, and the same under
// /counters/{name}/ for named counters. The OpenAPI definitions are registered for /openapi.json, but the
// handlers are plain Hono handlers that check their two query parameters by hand: /next is the hottest path
// in the service, and it answers from memory without awaiting anything when the pod's block has numbers.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { COUNTER_NAME, DEFAULT_COUNTER } from "../../config/sequences";
import type { Log } from "../../db/log";
import type { Counter, RangeResult, TakeResult } from "../../sequence/counter";
import type { Sequences } from "../../sequence/sequences";
import { sequenceError } from "./errors";
import { renderRange } from "./render";
import { nextRoute, rangeRoute, stateRoute } from "./openapi";

export interface SequenceDeps {
  sequences: Sequences;
  log: Log;
}

export const MAX_RANGE = 100_000;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UNLIMITED = 9223372036854775807n;
const JSON_RESPONSE = { headers: { "content-type": "application/json" } };

type Format = { asString: boolean } | Response;

/** ?format=number (the default) or ?format=string; anything else is refused. Only parsed when the URL has a query. */
function parseFormat(c: Context): Format {
  if (c.req.url.indexOf("?") === -1) return { asString: false };
  const formats = c.req.queries("format") ?? [];
  if (formats.length === 0) return { asString: false };
  if (formats.length > 1 || (formats[0] !== "string" && formats[0] !== "number")) {
    return sequenceError("invalidParameter", "format must be given once, as number (the default) or string");
  }
  return { asString: formats[0] === "string" };
}

/** ?count=N, a whole number 1..100000 given once. */
function parseCount(c: Context): number | Response {
  const counts = c.req.queries("count") ?? [];
  const help = `ask for /range?count=N with N a whole number from 1 to ${MAX_RANGE}`;
  if (counts.length === 0) return sequenceError("invalidParameter", `count is missing: ${help}`);
  if (counts.length > 1) return sequenceError("invalidParameter", `count is given ${counts.length} times: ${help}`);
  const text = counts[0]!;
  if (!/^\d{1,7}$/.test(text)) return sequenceError("invalidParameter", `count must be a whole number: ${help}`);
  const count = Number(text);
  if (count < 1 || count > MAX_RANGE) return sequenceError("invalidParameter", `count ${count} is out of range: ${help}`);
  return count;
}

function findCounter(deps: SequenceDeps, c: Context, name: string | undefined): Counter | Response {
  if (name === undefined) return deps.sequences.get(DEFAULT_COUNTER)!;
  if (!COUNTER_NAME.test(name)) {
    return sequenceError("invalidParameter", `not a counter name: a lowercase letter, then 1 to 63 lowercase letters, digits or underscores`);
  }
  return deps.sequences.get(name) ?? sequenceError("unknownCounter", `Unknown counter '${name}'; counters are declared in the config file (sequences.counters)`);
}

function failure(result: { error: "exhausted" | "unavailable" | "unsafe"; left?: bigint }, counter: Counter, count = 1): Response {
  switch (result.error) {
    case "exhausted":
      return sequenceError("exhausted", result.left !== undefined && result.left > 0n
        ? `Counter '${counter.name}' has only ${result.left} numbers left below its maximum; ask for ${result.left} or fewer`
        : `Counter '${counter.name}' is past its maximum; raise max in the config file or use another counter`);
    case "unsafe":
      return sequenceError("unsafeNumber", `The ${count === 1 ? "number" : "numbers"} of counter '${counter.name}' would pass 2^53 - 1, which JSON numbers cannot carry exactly; ask again with ?format=string`);
    case "unavailable":
      return sequenceError("unavailable", `No number of counter '${counter.name}' in memory and the database does not answer; retry in a second`, { "Retry-After": "1" });
  }
}

const renderOne = (value: bigint, asString: boolean) => (asString ? `"${value}"` : value.toString());

function internalError(deps: SequenceDeps, c: Context, error: unknown): Response {
  deps.log({ level: "error", msg: "sequence request failed", path: new URL(c.req.url).pathname, error: String(error), stack: (error as Error).stack });
  return sequenceError("internal", "Internal error. It has been logged; retry later or contact the operator.");
}

export function mountSequences(app: OpenAPIHono, deps: SequenceDeps): void {
  for (const route of [nextRoute("/next"), rangeRoute("/range"), nextRoute("/counters/{name}/next"), rangeRoute("/counters/{name}/range"), stateRoute]) {
    app.openAPIRegistry.registerPath(route);
  }

  const next = (c: Context, name: string | undefined): Response | Promise<Response> => {
    // HEAD would take a number and throw it away.
    if (c.req.method === "HEAD") return sequenceError("wrongMethod", "HEAD is not allowed: it would use up a number. Use GET.", { Allow: "GET" });
    const counter = findCounter(deps, c, name);
    if (counter instanceof Response) return counter;
    const format = parseFormat(c);
    if (format instanceof Response) return format;
    const value = counter.takeBuffered(format.asString ? UNLIMITED : SAFE);
    if (value !== undefined) return new Response(renderOne(value, format.asString), JSON_RESPONSE);
    return counter.next(format.asString ? UNLIMITED : SAFE).then(
      (result: TakeResult) => ("value" in result ? new Response(renderOne(result.value, format.asString), JSON_RESPONSE) : failure(result, counter)),
      (error: unknown) => internalError(deps, c, error),
    );
  };

  const range = async (c: Context, name: string | undefined): Promise<Response> => {
    if (c.req.method === "HEAD") return sequenceError("wrongMethod", "HEAD is not allowed: it would use up numbers. Use GET.", { Allow: "GET" });
    const counter = findCounter(deps, c, name);
    if (counter instanceof Response) return counter;
    const format = parseFormat(c);
    if (format instanceof Response) return format;
    const count = parseCount(c);
    if (count instanceof Response) return count;
    const result: RangeResult = await counter.range(count, format.asString ? UNLIMITED : SAFE);
    if ("error" in result) return failure(result, counter, count);
    return new Response(renderRange(result.first, count, format.asString), JSON_RESPONSE);
  };

  const guarded = <T extends unknown[]>(handler: (c: Context, ...rest: T) => Response | Promise<Response>) =>
    async (c: Context, ...rest: T): Promise<Response> => {
      try {
        return await handler(c, ...rest);
      } catch (error) {
        return internalError(deps, c, error);
      }
    };

  // /next stays synchronous on its fast path (no async wrapper, no try around a promise): nothing there
  // touches the database, and a bug would still be caught by the app's onError.
  app.get("/next", (c) => next(c, undefined));
  app.get("/counters/:name/next", (c) => next(c, c.req.param("name")));
  app.get("/range", guarded((c) => range(c, undefined)));
  app.get("/counters/:name/range", guarded((c) => range(c, c.req.param("name"))));
  app.get("/counters/:name", guarded(async (c) => {
    const name = c.req.param("name")!;
    const counter = findCounter(deps, c, name);
    if (counter instanceof Response) return counter;
    const state = await deps.sequences.state(name);
    const row = state?.row;
    return Response.json({
      name,
      mode: counter.mode,
      start: row?.start.toString() ?? null,
      max: row?.max?.toString() ?? null,
      last_value: row?.lastValue.toString() ?? null,
      updated_at: row?.updatedAt.toISOString() ?? null,
      pod: { buffered: counter.buffered.toString(), block_size: counter.blockSize },
    });
  }));
  // The other usual methods, not app.all(): a GET that matches two handlers leaves Hono's one-handler fast
  // path for its middleware composition, which costs /next a measurable share. Rarer methods get the 404.
  const paths = ["/next", "/range", "/counters/:name/next", "/counters/:name/range", "/counters/:name"];
  app.on(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"], paths, (c) => sequenceError("wrongMethod", `Method ${c.req.method} is not allowed here; use GET`, { Allow: "GET" }));
}

