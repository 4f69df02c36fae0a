// Serves the ID validator page under /validator/: the page, its script, and the rules engine it runs
// in the browser (the ESM bindings and the compiled module of wasm/, exactly as built).
import { resolve } from "node:path";
import type { Context, Hono } from "hono";
import { etag } from "hono/etag";

export interface ValidatorOptions {
  /** The rules engine package: its *.js modules and build/rules.wasm. Defaults to the repository's wasm/. */
  wasmDir?: string;
}

const JAVASCRIPT = "text/javascript; charset=utf-8";

async function serveFile(c: Context, path: string, contentType: string): Promise<Response> {
  const file = Bun.file(path);
  if (!(await file.exists())) return c.notFound();
  return c.body(await file.bytes(), 200, {
    "Content-Type": contentType,
    // Small files that change with each deploy: always revalidate; the ETag makes that cheap.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
}

// Any Hono app, plain or OpenAPIHono (their type parameters differ; these routes use none of them).
export function mountValidator(app: Hono<any, any, any>, opts: ValidatorOptions = {}): void {
  const wasmDir = opts.wasmDir ?? resolve(import.meta.dir, "../../../wasm");
  const page = (name: string) => resolve(import.meta.dir, name);

  // Relative, so the redirect also works behind a proxy that serves the app under a prefix.
  app.get("/validator", (c) => c.redirect(`validator/${new URL(c.req.url).search}`, 301));
  app.use("/validator/*", etag());
  app.get("/validator/", (c) => serveFile(c, page("index.html"), "text/html; charset=utf-8"));
  app.get("/validator/app.js", (c) => serveFile(c, page("app.js"), JAVASCRIPT));
  app.get("/validator/rules/rules.wasm", (c) => serveFile(c, resolve(wasmDir, "build/rules.wasm"), "application/wasm"));
  // The same rules without SIMD, for browsers that lack it (the page asks index.js which one to load).
  app.get("/validator/rules/rules.scalar.wasm", (c) => serveFile(c, resolve(wasmDir, "build/rules.scalar.wasm"), "application/wasm"));
  // index.js and the modules it imports beside it (plain names only: nothing outside wasmDir is reachable).
  app.get("/validator/rules/:module{[a-z0-9_-]+\\.js}", (c) =>
    serveFile(c, resolve(wasmDir, c.req.param("module")), JAVASCRIPT),
  );
}
