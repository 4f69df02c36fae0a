// Builds the HTTP application: every route the service answers, with no socket attached, so tests can call
// app.request() or serve it on a port of their choosing. Every error leaves in the OpenG2P envelope.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Log } from "../db/log";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/registry";
import { mountDocs } from "./docs";
import { observeRequests, requestIdOf, type ObserveOptions } from "./observe";
import { errorResponse } from "./openg2p/envelope";
import { mountOpenG2p, OPENG2P_PATHS, type OpenG2pDeps } from "./openg2p/routes";
import { mountSequences, type SequenceDeps } from "./sequence/routes";
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
  /** Request ids, request metrics and the access log (src/http/observe.ts); absent: none of them. */
  observe?: ObserveOptions;
  /** GET /metrics: the Prometheus exposition; absent: no such route. */
  metrics?: { expose: () => Promise<string> };
}

export function createApp(opts: AppOptions = {}): OpenAPIHono {
  const log = opts.log ?? (() => undefined);
  const app = new OpenAPIHono({
    // A parameter that fails its schema: 422 in the envelope, naming what is wrong (never zod's internals).
    defaultHook: (result, c) => {
      if (result.success) return;
      const detail = result.error.issues.map((issue) => `${issue.path.join(".") || "request"}: ${issue.message}`).join("; ");
      return errorResponse(c, "invalidParameter", detail);
    },
  });
  if (opts.observe) app.use("*", observeRequests(opts.observe));
  mountValidator(app, opts.validator);
  mountDocs(app, opts.version ?? "0.0.0");
  if (opts.openg2p) mountOpenG2p(app, opts.openg2p);
  if (opts.sequences) mountSequences(app, opts.sequences);
  app.get("/livez", (c) => c.json({ status: "alive" }));
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
    log({ level: "error", msg: "request failed", requestId: requestIdOf(c), method: c.req.method, path: new URL(c.req.url).pathname, error: String(error), stack: error.stack });
    return errorResponse(c, "internal");
  });
  return app;
}
