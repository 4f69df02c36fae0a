// Builds the HTTP application: every route the service answers, with no socket attached, so tests can
// call app.request() or serve it on a port of their choosing.
import { Hono } from "hono";
import { mountValidator, type ValidatorOptions } from "./validator/routes";

export interface AppOptions {
  validator?: ValidatorOptions;
}

export function createApp(opts: AppOptions = {}): Hono {
  const app = new Hono();
  mountValidator(app, opts.validator);
  // Relative, so it also works behind a proxy that serves the app under a prefix.
  app.get("/", (c) => c.redirect("validator/", 302));
  return app;
}
