// Hono's router, remembering its answer per method and path. The service's routes are few and its hot paths
// repeat (every issue of a type is the same POST path, every /next the same GET), while Hono's default router
// cannot use its fast matcher here: RegExpRouter refuses our route set, twice over (a static route beside a
// pattern in one folder, /validator/rules/rules.wasm and /validator/rules/:module{...}; and the contract's
// /{id_type}/id/{id} beside /{id_type}/id/validate/{id}), so SmartRouter falls back to TrieRouter, which
// walks the trie and builds a new answer on every request. Measured in one process
// (2026-12-06, scratch comparison of the same app with and without this wrapper, 9 interleaved rounds of
// 200k issue requests through app.fetch): 0.5-0.7 µs less per request, of the 1.8-1.9 µs the app adds to a
// trivial Hono handler, and about a third fewer bytes allocated per request (JSC's eden collections counted
// with BUN_JSC_logGC: 193 against 145 per 500k requests).
//
// Answers are shared between requests: Hono only reads them (handlers and path parameters). Only answers
// worth keeping are kept: those of a route whose path parameters are all names (ID types, counters: a few per
// deployment), never those with an ID in the path (lookup, validate: each path new) nor those of no route
// (404s). Remembering every answer made validation 0.9-1.4 µs slower per request in one process (scratch
// comparison, 9 rounds of 200k validations of distinct IDs): every answer outlived the young generation,
// and the map churned; now the lookup that finds nothing costs validation 0.2-0.3 µs (same comparison). The
// memory is bounded all the same: everything is forgotten once MAX_ANSWERS are
// kept, and long paths are not kept at all.
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

/** Remembered answers at most; then all are forgotten at once (the hot ones come back on their next request). */
export const MAX_ANSWERS = 1024;
/** Longer paths are matched every time: a few long ones would otherwise hold more memory than all the rest. */
export const MAX_PATH = 256;
/** A path parameter that is a name (an ID type, a counter), not an ID: what makes an answer worth keeping. */
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Whether `answer` names a route and all its path parameters are names (see the top of this file). */
function worthKeeping<T>(answer: Result<T>): boolean {
  const [handlers, stash] = answer as [[T, Record<string, string | number>][], (string | undefined)[]?];
  if (handlers.length === 0) return false;
  for (const [, params] of handlers) {
    for (const key in params) {
      const value = stash ? stash[params[key] as number] : params[key];
      if (typeof value !== "string" || !NAME.test(value)) return false;
    }
  }
  return true;
}

export class MemoRouter<T> implements Router<T> {
  readonly name = "MemoRouter";
  readonly #inner: Router<T>;
  readonly #answers = new Map<string, Result<T>>();

  /** `inner`: the router that answers; by default Hono's own choice (SmartRouter of RegExpRouter, TrieRouter). */
  constructor(inner: Router<T> = new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })) {
    this.#inner = inner;
  }

  /** How many answers are remembered now (at most MAX_ANSWERS). */
  get remembered(): number {
    return this.#answers.size;
  }

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_PATH) return this.#inner.match(method, path);
    const key = `${method} ${path}`;
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      answer = this.#inner.match(method, path);
      if (!worthKeeping(answer)) return answer;
      if (this.#answers.size >= MAX_ANSWERS) this.#answers.clear();
      this.#answers.set(key, answer);
    }
    return answer;
  }
}
