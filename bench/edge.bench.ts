// What the HTTP edge costs per request: server CPU per request (not throughput: on a shared 2-core machine
// CPU time per request drifts far less than rates do), measured with wrk against servers in this one
// process, rounds interleaved, the minimum per variant. `npm run bench:edge` (EDGE_ROUNDS, EDGE_SECONDS).
// Writes bench/results/edge-latest.md.
//
// The variants isolate what src/http/observe.ts is designed around: on Bun, touching a Headers object costs
// (reading one request header builds the request's Headers; changing a Response's headers after it is made
// builds them again), while headers given when the Response is made cost little (least as one Headers object
// reused, whose id is replaced each time). The last rows are the service's own app (request ids, metrics,
// every route mounted) on /livez, the floor under every route of the service: through Hono, and through its
// lane (src/http/lane.ts), as src/main.ts serves it; the lanes once with each request's metrics series looked
// up as before 2026-12-07, once bound per lane as now.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { createApp } from "../src/http/app";
import { Registry } from "../src/metrics/registry";
import { ensureWrk } from "./lib/wrk";

const ROUNDS = Number(process.env.EDGE_ROUNDS ?? 5);
const SECONDS = Number(process.env.EDGE_SECONDS ?? 2);
const wrk = ensureWrk(console.log);

const alive = { status: "alive" };
const REUSED = new Headers({ "Content-Type": "application/json" });
function hono(middleware?: MiddlewareHandler, handler?: (c: Context) => Response): { fetch: Hono["fetch"] } {
  const app = new Hono();
  if (middleware) app.use("*", middleware);
  app.get("/livez", handler ?? ((c) => c.json(alive)));
  return app;
}
const registry = new Registry();
const histogram = registry.histogram("edge_bench_seconds", "bench", ["route", "method", "status"], [0.001, 0.01, 0.1, 1]);
const series = new Map<string, ReturnType<typeof histogram.with>>();
const record = (route: string, method: string, status: number, seconds: number) => {
  const key = `${route} ${method} ${status}`;
  let found = series.get(key);
  if (!found) series.set(key, (found = histogram.with({ route, method, status: String(status) })));
  found.observe(seconds);
};

// The service binds each lane's series once (src/metrics/service-metrics.ts requestRecorder); the same here.
const recorder = (route: string, method: string) => {
  const ok = histogram.with({ route, method, status: "200" });
  return (status: number, seconds: number) => (status === 200 ? ok.observe(seconds) : record(route, method, status, seconds));
};
const lanedApp = createApp({ observe: { record, recorder } });
const lanedLookupApp = createApp({ observe: { record } });
type Served = { fetch: (request: Request) => Response | Promise<Response>; lanes?: ReturnType<typeof lanedApp.bunRoutes> };
const VARIANTS: [string, Served][] = [
  ["trivial Hono handler", hono()],
  ["+ one no-op middleware", hono(async (_c, next) => void (await next()))],
  ["+ read one request header", hono(async (c, next) => void (c.req.raw.headers.get("x-request-id"), await next()))],
  ["+ set one response header after the handler", hono(async (c, next) => void (await next(), c.res.headers.set("X-Request-Id", "abc")))],
  ["+ c.header() before the handler", hono(async (c, next) => void (c.header("X-Request-Id", "abc"), await next()))],
  // Given when the Response is made: through c.json(), which copies two or more headers into a Headers object,
  // and as a plain object straight to new Response() (what src/http/observe.ts jsonAnswer did until 2026-12-07).
  ["header given when the Response is made, by c.json()", hono(undefined, (c) => c.json(alive, 200, { "X-Request-Id": "abc" }))],
  ["header given when the Response is made, plain object to new Response()", hono(undefined, () => new Response(JSON.stringify(alive), { headers: { "Content-Type": "application/json", "X-Request-Id": "abc" } }))],
  // What src/http/observe.ts jsonHeadersWithId does since 2026-12-07: one Headers object, its id replaced.
  ["header given when the Response is made, one Headers object reused", hono(undefined, () => new Response(JSON.stringify(alive), { headers: (REUSED.set("X-Request-Id", "abc"), REUSED) }))],
  ["the service's app, no metrics", createApp({})],
  ["the service's app, request metrics", createApp({ observe: { record } })],
  // As src/main.ts serves it: /livez is a lane (src/http/lane.ts), Bun's router answering before Hono.
  ["the service's app through its lanes, request metrics, series looked up per request (before 2026-12-07)", { fetch: (request) => lanedLookupApp.fetch(request), lanes: lanedLookupApp.bunRoutes() }],
  ["the service's app through its lanes, request metrics", { fetch: (request) => lanedApp.fetch(request), lanes: lanedApp.bunRoutes() }],
];

const servers = VARIANTS.map(([, app]) => Bun.serve({ port: 0, fetch: (request) => app.fetch(request), ...(app.lanes ? { routes: app.lanes } : {}) }));
async function cpuPerRequest(url: string): Promise<{ micros: number; rate: number }> {
  const before = process.cpuUsage();
  const child = Bun.spawn([wrk, "-t1", "-c50", `-d${SECONDS}s`, url], { stdout: "pipe", stderr: "pipe" });
  const text = await new Response(child.stdout).text();
  await child.exited;
  const used = process.cpuUsage(before);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  if (!(requests > 0)) throw new Error(`wrk gave no figure for ${url}: ${text}`);
  return { micros: (used.user + used.system) / requests, rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]) };
}

const best = VARIANTS.map(() => Infinity);
const all = VARIANTS.map(() => [] as number[]);
const rates = VARIANTS.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  // Rotated each round, so no variant always runs first or last.
  for (let k = 0; k < VARIANTS.length; k++) {
    const i = (k + round) % VARIANTS.length;
    const { micros, rate } = await cpuPerRequest(new URL("livez", servers[i]!.url).href);
    best[i] = Math.min(best[i]!, micros);
    all[i]!.push(micros);
    rates[i]!.push(rate);
  }
  console.log(`round ${round + 1}/${ROUNDS}: ${VARIANTS.map(([name], i) => `${name} ${best[i]!.toFixed(2)} µs`).join("; ")}`);
}
for (const server of servers) server.stop(true);

const base = best[0]!;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const baseMedian = median(all[0]!);
const lines = [
  "# HTTP edge cost per request",
  "",
  `\`npm run bench:edge\`, ${new Date().toISOString().slice(0, 16)} UTC: wrk -t1 -c50 ${SECONDS} s × ${ROUNDS} interleaved rounds per variant, all servers in one`,
  "Bun process; server CPU time per request (user + system), the minimum over rounds and the median (the machine's",
  "speed drifts between rounds; both are given). A server-bound throughput is about trivial / variant (the ratio",
  "columns' inverse).",
  "",
  "| variant | CPU µs per request, min | × trivial | median | × trivial |",
  "|---|---|---|---|---|",
  ...VARIANTS.map(([name], i) => `| ${name} | ${best[i]!.toFixed(2)} | ${(best[i]! / base).toFixed(2)} | ${median(all[i]!).toFixed(2)} | ${(median(all[i]!) / baseMedian).toFixed(2)} |`),
  "",
];
const out = join(resolve(import.meta.dir, "results"), "edge-latest.md");
writeFileSync(out, lines.join("\n"));
console.log(lines.join("\n"));
console.log(`written: ${out}`);
