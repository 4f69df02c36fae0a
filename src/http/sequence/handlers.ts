// The sequential API's request handlers, on plain Requests (Hono's routes in routes.ts call them with
// c.req.raw). /next answers from memory without awaiting anything when the pod holds numbers; its two query
// parameters are checked by hand rather than by a zod validator on the hot path.
import { COUNTER_NAME, DEFAULT_COUNTER } from "../../config/sequences";
import type { Log } from "../../db/log";
import type { Counter, TakeResult } from "../../sequence/counter";
import type { Sequences } from "../../sequence/sequences";
import { sequenceError } from "./errors";
import { renderRange } from "./render";
import { jsonHeadersWithId } from "../observe";

export interface SequenceDeps {
  sequences: Sequences;
  log: Log;
}

export const MAX_RANGE = 100_000;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UNLIMITED = 9223372036854775807n;
const JSON_RESPONSE = { headers: { "content-type": "application/json" } };

/** A number's response init, carrying X-Request-Id when the edge gave one: headers given when the Response is
 * made, in the one reused Headers object (src/http/observe.ts jsonHeadersWithId: headers added later cost more). */
const okInit = (requestId: string | undefined) => (requestId === undefined ? JSON_RESPONSE : { headers: jsonHeadersWithId(requestId) });

/** Errors (rare) get the request id added afterwards. */
function withId(response: Response, requestId: string | undefined): Response {
  if (requestId !== undefined && response.status !== 200) response.headers.set("X-Request-Id", requestId);
  return response;
}
const NO_QUERY = new URLSearchParams();

/** The query string, parsed only when there is one (/next usually has none). */
function queryOf(request: Request): URLSearchParams {
  const url = request.url;
  const at = url.indexOf("?");
  return at === -1 ? NO_QUERY : new URLSearchParams(url.slice(at + 1));
}

/** ?format=number (the default) or ?format=string; anything else is refused. */
function parseFormat(query: URLSearchParams): boolean | Response {
  const formats = query.getAll("format");
  if (formats.length === 0) return false;
  if (formats.length > 1 || (formats[0] !== "string" && formats[0] !== "number")) {
    return sequenceError("invalidParameter", "format must be given once, as number (the default) or string");
  }
  return formats[0] === "string";
}

/** ?count=N, a whole number 1..100000 given once. */
function parseCount(query: URLSearchParams): number | Response {
  const counts = query.getAll("count");
  const help = `ask for /range?count=N with N a whole number from 1 to ${MAX_RANGE}`;
  if (counts.length === 0) return sequenceError("invalidParameter", `count is missing: ${help}`);
  if (counts.length > 1) return sequenceError("invalidParameter", `count is given ${counts.length} times: ${help}`);
  const text = counts[0]!;
  if (!/^\d{1,7}$/.test(text)) return sequenceError("invalidParameter", `count must be a whole number: ${help}`);
  const count = Number(text);
  if (count < 1 || count > MAX_RANGE) return sequenceError("invalidParameter", `count ${count} is out of range: ${help}`);
  return count;
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
const wrongMethod = (method: string) =>
  sequenceError("wrongMethod", method === "HEAD" ? "HEAD is not allowed: it would use up numbers. Use GET." : `Method ${method} is not allowed here; use GET`, { Allow: "GET" });

export function sequenceHandlers(deps: SequenceDeps) {
  const defaultCounter = deps.sequences.get(DEFAULT_COUNTER)!;

  function findCounter(name: string | undefined): Counter | Response {
    if (name === undefined) return defaultCounter;
    if (!COUNTER_NAME.test(name)) {
      return sequenceError("invalidParameter", "not a counter name: a lowercase letter, then 1 to 63 lowercase letters, digits or underscores");
    }
    return deps.sequences.get(name) ?? sequenceError("unknownCounter", `Unknown counter '${name}'; counters are declared in the config file (sequences.counters)`);
  }

  function internalError(request: Request, error: unknown): Response {
    deps.log({ level: "error", msg: "sequence request failed", path: new URL(request.url).pathname, error: String(error), stack: (error as Error).stack });
    return sequenceError("internal", "Internal error. It has been logged; retry later or contact the operator.");
  }

  function nextUnguarded(request: Request, name: string | undefined, requestId: string | undefined): Response | Promise<Response> {
    if (request.method !== "GET") return wrongMethod(request.method); // HEAD would take a number and drop it
    const counter = findCounter(name);
    if (counter instanceof Response) return counter;
    const asString = parseFormat(queryOf(request));
    if (asString instanceof Response) return asString;
    const ceiling = asString ? UNLIMITED : SAFE;
    const value = counter.takeBuffered(ceiling);
    if (value !== undefined) return new Response(renderOne(value, asString), okInit(requestId));
    return counter.next(ceiling).then(
      (result: TakeResult) => ("value" in result ? new Response(renderOne(result.value, asString), okInit(requestId)) : failure(result, counter)),
      (error: unknown) => internalError(request, error),
    );
  }

  async function rangeUnguarded(request: Request, name: string | undefined, requestId: string | undefined): Promise<Response> {
    if (request.method !== "GET") return wrongMethod(request.method);
    const counter = findCounter(name);
    if (counter instanceof Response) return counter;
    const query = queryOf(request);
    const asString = parseFormat(query);
    if (asString instanceof Response) return asString;
    const count = parseCount(query);
    if (count instanceof Response) return count;
    const result = await counter.range(count, asString ? UNLIMITED : SAFE);
    if ("error" in result) return failure(result, counter, count);
    return new Response(renderRange(result.first, count, asString), okInit(requestId));
  }

  return {
    /** GET /next, /counters/{name}/next. Synchronous while numbers are in memory. */
    next(request: Request, name?: string, requestId?: string): Response | Promise<Response> {
      let response: Response | Promise<Response>;
      try {
        response = nextUnguarded(request, name, requestId);
      } catch (error) {
        response = internalError(request, error);
      }
      return response instanceof Promise ? response.then((done) => withId(done, requestId)) : withId(response, requestId);
    },
    /** GET /range, /counters/{name}/range. */
    async range(request: Request, name?: string, requestId?: string): Promise<Response> {
      try {
        return withId(await rangeUnguarded(request, name, requestId), requestId);
      } catch (error) {
        return withId(internalError(request, error), requestId);
      }
    },
    findCounter,
    internalError,
  };
}

export type SequenceHandlers = ReturnType<typeof sequenceHandlers>;
