// The service's logger: one JSON object per line, the configured level, and secrets never written: fields named
// like secrets are replaced whatever their nesting, and passwords inside URLs are masked wherever they appear.
import { describe, expect, test } from "bun:test";
import { createLogger, isLevelled, REDACTED } from "../../src/log";

function capture(level: "debug" | "info" | "warn" | "error") {
  const out: string[] = [];
  const err: string[] = [];
  const log = createLogger({ level, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { log, out, err };
}

describe("createLogger", () => {
  test("writes one JSON object per line with time, level and msg; warn and error to stderr", () => {
    const { log, out, err } = capture("debug");
    log({ level: "info", msg: "hello", count: 3n, nested: { a: 1 } });
    log({ level: "error", msg: "broken" });
    expect(out).toHaveLength(1);
    expect(err).toHaveLength(1);
    const line = JSON.parse(out[0]!);
    expect(line).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: "info", msg: "hello", count: "3", nested: { a: 1 } });
    expect(out[0]).not.toContain("\n");
  });

  test("drops entries under the configured level, and says which levels it writes", () => {
    const { log, out, err } = capture("warn");
    log({ level: "debug", msg: "d" });
    log({ level: "info", msg: "i" });
    log({ level: "warn", msg: "w" });
    expect(out).toEqual([]);
    expect(err.map((line) => JSON.parse(line).msg)).toEqual(["w"]);
    expect(isLevelled(log)).toBe(true);
    expect([log.enabled("debug"), log.enabled("info"), log.enabled("warn"), log.enabled("error")]).toEqual([false, false, true, true]);
    expect(isLevelled(() => undefined)).toBe(false);
  });

  test("never writes a secret: secret-named fields at any depth, and passwords in URLs anywhere", () => {
    const { log, out, err } = capture("debug");
    const secrets = ["pg-Pa55word", "key-abc123", "Bearer tok-xyz", "sess=1", "s3cr3t"];
    log({
      level: "info",
      msg: "startup",
      password: secrets[0],
      DB_PASSWORD: secrets[0],
      apiKeys: [secrets[1]],
      request: { headers: { authorization: secrets[2], cookie: secrets[3] } },
      client_secret: secrets[4],
      url: `postgres://idgen:${secrets[0]}@db:5432/idgen`,
      hosts: `postgresql://u:${secrets[4]}@a:5432,b:5432/x?sslmode=require`,
      passed: true, // not a secret, just a similar name: left as it is
    });
    log({ level: "error", msg: "start-up failed", error: `connect failed for postgres://idgen:${secrets[0]}@db/idgen: timeout` });
    const text = [...out, ...err].join("\n");
    for (const secret of secrets) expect(text).not.toContain(secret);
    const line = JSON.parse(out[0]!);
    expect(line.password).toBe(REDACTED);
    expect(line.request.headers.authorization).toBe(REDACTED);
    expect(line.url).toBe(`postgres://idgen:${REDACTED}@db:5432/idgen`); // user and host stay: they help
    expect(line.passed).toBe(true);
    expect(JSON.parse(err[0]!).error).toContain("postgres://idgen:[redacted]@db/idgen");
  });
});
