// The HTTP side of API keys: accountability() puts the key ring, the rate limiter and a request id on every
// request; requireScope() guards a route (401 no or wrong key, 403 outside the key's scopes or ID types, 429
// over its rate limit, all in the envelope). Routes without requireScope (health, version, validate, docs,
// the validator page, probes) stay open. The secret is hashed at once and never logged or echoed.
import { randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { ANONYMOUS, permits, type Caller, type KeyRing, type Scope } from "../auth/keys";
import type { RateLimiter } from "../auth/rate-limit";
import { requestIdOf } from "./observe";
import { errorResponse } from "./openg2p/envelope";

declare module "hono" {
  interface ContextVariableMap {
    /** Who made the request: set by requireScope (anonymous when the service runs open). */
    caller: Caller;
    /** X-Request-Id as given (if sane) or made up; recorded with audited IDs and echoed in the response. */
    requestId: string;
    keyRing: KeyRing | undefined;
    rateLimiter: RateLimiter | undefined;
  }
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** For every request: the request id, and the key ring and limiter that requireScope reads. */
export function accountability(keys: KeyRing | undefined, limiter: RateLimiter | undefined): MiddlewareHandler {
  return async (c, next) => {
    // One request id per request: observe.ts's (it runs first when metrics and the access log are on), else
    // the same rule here (a sane incoming X-Request-Id, else a new one).
    const given = c.req.header("x-request-id");
    const observed = requestIdOf(c);
    const requestId = observed || (given !== undefined && REQUEST_ID.test(given) ? given : randomUUID());
    c.set("requestId", requestId);
    c.set("keyRing", keys);
    c.set("rateLimiter", limiter);
    c.set("caller", ANONYMOUS);
    await next();
    if (!observed) c.header("X-Request-Id", requestId);
  };
}

export interface RequireScopeOptions {
  /** The ID type the request touches: a fixed name, or read from the request; default: the `id_type` path parameter. */
  idType?: string | ((c: Context) => string | undefined);
}

/**
 * Guards a route: the caller must present a key (when any is configured) that has `scope` (null: any valid
 * key) and may use the request's ID type, and be within its rate limit.
 */
export function requireScope(scope: Scope | null, options: RequireScopeOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    const keys = c.get("keyRing");
    if (!keys || keys.open) return next();
    const result = keys.authenticate(c.req.header("authorization"));
    const challenge = { "WWW-Authenticate": 'Bearer realm="idgen"' };
    if ("problem" in result) return errorResponse(c, result.problem === "missing" ? "unauthenticated" : "wrongKey", "", challenge);
    const caller = result.caller;
    const idType = typeof options.idType === "function" ? options.idType(c) : options.idType ?? c.req.param("id_type");
    const verdict = permits(caller, scope, idType);
    if (verdict === "scope") return errorResponse(c, "outOfScope", `key '${caller.name}' lacks scope '${scope ?? "any"}'`);
    if (verdict === "type") return errorResponse(c, "typeNotAllowed", `key '${caller.name}' may not use ID type '${idType}'`);
    const limit = caller.key?.rateLimit;
    const limiter = c.get("rateLimiter");
    if (limit && limiter) {
      const wait = limiter.take(caller.name, limit);
      if (wait > 0) return errorResponse(c, "rateLimited", `key '${caller.name}' is limited to ${limit.perSecond} requests per second (burst ${limit.burst})`, { "Retry-After": String(wait) });
    }
    c.set("caller", caller);
    return next();
  };
}
