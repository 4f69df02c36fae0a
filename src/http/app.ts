// Builds the HTTP application: every route the service answers, with no socket attached, so tests can call
// app.request() or serve it on a port of their choosing. Every error leaves in the OpenG2P envelope.
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import type { KeyRing } from "../auth/keys";
import type { RateLimiter } from "../auth/rate-limit";
import type { Log } from "../db/log";
import { accountability } from "./auth";
import { mountDocs } from "./docs";
import { errorResponse } from "./openg2p/envelope";
import { mountOpenG2p, OPENG2P_PATHS, type OpenG2pDeps } from "./openg2p/routes";
import { mountValidator, type ValidatorOptions } from "./validator/routes";

export interface AppOptions {
  validator?: ValidatorOptions;
  /** The OpenG2P API; absent in tests that only need the static pages. */
  openg2p?: OpenG2pDeps;
  /** Process alive (liveness) and ready to serve (readiness), for the orchestrator's probes. */
  probes?: { ready: () => Promise<boolean> };
  log?: Log;
  version?: string;
  /** API keys and per-key rate limits (none: the service runs open), and the request body limit (default 64 KiB). */
  access?: { keys?: KeyRing; limiter?: RateLimiter; maxBodyBytes?: number };
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
  // Accountability (issue 5): request ids, keys and limits for requireScope, and one body limit for every route.
  const maxBodyBytes = opts.access?.maxBodyBytes ?? 65_536;
  app.use("*", accountability(opts.access?.keys, opts.access?.limiter));
  app.use("*", bodyLimit({ maxSize: maxBodyBytes, onError: (c) => errorResponse(c, "bodyTooLarge", String(maxBodyBytes)) }));
  mountValidator(app, opts.validator);
  mountDocs(app, opts.version ?? "0.0.0");
  if (opts.openg2p) mountOpenG2p(app, opts.openg2p);
  app.get("/livez", (c) => c.json({ status: "alive" }));
  app.get("/readyz", async (c) => ((await (opts.probes?.ready() ?? true)) ? c.json({ status: "ready" }) : c.json({ status: "not ready" }, 503)));
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
    log({ level: "error", msg: "request failed", method: c.req.method, path: new URL(c.req.url).pathname, error: String(error), stack: error.stack });
    return errorResponse(c, "internal");
  });
  return app;
}
