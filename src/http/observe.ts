// Per-request context at the HTTP edge: a request id (a sane incoming X-Request-Id, else a new one) echoed in
// the response, recorded with audited IDs and put in every log line about the request; and the request's
// duration recorded by route pattern and status. The pattern, not the raw path: every ID or type name in a
// path would otherwise be a new series, and an unbounded label set is a memory leak in the service and in
// Prometheus.
//
// Why it wraps the app's fetch instead of being a Hono middleware: Hono answers a route that has exactly one
// handler by calling it directly, and a synchronous handler's Response goes back to Bun without a Promise in
// between. Any middleware on the route (this one was on every route) puts the request through Hono's async
// composition instead. `npm run bench:edge` (bench/results/edge-latest.md) measures each piece as server CPU
// per request. Also from there: on Bun, touching a Headers object costs (reading one request header makes Bun
// build the request's Headers; changing a Response's headers after it is made builds them again), while
// headers given when the Response is made cost little (least as one Headers object reused, whose id is replaced
// each time: jsonHeadersWithId()). So routes put X-Request-Id into the headers they create (idHeaders() below;
// the hot routes' quick answers through jsonHeadersWithId()), and only responses made without it (docs, static
// pages) get it added afterwards. Reading the request's X-Request-Id is one of the largest pieces left (it makes
// Bun build the request's Headers: bench:edge, "+ read one request header"). It stays: a caller's or a proxy's
// request id is what ties its logs to ours.
//
// The request id reaches handlers as Hono's env (c.env, a RequestEdge): requestIdOf(c). Hot routes name their
// own pattern for the metrics (hotRoute); for the others the edge asks the app's router once more. The same
// edge, as hooks (observeRequests' result), serves the lanes: Bun's router answering hot routes before the
// app (src/http/lane.ts).
import type { Context, Env } from "hono";
import type { LevelledLog } from "../log";
import type { EdgeHooks, Lanes, Quick } from "./lane";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** What an incoming id may look like: enough for UUIDs, trace ids and most gateways' formats; nothing that
 * could break a log line or a header. Anything else is replaced, not rejected. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** What the edge gives every request, as Hono's env (`c.env`). */
export interface RequestEdge {
  /** X-Request-Id as given (if sane) or made up; recorded with audited IDs and echoed in the response. */
  readonly requestId: string;
  /** Set by idHeaders() and when a hot route's quick answer is sent: the response carries X-Request-Id already. */
  sent: boolean;
  /** The answering route's pattern, set by hot routes (hotRoute) so the metrics need not route again. */
  route: string | undefined;
  /** performance.now() when the request arrived (0 when nothing is timed). */
  readonly started: number;
}

function edgeOf(c: Context): RequestEdge | undefined {
  const env = c.env as RequestEdge | undefined;
  return env !== undefined && typeof env.requestId === "string" ? env : undefined;
}

/** The id of the request `c` is serving ("" outside the edge, e.g. a handler called by a test directly). */
export function requestIdOf(c: Context): string {
  return edgeOf(c)?.requestId ?? "";
}

type Handler<P extends string = string> = (c: Context<Env, P>) => Response | Promise<Response>;

/**
 * Registers a hot route, written once as a quick answer on a plain Request (src/http/lane.ts says why and what
 * it may do), on the Hono app and in `lanes` (Bun's router, in front of the app). `slow` answers whatever
 * `quick` declines; absent, `quick` must always answer. The route's pattern, written once here, is also what
 * its metrics are recorded under, so the edge does not ask the router again.
 */
export function hotRoute<P extends string>(
  app: { on(method: string, path: string, handler: Handler): unknown },
  lanes: Lanes,
  method: "GET" | "POST",
  path: P,
  quick: Quick,
  slow?: Handler<P>,
): void {
  lanes.add(method, path, quick);
  app.on(method, path, (c: Context) => {
    const edge = edgeOf(c);
    if (edge) edge.route = path;
    const answer = quick(c.req.raw, c.req.param() as Record<string, string>, edge?.requestId);
    if (answer === undefined) {
      if (slow === undefined) throw new Error(`hot route ${method} ${path} declined and has no slow handler`);
      return slow(c as Context<Env, P>);
    }
    if (edge) edge.sent = true;
    return answer;
  });
}

export interface ObserveOptions {
  /** Records a finished request; absent: no metrics. */
  record?: (route: string, method: string, status: number, seconds: number) => void;
  /** `record` bound to one route and method, for the lanes (whose route and method are fixed): with it, a lane's
   * request builds no series key and looks nothing up. Absent: the lanes call `record`. */
  recorder?: (route: string, method: string) => (status: number, seconds: number) => void;
  /** Logs each request at debug level when the logger has debug on. */
  log?: LevelledLog;
}

/**
 * The headers a handler gives its Response, with X-Request-Id added: the cheap way to echo the id (see the
 * top of this file). Outside the edge (no id): `headers` unchanged.
 */
export function idHeaders(c: Context, headers?: Record<string, string>): Record<string, string> {
  const requestId = requestIdToSend(c);
  if (requestId === undefined) return headers ?? {};
  return headers === undefined ? { [REQUEST_ID_HEADER]: requestId } : { ...headers, [REQUEST_ID_HEADER]: requestId };
}

