// Builds the HTTP application: every route the service answers, with no socket attached, so tests can call
// app.request() or serve it on a port of their choosing. Every error leaves in the OpenG2P envelope.
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import type { KeyRing } from "../auth/keys";
import type { RateLimiter } from "../auth/rate-limit";
import type { Log } from "../db/log";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/registry";
import { requireScope } from "./auth";
import { mountDocs } from "./docs";
import { MemoRouter } from "./memo-router";
import { Lanes } from "./lane";
import { hotRoute, jsonAnswer, observeRequests, requestIdOf, type ObserveOptions } from "./observe";
import { errorResponse } from "./openg2p/envelope";
import { mountOpenG2p, OPENG2P_PATHS, type OpenG2pDeps } from "./openg2p/routes";
import { sequenceHandlers, type SequenceDeps } from "./sequence/handlers";
import { mountSequences } from "./sequence/routes";
import { mountValidator, type ValidatorOptions } from "./validator/routes";

export interface AppOptions {
  validator?: ValidatorOptions;
  /** The OpenG2P API; absent in tests that only need the static pages. */
  openg2p?: OpenG2pDeps;
  /** Process alive (liveness) and ready to serve (readiness), for the orchestrator's probes. */
  probes?: { ready: () => Promise<boolean> };
  /** The sequential API (/next, /range, /counters/...); its errors are its own JSON, not the envelope. */
  sequences?: SequenceDeps;
  log?: Log;
  version?: string;
  /** Request metrics and the access log (src/http/observe.ts); absent: neither (request ids are always on). */
  observe?: ObserveOptions;
  /** GET /metrics: the Prometheus exposition; absent: no such route. */
  metrics?: { expose: () => Promise<string> };
  /** API keys and per-key rate limits (none: the service runs open), and the request body limit (default 64 KiB). */
  access?: { keys?: KeyRing; limiter?: RateLimiter; maxBodyBytes?: number };
}

export function createApp(opts: AppOptions = {}) {
  const log = opts.log ?? (() => undefined);
  const app = new OpenAPIHono({
    // Hono's router, with its answers remembered per path (src/http/memo-router.ts).
    router: new MemoRouter(),
    // A parameter that fails its schema: 422 in the envelope, naming what is wrong (never zod's internals).
    defaultHook: (result, c) => {
      if (result.success) return;
      const detail = result.error.issues.map((issue) => `${issue.path.join(".") || "request"}: ${issue.message}`).join("; ");
      return errorResponse(c, "invalidParameter", detail);
    },
  });
  // No middleware on every route: the request id, metrics and the access log wrap the app's fetch
  // (observeRequests, at the end), so a route with one synchronous handler answers without a Promise.
  // The body limit: a middleware only on the route that reads a body (the batch); the issue route, which
  // ignores its body, checks Content-Length itself (src/http/openg2p/routes.ts). No other route reads a body;
  // one that nobody reads is discarded by Bun, within its own maxRequestBodySize.
  const maxBodyBytes = opts.access?.maxBodyBytes ?? 65_536;
  const limitBody = bodyLimit({ maxSize: maxBodyBytes, onError: (c) => errorResponse(c, "bodyTooLarge", String(maxBodyBytes)) });
  // API keys (issue 5): key checks are registered only when keys are configured. In open mode no route pays
  // for them (every caller is anonymous: c.get("caller") is unset and readers take ANONYMOUS).
  const keys = opts.access?.keys;
  const access = keys && !keys.open ? { keys, limiter: opts.access?.limiter } : undefined;
  mountValidator(app, opts.validator);
  mountDocs(app, opts.version ?? "0.0.0");
  // The hot routes' quick answers, also served by Bun's router in front of the app (src/http/lane.ts). Not with
  // API keys: every request must then pass the key checks, which are Hono middleware.
  const lanes = new Lanes();
  if (access) lanes.close();
  if (opts.openg2p) mountOpenG2p(app, lanes, opts.openg2p, access, { limit: limitBody, maxBytes: maxBodyBytes });
  if (opts.sequences) {
    // API keys: counters hand out numbers like issuing hands out IDs, so they need scope `issue`. A key's
    // id_types list is about ID types, not counters, so it does not restrict them. Registered only when keys
    // are configured: in open mode /next keeps its shortest path. Key errors (401/403/429) come in the
    // envelope, as on every route; the counters' own errors keep their {code, message} shape.
    if (access) for (const path of ["/next", "/range", "/counters/*"]) app.use(path, requireScope(access, "issue", { idType: () => undefined }));
    mountSequences(app, lanes, sequenceHandlers(opts.sequences), opts.sequences.sequences);
  }
  hotRoute(app, lanes, "GET", "/livez", (_request, _params, requestId) => jsonAnswer(ALIVE, requestId));
  app.get("/readyz", async (c) => ((await (opts.probes?.ready() ?? true)) ? c.json({ status: "ready" }) : c.json({ status: "not ready" }, 503)));
  const metrics = opts.metrics;
  if (metrics) app.get("/metrics", async (c) => c.body(await metrics.expose(), 200, { "Content-Type": EXPOSITION_CONTENT_TYPE }));
  // Relative, so it also works behind a proxy that serves the app under a prefix.
  app.get("/", (c) => c.redirect("validator/", 302));

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const known = OPENG2P_PATHS.find((route) => route.pattern.test(path));
    if (known && opts.openg2p) return errorResponse(c, "wrongMethod", c.req.method, { Allow: known.methods.join(", ") });
    return errorResponse(c, "noRoute", path);
  });
  app.onError((error, c) => {
    // A client's mistake caught by a validator (a malformed JSON body): 422 in the envelope, not a 500.
    if (error instanceof HTTPException && error.status < 500) return errorResponse(c, "invalidParameter", error.message || "malformed request");
    log({ level: "error", msg: "request failed", requestId: requestIdOf(c), method: c.req.method, path: new URL(c.req.url).pathname, error: String(error), stack: error.stack });
    return errorResponse(c, "internal");
  });
  const edge = observeRequests(app, opts.observe);
  return Object.assign(app, {
    /**
     * Bun.serve's `routes`: the lanes in front of this app, whose fetch answers what they decline. `wrap` is
     * applied to each route handler (the drain's count, src/http/drain.ts); give `fetch` the same wrapper.
     */
    bunRoutes: (wrap?: Parameters<Lanes["routes"]>[1]) => lanes.routes(edge, wrap),
  });
}

const ALIVE = { status: "alive" };
