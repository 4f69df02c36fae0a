// The sequential API (api-contract.md §2) on the Hono app: GET /next and /range on the default counter, the
// same under /counters/{name}/ for named counters, and a counter's state. The OpenAPI definitions
// (openapi.ts) are registered for /openapi.json; the handlers (handlers.ts) check their parameters by hand.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Lanes } from "../lane";
import { hotRoute } from "../observe";
import { sequenceError } from "./errors";
import type { Sequences } from "../../sequence/sequences";
import type { SequenceHandlers } from "./handlers";
import { nextRoute, rangeRoute, stateRoute } from "./openapi";

export function mountSequences(app: OpenAPIHono, lanes: Lanes, handlers: SequenceHandlers, sequences: Sequences): void {
  for (const route of [nextRoute("/next"), rangeRoute("/range"), nextRoute("/counters/{name}/next"), rangeRoute("/counters/{name}/range"), stateRoute]) {
    app.openAPIRegistry.registerPath(route);
  }
  // Quick answers that always answer (src/http/lane.ts): the handlers take plain Requests and report their
  // own errors. /range is a lane too: one request carries up to 100,000 numbers, but it is the same lookup.
  hotRoute(app, lanes, "GET", "/next", (request, _params, requestId) => handlers.next(request, undefined, requestId));
  hotRoute(app, lanes, "GET", "/counters/:name/next", (request, { name }, requestId) => handlers.next(request, name, requestId));
  hotRoute(app, lanes, "GET", "/range", (request, _params, requestId) => handlers.range(request, undefined, requestId));
  hotRoute(app, lanes, "GET", "/counters/:name/range", (request, { name }, requestId) => handlers.range(request, name, requestId));
  app.get("/counters/:name", async (c) => {
    const name = c.req.param("name");
    const counter = handlers.findCounter(name);
    if (counter instanceof Response) return counter;
    try {
      const row = (await sequences.state(name))?.row;
      return Response.json({
        name,
        mode: counter.mode,
        start: row?.start.toString() ?? null,
        max: row?.max?.toString() ?? null,
        last_value: row?.lastValue.toString() ?? null,
        updated_at: row?.updatedAt.toISOString() ?? null,
        returned: row?.returned.toString() ?? null,
        pod: { buffered: counter.buffered.toString(), block_size: counter.blockSize, reused: counter.reused.toString() },
      });
    } catch (error) {
      return handlers.internalError(c.req.raw, error);
    }
  });
  // The other usual methods, not app.all(): a GET that matches two handlers leaves Hono's one-handler fast
  // path for its middleware composition. Rarer methods get the app's 404.
  const paths = ["/next", "/range", "/counters/:name/next", "/counters/:name/range", "/counters/:name"];
  app.on(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"], paths, (c) => sequenceError("wrongMethod", `Method ${c.req.method} is not allowed here; use GET`, { Allow: "GET" }));
}
