// Per-request context at the HTTP edge, in one middleware (the only one every request passes through): a
// request id (a sane incoming X-Request-Id, else a new one) echoed in the response, recorded with audited IDs
// and put in every log line about the request; and the request's duration recorded by route pattern and
// status. The pattern, not the raw path: every ID or type name in a path would otherwise be a new series, and
// an unbounded label set is a memory leak in the service and in Prometheus.
//
// Why one middleware and this shape (`npm run bench:edge`: server CPU per request under wrk, variants in one
// process and one run; bench/results/edge-latest.md): request ids, metrics and accountability's context used
// to be two middlewares plus a global body limit. Each middleware at all costs (+0.7 µs over a trivial
// handler's ~8 µs in that run), and so does touching Headers objects on Bun: reading one request header makes
// Bun build the request's Headers (+0.5 µs), changing a Response's headers after it is made builds them
// again (+0.2 µs there, more in other runs; Hono's c.header() after the handler even copies the Response).
// A header given as a plain object when the Response is made cost nothing measurable. So the hot routes put
// X-Request-Id into the headers they create (idHeaders() below), and only responses made without it (docs,
// static pages) get it added afterwards.
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { LevelledLog } from "../log";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** What an incoming id may look like: enough for UUIDs, trace ids and most gateways' formats; nothing that
 * could break a log line or a header. Anything else is replaced, not rejected. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

declare module "hono" {
  interface ContextVariableMap {
    /** X-Request-Id as given (if sane) or made up; recorded with audited IDs and echoed in the response. */
    requestId: string;
    /** Set by idHeaders(): the response carries X-Request-Id already. */
    requestIdSent: boolean;
  }
}

/** The id of the request `c` is serving ("" outside the middleware, e.g. in tests calling handlers directly). */
export function requestIdOf(c: Context): string {
  return c.get("requestId") ?? "";
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

/**
 * The headers a handler gives its Response, with X-Request-Id added: the cheap way to echo the id (see the
 * top of this file). Outside the middleware (no id): `headers` unchanged.
 */
export function idHeaders(c: Context, headers?: Record<string, string>): Record<string, string> {
  const requestId = requestIdToSend(c);
  if (requestId === undefined) return headers ?? {};
  return headers === undefined ? { [REQUEST_ID_HEADER]: requestId } : { ...headers, [REQUEST_ID_HEADER]: requestId };
}

/** The request id, for a handler that puts it into every response it makes itself (marks it sent). */
export function requestIdToSend(c: Context): string | undefined {
  const requestId = c.get("requestId");
  if (requestId !== undefined) c.set("requestIdSent", true);
  return requestId;
}

/** Sets the request id on a response made without idHeaders(): in place (c.json's headers are mutable), else on a copy. */
function echo(c: Context, requestId: string): void {
  if (c.get("requestIdSent")) return;
  try {
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  } catch {
    // Immutable headers (a Response made elsewhere, e.g. by fetch()): c.header() copies it.
    c.header(REQUEST_ID_HEADER, requestId);
  }
}

/** Gives the request its id: the caller's X-Request-Id when sane, else a new UUID. */
function assignRequestId(c: Context): string {
  const incoming = c.req.raw.headers.get(REQUEST_ID_HEADER);
  const requestId = incoming !== null && SANE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  return requestId;
}

/** The request id on every request; with `options`, metrics and the access log too. */
export function requestContext(options: ObserveOptions = {}): MiddlewareHandler {
  const { record } = options;
  const accessLog = options.log?.enabled("debug") ? options.log : undefined;
  if (!record && !accessLog) {
    return async (c, next) => {
      const requestId = assignRequestId(c);
      await next();
      echo(c, requestId);
    };
  }
  return async (c, next) => {
    const started = performance.now();
    const requestId = assignRequestId(c);
    await next();
    echo(c, requestId);
    const seconds = (performance.now() - started) / 1000;
    const route = routeLabel(c);
    record?.(route, c.req.method, c.res.status, seconds);
    accessLog?.({ level: "debug", msg: "request", requestId, method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1e4) / 10 });
  };
}
