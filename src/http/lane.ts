// The fast lane: Bun's own router in front of the Hono app, for the few hot routes (issue one ID, validate, /next
// and /range with their named-counter forms, /livez), and only for their common case. Everything else, and every
// case a hot route's quick answer declines (an error to report, an Idempotency-Key, audit on, an empty buffer),
// goes to the Hono app as before. IDGEN_HTTP_LANES=off (src/main.ts) serves no lane.
//
// Why: on a hot route, Hono's dispatch (context object, router, composition) is a good part of the cost, and
// issue 3 asks issuance to run at 0.8× a trivial Hono handler, whose whole cost is that dispatch plus one
// c.json(). `npm run bench:edge` (its last rows) measures /livez both ways as server CPU per request (2026-12-06:
// 7.30 µs through Hono, 6.48 through the lane, trivial handler 6.03); `npm run bench` and `bench:sequence`
// measure issuance and /next with IDGEN_HTTP_LANES=off in the same rounds.
//
// One answer, two doors. A hot route is written once, as a quick answer on a plain Request
// (`Quick` below), and registered with hotRoute() (src/http/observe.ts), which puts it on the Hono app (where
// app.request(), the tests' door, and any request Bun's router does not take reach it) and here. Both doors
// give the quick answer the same request id, record the same metrics under the same route pattern, and fall
// back to the same slow handler. A quick answer either answers, carrying X-Request-Id when given one, or returns
// undefined before it has changed anything, and the request goes on to Hono, which runs the route in full.
// test/http/lane.test.ts sends the same requests through both doors of one service and compares the answers.
//
// What Bun's router takes: exactly the route's method on exactly its path (no trailing slash, no `//`, no
// `.` or `..` segments: those go to Hono, as before); path parameters are percent-decoded as Hono decodes
// them. A GET lane also declares HEAD, sending it to Hono: Bun would otherwise answer HEAD with the GET handler.
// With API keys configured, no lane is served (the key checks are Hono middleware on those routes).
import type { Server } from "bun";
import type { RequestEdge } from "./observe";

/** A hot route's quick answer; `params` are its path parameters, `requestId` the edge's (absent outside it). */
export type Quick = (request: Request, params: Record<string, string>, requestId: string | undefined) => Response | Promise<Response> | undefined;

type RouteHandler = (request: Request & { params: Record<string, string> }, server: Server<undefined>) => Response | Promise<Response>;
/** Bun.serve's `routes`: per path, per method. */
export type BunRoutes = Record<string, Partial<Record<"GET" | "HEAD" | "POST", RouteHandler>>>;

/** What the app's edge (src/http/observe.ts) does around every request: give it an id, then time and log it. */
export interface EdgeHooks {
  open(request: Request): RequestEdge;
  close(request: Request, response: Response, edge: RequestEdge): Response;
  /** close() for one route and method known beforehand (a lane's), its metrics series bound once. */
  closer(route: string, method: string): (request: Request, response: Response, edge: RequestEdge) => Response;
  /** The app's own dispatch for a request whose edge is already open, then close(): what a lane declines. */
  serve(request: Request, edge: RequestEdge): Response | Promise<Response>;
}

interface Lane {
  method: "GET" | "POST";
  path: string;
  quick: Quick;
}

export class Lanes {
  readonly #lanes: Lane[] = [];
  #open = true;

  /** Registers a hot route's quick answer; `path` in the syntax Hono and Bun share (`/a/:name`). */
  add(method: "GET" | "POST", path: string, quick: Quick): void {
    this.#lanes.push({ method, path, quick });
  }

  /** Serve no lane: the app has middleware (API keys) that every request must pass. */
  close(): void {
    this.#open = false;
  }

  /**
   * Bun.serve's `routes` for the lanes. What a lane declines goes on to the app with the edge the lane opened
   * (`edge.serve`: one request id, one clock read, as if the app had taken it first); HEAD on a GET lane and a
   * quick answer's rejected Promise go to the app as a new request (`edge.serve` with a new edge: what the app's
   * own fetch does). `wrap` is applied to every route handler (the drain's request count, src/http/drain.ts).
   */
  routes(edge: EdgeHooks, wrap: (handler: RouteHandler) => RouteHandler = (handler) => handler): BunRoutes {
    const routes: BunRoutes = {};
    if (!this.#open) return routes;
    const toApp = (request: Request) => edge.serve(request, edge.open(request));
    for (const { method, path, quick } of this.#lanes) {
      const close = edge.closer(path, method);
      const lane: RouteHandler = (request) => {
        const requestEdge = edge.open(request);
        let answer: Response | Promise<Response> | undefined;
        try {
          answer = quick(request, request.params, requestEdge.requestId);
        } catch {
          // A bug in a quick answer: Hono runs the route again, and its onError logs and answers 500 IDG-010.
          answer = undefined;
        }
        // Declined: the app's route names itself, as for any request it takes first.
        if (answer === undefined) return edge.serve(request, requestEdge);
        requestEdge.sent = true;
        if (!(answer instanceof Promise)) return close(request, answer, requestEdge);
        return answer.then(
          (response) => close(request, response, requestEdge),
          () => toApp(request),
        );
      };
      const methods = (routes[path] ??= {});
      methods[method] = wrap(lane);
      if (method === "GET") methods.HEAD = wrap(toApp);
    }
    return routes;
  }
}
