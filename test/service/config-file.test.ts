// OpenG2P's example config file (api-contract.md §1, byte for byte) runs a real process: it issues IDs of both
// types over HTTP, and SIGTERM stops it within 10 s with every buffered ID back in the pool. A bad file or an
// unreachable database stops start-up at once, with a message and no stack trace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRules } from "../../wasm/index.js";
import { OPENG2P_EXAMPLE } from "../config/helpers";
import { issueId, type IssueAnswer } from "../support/client";
import { testDatabase, type TestDatabase } from "../support/database";
import { explainFailure, freePort, killAll, spawnService, startPod, tempFile, type ServiceProcess } from "../support/processes";

let db: TestDatabase;
const files: ReturnType<typeof tempFile>[] = [];
const children: ServiceProcess[] = [];

beforeAll(async () => {
  db = await testDatabase();
});

afterAll(async () => {
  await killAll();
  await db?.drop();
  for (const file of files) file.remove();
});

function configFile(text: string): string {
  const file = tempFile("config.yaml", text);
  files.push(file);
  return file.path;
}

/** Issues one ID, retrying while the first refill is still running (503 IDG-001). */
async function issueWhenReady(url: string, type: string): Promise<IssueAnswer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await issueId(url, type);
    if (answer.status !== 503 || attempt === 20) return answer;
    await Bun.sleep(100);
  }
}

describe("the OpenG2P example file", () => {
  test("is accepted unchanged: issues both types, then SIGTERM exits 0 within 10 s with no ID wasted", async () => {
    const port = await freePort();
    const path = configFile(OPENG2P_EXAMPLE);
    const { pod, url } = await startPod({ env: { CONFIG_PATH: path, DATABASE_URL: db.url, PORT: String(port) }, label: "openg2p-example" });
    children.push(pod);
    await explainFailure(() => children, async () => {
      expect(new URL(url).port).toBe(String(port));
      expect(pod.logs.find((line) => line.msg === "configuration")).toBeDefined();

      const farmer = await issueWhenReady(url, "farmer");
      const household = await issueWhenReady(url, "household");
      expect(farmer).toEqual({ status: 200, id: expect.stringMatching(/^\d{12}$/) });
      expect(household).toEqual({ status: 200, id: expect.stringMatching(/^\d{10}$/) });
      expect((await createRules({ id_length: 12 })).validate(farmer.id!).valid).toBe(true);
      expect((await createRules({ id_length: 10 })).validate(household.id!).valid).toBe(true);
      const [held] = await db.sql<{ held: number }[]>`select count(*)::int as held from claimed_chunk`;
      expect(held!.held).toBeGreaterThan(0); // the buffers did claim: the stop has something to return

      const signalled = performance.now();
      pod.signal("SIGTERM");
      expect(await pod.waitForExit(10_000)).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(10_000);
      expect(pod.logs.map((line) => line.msg)).toContain("stopped");

      const [left] = await db.sql<{ held: number }[]>`select count(*)::int as held from claimed_chunk`;
      expect(left!.held).toBe(0);
      // None wasted: every ID generated is either available again or one of the two issued.
      const pools = await db.sql<{ name: string; generated: string; available: string; registered: string }[]>`
        select name, generated::text,
               (select coalesce(sum(size), 0) from pool_chunk c where c.id_type = t.name)::text as available,
               (select count(*) from registered_id p where p.id_type = t.name)::text as registered
        from id_type t order by name`;
      expect(pools.map((row) => ({ name: row.name, unaccounted: Number(row.generated) - Number(row.available) - 1, registered: row.registered === row.generated }))).toEqual([
        { name: "farmer", unaccounted: 0, registered: true },
        { name: "household", unaccounted: 0, registered: true },
      ]);
      const [reissuable] = await db.sql<{ n: number }[]>`select count(*)::int as n from pool_chunk where ${[farmer.id!, household.id!]}::text[] && ids`;
      expect(reissuable!.n).toBe(0);
    });
  }, 40_000);
});

describe("start-up failures", () => {
  test("a bad config file: exits non-zero at once, naming the key, with no stack trace", async () => {
    const path = configFile(OPENG2P_EXAMPLE.replace("id_length: 12", "id_length: 40"));
    const child = spawnService({ env: { CONFIG_PATH: path, DATABASE_URL: db.url, PORT: "0" }, label: "bad-config", timeoutMs: 20_000 });
    children.push(child);
    await explainFailure(() => [child], async () => {
      const started = performance.now();
      const code = await child.waitForExit(10_000);
      expect(code).not.toBeNull();
      expect(code).not.toBe(0);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(child.stderr).toContain("id_generator.id_types.farmer.id_length");
      expect(child.logs.find((line) => line.msg === "start-up failed")).toBeDefined();
      expect(child.logs.map((line) => line.msg)).not.toContain("listening");
      expect(child.stderr + child.stdout).not.toMatch(/\n\s+at |\bat .+:\d+:\d+/);
    });
  }, 20_000);

  test("an unreachable database: exits non-zero, with no stack trace and no password", async () => {
    const port = await freePort(); // nobody listens there
    const child = spawnService({
      env: { CONFIG_PATH: configFile(OPENG2P_EXAMPLE), DATABASE_URL: `postgres://idgen:s3cret-pw@127.0.0.1:${port}/idgen`, PORT: "0" },
      label: "no-database",
      timeoutMs: 30_000,
    });
    children.push(child);
    await explainFailure(() => [child], async () => {
      const code = await child.waitForExit(20_000);
      expect(code).not.toBeNull();
      expect(code).not.toBe(0);
      expect(child.logs.find((line) => line.msg === "start-up failed")).toBeDefined();
      expect(child.stderr + child.stdout).not.toMatch(/\n\s+at |\bat .+:\d+:\d+/);
      expect(child.stderr + child.stdout).not.toContain("s3cret-pw");
    });
  }, 30_000);
});