const JSON_TYPE = "application/json";
const JSON_ONLY: Record<string, string> = { "Content-Type": JSON_TYPE };

/**
 * The headers of a JSON answer carrying `requestId`: one Headers object for the whole process, its id replaced
 * each time. Safe because a Response copies the headers it is given when it is made (the Fetch standard; Bun
 * does, and test/http/lane.test.ts checks it), and cheaper than a new headers object per answer, which Bun
 * turns into a Headers object anyway: `npm run bench:edge`, the rows "header given when the Response is made,
 * plain object" and "…, one Headers object reused".
 */
export function jsonHeadersWithId(requestId: string): Headers {
  JSON_WITH_ID.set(REQUEST_ID_HEADER, requestId);
  return JSON_WITH_ID;
}
const JSON_WITH_ID = new Headers({ "Content-Type": JSON_TYPE });

/**
 * A 200 (or `status`) JSON answer carrying X-Request-Id when given one: what quick answers make. Same bytes as
 * c.json(value, status, idHeaders(c)), without Hono's copy of the headers (jsonHeadersWithId()).
 */
export function jsonAnswer(value: unknown, requestId: string | undefined, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: requestId === undefined ? JSON_ONLY : jsonHeadersWithId(requestId) });
}

/** The request id, for idHeaders() (marks it sent). */
function requestIdToSend(c: Context): string | undefined {
  const edge = edgeOf(c);
  if (edge === undefined) return undefined;
  edge.sent = true;
  return edge.requestId;
}

/** Sets the request id on a response made without idHeaders(): in place when its headers are mutable, else on a copy. */
function echo(response: Response, requestId: string): Response {
  try {
    response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  } catch {
    // Immutable headers (a Response made elsewhere, e.g. by fetch()).
    const copy = new Response(response.body, response);
    copy.headers.set(REQUEST_ID_HEADER, requestId);
    return copy;
  }
}

/** The caller's X-Request-Id when sane, else a new UUID. */
function requestIdFor(request: Request): string {
  const incoming = request.headers.get(REQUEST_ID_HEADER);
  return incoming !== null && SANE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

type Fetch = (request: Request, env?: object) => Response | Promise<Response>;
type Matched = [[unknown, { path: string }], unknown][];
interface ObservableApp {
  fetch: Fetch;
  /** The path Hono routes by (percent-decoded as Hono does). */
  getPath(request: Request): string;
  router: { match(method: string, path: string): [Matched, ...unknown[]] };
}

/** The pattern of the route that answers `method path`, or "unmatched" (404s, wrong methods), from the router. */
function routeOf(app: ObservableApp, request: Request): string {
  const method = request.method === "HEAD" ? "GET" : request.method;
  const [matched] = app.router.match(method, app.getPath(request));
  for (let i = matched.length - 1; i >= 0; i--) {
    const pattern = matched[i]![0][1].path;
    if (pattern !== "*" && pattern !== "/*") return pattern;
  }
  return "unmatched";
}

/**
 * Puts the edge in front of `app` (its fetch, which app.request() also uses): every request gets its id, every
 * response X-Request-Id, and with `options`, metrics and the access log. Returns the same edge as hooks, for
 * the lanes (src/http/lane.ts), which answer hot routes before the app.
 */
export function observeRequests(app: ObservableApp, options: ObserveOptions = {}): EdgeHooks {
  const dispatch = app.fetch;
  const { record } = options;
  const accessLog = options.log?.enabled("debug") ? options.log : undefined;
  const timed = record !== undefined || accessLog !== undefined;
  const open = (request: Request): RequestEdge => ({ requestId: requestIdFor(request), sent: false, route: undefined, started: timed ? performance.now() : 0 });
  type RecordOne = (status: number, seconds: number) => void;
  /** Echoes the id, then times and records the request under `route` (else the one the edge or the router
   * names), into `recordOne` when its series is bound (a lane's), else through `record`. */
  const finish = (request: Request, response: Response, edge: RequestEdge, route: string | undefined, recordOne: RecordOne | undefined): Response => {
    const answer = edge.sent ? response : echo(response, edge.requestId);
    if (!timed) return answer;
    const seconds = (performance.now() - edge.started) / 1000;
    const pattern = route ?? edge.route ?? routeOf(app, request);
    if (recordOne !== undefined) recordOne(answer.status, seconds);
    else record?.(pattern, request.method, answer.status, seconds);
    accessLog?.({ level: "debug", msg: "request", requestId: edge.requestId, method: request.method, route: pattern, status: answer.status, ms: Math.round(seconds * 1e4) / 10 });
    return answer;
  };
  const close = (request: Request, response: Response, edge: RequestEdge): Response => finish(request, response, edge, undefined, undefined);
  const serve = (request: Request, edge: RequestEdge): Response | Promise<Response> => {
    const answer = dispatch(request, edge);
    return answer instanceof Promise ? answer.then((response) => close(request, response, edge)) : close(request, answer, edge);
  };
  const closer = (route: string, method: string) => {
    const recordOne = record === undefined ? undefined : options.recorder?.(route, method);
    return (request: Request, response: Response, edge: RequestEdge): Response => finish(request, response, edge, route, recordOne);
  };
  app.fetch = (request) => serve(request, open(request));
  return { open, close, closer, serve };
}
