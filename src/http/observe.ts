// Per-request context at the HTTP edge: a request id (a sane incoming X-Request-Id, else a new one) echoed in
// the response and put in every log line about the request, and the request's duration recorded by route
// pattern and status. The pattern, not the raw path: every ID or type name in a path would otherwise be a new
// series, and an unbounded label set is a memory leak in the service and in Prometheus.
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { LevelledLog } from "../log";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** What an incoming id may look like: enough for UUIDs, trace ids and most gateways' formats; nothing that
 * could break a log line or a header. Anything else is replaced, not rejected. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/** The id of the request `c` is serving ("" outside the middleware, e.g. in tests calling handlers directly). */
export function requestIdOf(c: Context): string {
  return requestIds.get(c.req.raw) ?? "";
}

export interface ObserveOptions {
  /** Records a finished request; absent: no metrics. */
  record?: (route: string, method: string, status: number, seconds: number) => void;
  /** Logs each request at debug level when the logger has debug on. */
  log?: LevelledLog;
}

/** The route label of a finished request: the pattern that answered, or "unmatched" (404s, wrong methods). */
function routeLabel(c: Context): string {
  const pattern = routePath(c);
  return pattern === "" || pattern === "*" || pattern === "/*" ? "unmatched" : pattern;
}

export function observeRequests({ record, log }: ObserveOptions): MiddlewareHandler {
  const accessLog = log?.enabled("debug") ? log : undefined;
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const requestId = incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    requestIds.set(c.req.raw, requestId);
    await next();
    // The handler's Response has mutable headers (built with c.json and friends): set in place. A Response
    // with immutable headers is copied by c.header(), the slow path, taken only then.
    try {
      c.res.headers.set(REQUEST_ID_HEADER, requestId);
    } catch {
      c.header(REQUEST_ID_HEADER, requestId);
    }
    const seconds = (performance.now() - started) / 1000;
    const route = routeLabel(c);
    record?.(route, c.req.method, c.res.status, seconds);
    accessLog?.({ level: "debug", msg: "request", requestId, method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1e4) / 10 });
  };
}
