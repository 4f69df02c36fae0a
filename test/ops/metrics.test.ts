// /metrics over real processes and a real PostgreSQL: two pods share one database; every series is checked
// against what the test did and what the database holds; request ids are echoed and logged; no secret reaches the
// logs at debug level; and every metric the alerts in deploy/ use is one a real scrape exports, in PromQL that
// parses. The registry's exposition format (escaping, histogram shape) is checked on its own first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parser } from "@prometheus-io/lezer-promql";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { EXPOSITION_CONTENT_TYPE, Registry } from "../../src/metrics/registry";
import { testDatabase, type TestDatabase } from "../support/database";
import { explainFailure, freePort, killAll, startPod, tempFile, type ServiceProcess } from "../support/processes";
import { DEPLOY_DIR } from "./support/kustomize";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses a text exposition strictly: HELP and TYPE before a family's samples, every line well formed. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  expect(text.endsWith("\n")).toBe(true);
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.trimEnd().split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === "HELP") helped.add(meta[2]!);
      else types.set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect({ line, wellFormed: sample !== null }).toEqual({ line, wellFormed: true });
    const labels: Record<string, string> = {};
    for (const [, name, value] of sample![2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) {
      labels[name!] = value!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    const family = sample![1]!.replace(/_(bucket|sum|count)$/, (suffix) => (types.get(sample![1]!.slice(0, -suffix.length)) === "histogram" ? "" : suffix));
    expect({ family, typed: types.has(family), helped: helped.has(family) }).toEqual({ family, typed: true, helped: true });
    samples.push({ name: sample![1]!, labels, value: Number(sample![3] === "+Inf" ? Infinity : sample![3]) });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, v]) => sample.labels[key] === v));
  if (found.length !== 1) throw new Error(`expected one ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
};

describe("the registry's exposition", () => {
  test("writes HELP and TYPE, escapes label values, and cumulative histogram buckets ending in +Inf", () => {
    const registry = new Registry();
    registry.counter("t_total", "A counter\\with a backslash\nand a newline.", ["path"]).inc({ path: 'a"b\\c\nd' }, 2);
    const histogram = registry.histogram("t_seconds", "A histogram.", ["kind"], [0.1, 1]);
    for (const seconds of [0.05, 0.5, 0.5, 5]) histogram.observe({ kind: "x" }, seconds);
    const text = registry.expose();
    expect(text).toBe(
      [
        "# HELP t_total A counter\\\\with a backslash\\nand a newline.",
        "# TYPE t_total counter",
        't_total{path="a\\"b\\\\c\\nd"} 2',
        "# HELP t_seconds A histogram.",
        "# TYPE t_seconds histogram",
        't_seconds_bucket{kind="x",le="0.1"} 1',
        't_seconds_bucket{kind="x",le="1"} 3',
        't_seconds_bucket{kind="x",le="+Inf"} 4',
        't_seconds_sum{kind="x"} 6.05',
        't_seconds_count{kind="x"} 4',
        "",
      ].join("\n"),
    );
    expect(parseExposition(text).samples.find((sample) => sample.name === "t_total")!.labels.path).toBe('a"b\\c\nd');
    expect(() => registry.counter("t_total", "again")).toThrow();
    expect(() => registry.counter("bad-name", "x")).toThrow();
    expect(() => registry.counter("c_total", "x").inc(undefined, -1)).toThrow();
  });
});

describe("/metrics of two pods on one database", () => {
  let db: TestDatabase;
  const pods: { pod: ServiceProcess; url: string }[] = [];
  const children = () => pods.map((entry) => entry.pod);
  // A password and a bearer token that must appear in no log line. The test server trusts local connections,
  // so the password is accepted and ignored; an embedded server's URL may already carry one.
  const password = "Pw-do-not-log-7f3a";
  const token = "tok-do-not-log-91c2";
  let databaseUrl: string;
  const issued = [0, 0];
  /** IDs of the small type issued on pod 0 (the first test): the issue route's 200s there are these and issued[0]. */
  let tinyIssued = 0;
  let file: ReturnType<typeof tempFile> | undefined;

  beforeAll(async () => {
    db = await testDatabase();
    const url = new URL(db.url);
    if (!url.password) url.password = password;
    databaseUrl = url.href;
    const config = "id_generator:\n  id_types:\n    farmer:\n      id_length: 12\n    tiny:\n      id_length: 4\n";
    file = tempFile("config.yaml", config);
    for (const label of ["pod-a", "pod-b"]) {
      pods.push(await startPod({ env: { DATABASE_URL: databaseUrl, CONFIG_PATH: file!.path, PORT: String(await freePort()), LOG_LEVEL: "debug" }, label }));
    }
  }, 60_000);

  afterAll(async () => {
    await killAll();
    await db?.drop();
    file?.remove();
  });

  async function issue(index: number, headers: Record<string, string> = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${pods[index]!.url}/v1/idgenerator/farmer/id`, { method: "POST", headers });
      if (res.status === 200) issued[index]!++;
      if (res.status !== 503 || attempt === 50) return res;
      await Bun.sleep(100); // the first refill is still running
    }
  }

  async function scrape(index: number): Promise<{ samples: Sample[]; types: Map<string, string>; text: string }> {
    const res = await fetch(`${pods[index]!.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(EXPOSITION_CONTENT_TYPE);
    const text = await res.text();
    return { ...parseExposition(text), text };
  }

  /** Pool level and space as the database holds them, for comparison with a scrape taken when nothing moves. */
  async function databaseState(type: string) {
    const [row] = await db.sql<{ available: number; generated: number; capacity: number; exact: boolean }[]>`
      select coalesce((select sum(size) from pool_chunk where id_type = ${type}), 0)::float8 as available,
             generated::float8, capacity::float8, capacity_exact as exact from id_type where name = ${type}`;
    return row!;
  }

  test("counts what each pod issued and claimed, and agrees with the database on pools and space", async () => {
    await explainFailure(children, async () => {
      for (let i = 0; i < 30; i++) expect((await issue(i % 2)).status).toBe(200);
      // Validation and an unknown path, for the route labels.
      expect((await fetch(`${pods[0]!.url}/v1/idgenerator/farmer/id/validate/123456789012`)).status).toBe(200);
      expect((await fetch(`${pods[0]!.url}/v1/idgenerator/farmer/id/validate/999999999999`)).status).toBe(200);
      expect((await fetch(`${pods[0]!.url}/no/such/path/42`)).status).toBe(404);
      // A small type claims one ID per request, on demand: every issue request on it waits on the database.
      let tinyAttempts = 0;
      for (; tinyIssued < 3 && tinyAttempts < 50; tinyAttempts++) {
        const res = await fetch(`${pods[0]!.url}/v1/idgenerator/tiny/id`, { method: "POST" });
        if (res.status === 200) tinyIssued++;
        else await Bun.sleep(100); // its first refill may still be running (503)
      }
      // Let refills settle: the pool stops moving once both pods' claims are in and the pool is at target.
      let before = await databaseState("farmer");
      for (let i = 0; i < 50; i++) {
        await Bun.sleep(200);
        const now = await databaseState("farmer");
        if (now.available === before.available && now.generated === before.generated) break;
        before = now;
      }
      const state = await databaseState("farmer");
      let refilledTotal = 0;
      for (const index of [0, 1]) {
        const { samples } = await scrape(index);
        const farmer = { id_type: "farmer" };
        expect(value(samples, "idgen_ids_issued_total", farmer)).toBe(issued[index]!);
        const claimed = value(samples, "idgen_claimed_ids_total", farmer);
        expect(claimed).toBeGreaterThanOrEqual(issued[index]!);
        expect(value(samples, "idgen_buffer_ids", farmer)).toBe(claimed - issued[index]!);
        expect(value(samples, "idgen_claim_duration_seconds_count", farmer)).toBeGreaterThanOrEqual(1);
        expect(value(samples, "idgen_claim_failures_total", farmer)).toBe(0);
        expect(value(samples, "idgen_buffer_waits_total", { id_type: "tiny" })).toBe(index === 0 ? tinyAttempts : 0);
        refilledTotal += value(samples, "idgen_refilled_ids_total", farmer);
        // Read from the database at scrape time: the same on both pods, and equal to the table.
        expect(value(samples, "idgen_pool_available_ids", farmer)).toBe(state.available);
        expect(value(samples, "idgen_space_used_ids", farmer)).toBe(state.generated - state.available);
        expect(value(samples, "idgen_pool_target_ids", farmer)).toBe(6000);
        expect(value(samples, "idgen_metrics_database_up")).toBe(1);
        // The small type's space is counted exactly at start: capacity, used and remaining add up.
        const tiny = await databaseState("tiny");
        expect(tiny.exact).toBe(true);
        expect(value(samples, "idgen_space_capacity_ids", { id_type: "tiny" })).toBe(tiny.capacity);
        expect(value(samples, "idgen_space_capacity_exact", { id_type: "tiny" })).toBe(1);
        expect(value(samples, "idgen_space_remaining_ids", { id_type: "tiny" })).toBe(tiny.capacity - (tiny.generated - tiny.available));
        // Connections: this pod's own (the scrape's query is one of them), never more than its pool.
        const open = ["active", "idle", "idle in transaction", "other"].reduce((sum, state) => sum + value(samples, "idgen_db_pool_connections", { state }), 0);
        expect(value(samples, "idgen_db_pool_connections", { state: "active" })).toBeGreaterThanOrEqual(1);
        expect(open).toBeLessThanOrEqual(value(samples, "idgen_db_pool_max_connections"));
      }
      // Every ID in the database was added by one of the two pods' refills.
      expect(refilledTotal).toBe(state.generated);
    });
  });

  test("labels requests by route pattern and status, never by raw path; histograms are consistent", async () => {
    const { samples } = await scrape(0);
    const requests = samples.filter((sample) => sample.name === "idgen_http_request_duration_seconds_count");
    const routes = new Set(requests.map((sample) => sample.labels.route));
    expect(routes).toContain("/v1/idgenerator/:id_type/id");
    expect(routes).toContain("/v1/idgenerator/:id_type/id/validate/:id");
    expect(routes).toContain("unmatched");
    for (const route of routes) expect(route).not.toMatch(/\d{3,}|farmer/); // no ID, no type name in a label
    expect(value(samples, "idgen_http_request_duration_seconds_count", { route: "/v1/idgenerator/:id_type/id/validate/:id", method: "GET", status: "200" })).toBe(2);
    expect(value(samples, "idgen_http_request_duration_seconds_count", { route: "unmatched", method: "GET", status: "404" })).toBe(1);
    expect(value(samples, "idgen_http_request_duration_seconds_count", { route: "/v1/idgenerator/:id_type/id", method: "POST", status: "200" })).toBe(issued[0]! + tinyIssued);
    for (const count of samples.filter((sample) => sample.name.endsWith("_count") && sample.name.startsWith("idgen_http"))) {
      const buckets = samples.filter((sample) => sample.name === "idgen_http_request_duration_seconds_bucket" && ["route", "method", "status"].every((key) => sample.labels[key] === count.labels[key]));
      const cumulative = buckets.map((bucket) => bucket.value);
      expect(cumulative).toEqual([...cumulative].sort((a, b) => a - b));
      expect(buckets.at(-1)!.labels.le).toBe("+Inf");
      expect(buckets.at(-1)!.value).toBe(count.value);
    }
  });

  test("echoes a sane X-Request-Id, replaces an unsafe one, and logs the request under it", async () => {
    await explainFailure(children, async () => {
      const sane = "req-2f6c:abc.DEF_123";
      const res = await issue(0, { "X-Request-Id": sane, Authorization: `Bearer ${token}` });
      expect(res.headers.get("x-request-id")).toBe(sane);
      for (const unsafe of ["has spaces in it", "x".repeat(200), "quote\"and{brace}"]) {
        const other = await issue(0, { "X-Request-Id": unsafe });
        const echoed = other.headers.get("x-request-id")!;
        expect(echoed).not.toBe(unsafe);
        expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      }
      const made = (await issue(1)).headers.get("x-request-id")!;
      expect(made).toMatch(/^[0-9a-f-]{36}$/);
      const line = await pods[0]!.pod.waitForLog((entry) => entry.requestId === sane);
      expect(line).toMatchObject({ level: "debug", msg: "request", route: "/v1/idgenerator/:id_type/id", status: 200 });
      await pods[1]!.pod.waitForLog((entry) => entry.requestId === made);
    });
  });

  test("no secret reaches any log line, at debug level", async () => {
    const { password: used } = new URL(databaseUrl);
    const text = pods.map(({ pod }) => pod.stdout + pod.stderr).join("\n");
    expect(text.length).toBeGreaterThan(1000); // the logs are there: debug access lines for every request above
    expect(text).not.toContain(decodeURIComponent(used));
    expect(text).not.toContain(token);
    for (const { pod } of pods) expect(pod.logs.length).toBeGreaterThan(10);
  });

  test("every metric the alerts use is exported by a real scrape, and every expression parses as PromQL", async () => {
    const { types } = await scrape(1);
    const rule = parse(readFileSync(join(DEPLOY_DIR, "base/prometheusrule.yaml"), "utf8"));
    const rules: { record?: string; alert?: string; expr: string }[] = rule.spec.groups.flatMap((group: { rules: unknown[] }) => group.rules);
    const recorded = new Set(rules.map((entry) => entry.record).filter(Boolean));
    const alerts = rules.filter((entry) => entry.alert).map((entry) => entry.alert);
    for (const name of ["IdgenDaysOfSupplyLow", "IdgenSpaceNearingExhaustion", "IdgenErrorRate", "IdgenRefillFallingBehind"]) expect(alerts).toContain(name);
    const used = new Set<string>();
    for (const entry of rules) {
      const tree = parser.parse(entry.expr);
      const errors: string[] = [];
      tree.iterate({
        enter: (node) => {
          if (node.type.isError) errors.push(`${entry.alert ?? entry.record}: syntax error at ${node.from} in ${entry.expr}`);
          if (node.type.name === "Identifier") used.add(entry.expr.slice(node.from, node.to));
        },
      });
      expect(errors).toEqual([]);
    }
    expect(used.size).toBeGreaterThan(8);
    for (const metric of used) {
      const family = metric.replace(/_(bucket|sum|count)$/, "");
      const exported = recorded.has(metric) || types.has(metric) || types.get(family) === "histogram";
      expect({ metric, exported }).toEqual({ metric, exported: true });
    }
  });
});
