// The HTTP side of API keys: requireScope() guards a route (401 no or wrong key, 403 outside the key's scopes
// or ID types, 429 over its rate limit, all in the envelope). It is registered only when keys are configured
// (src/http/app.ts): in open mode no request pays for it. Routes without it (health, version, validate, docs,
// the validator page, probes) stay open. The secret is hashed at once and never logged or echoed.
import type { Context, MiddlewareHandler } from "hono";
import { permits, type Caller, type KeyRing, type Scope } from "../auth/keys";
import type { RateLimiter } from "../auth/rate-limit";
import { errorResponse } from "./openg2p/envelope";

declare module "hono" {
  interface ContextVariableMap {
    /** Who made the request: set by requireScope (absent on open routes and in open mode: anonymous). */
    caller: Caller;
  }
}

/** The keys and the per-key limiter a guarded route checks. */
export interface Access {
  keys: KeyRing;
  limiter?: RateLimiter;
}

export interface RequireScopeOptions {
  /** The ID type the request touches: a fixed name, or read from the request; default: the `id_type` path parameter. */
  idType?: string | ((c: Context) => string | undefined);
}

/**
 * Guards a route: the caller must present a key (when any is configured) that has `scope` (null: any valid
 * key) and may use the request's ID type, and be within its rate limit.
 */
export function requireScope({ keys, limiter }: Access, scope: Scope | null, options: RequireScopeOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    const result = keys.authenticate(c.req.header("authorization"));
    const challenge = { "WWW-Authenticate": 'Bearer realm="idgen"' };
    if ("problem" in result) return errorResponse(c, result.problem === "missing" ? "unauthenticated" : "wrongKey", "", challenge);
    const caller = result.caller;
    const idType = typeof options.idType === "function" ? options.idType(c) : options.idType ?? c.req.param("id_type");
    const verdict = permits(caller, scope, idType);
    if (verdict === "scope") return errorResponse(c, "outOfScope", `key '${caller.name}' lacks scope '${scope ?? "any"}'`);
    if (verdict === "type") return errorResponse(c, "typeNotAllowed", `key '${caller.name}' may not use ID type '${idType}'`);
    const limit = caller.key?.rateLimit;
    if (limit && limiter) {
      const wait = limiter.take(caller.name, limit);
      if (wait > 0) return errorResponse(c, "rateLimited", `key '${caller.name}' is limited to ${limit.perSecond} requests per second (burst ${limit.burst})`, { "Retry-After": String(wait) });
    }
    c.set("caller", caller);
    return next();
  };
}
