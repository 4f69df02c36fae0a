// Exhaustion under concurrency: a length-4 and a length-5 type drained through three pods at once, by many
// clients each. Exactly 465 and 3,723 distinct IDs (every valid ID of each space, once), then 410 IDG-002
// from every pod, and never a 410 while IDs remained.
import { afterAll, expect, test } from "bun:test";
import { createRules } from "../../wasm/index.js";
import { issueId } from "../support/client";
import { testDatabase, type TestDatabase } from "../support/database";
import { explainFailure, killAll, startPod, tempFile, type ServiceProcess } from "../support/processes";

const SPACES = { four: { length: 4, size: 465 }, five: { length: 5, size: 3723 } } as const;
const CONFIG = `id_generator:
  pool_check_interval_seconds: 2
  id_types:
    four:
      id_length: 4
    five:
      id_length: 5
`;

const configFile = tempFile("config.yaml", CONFIG);
let db: TestDatabase | undefined;
const pods: ServiceProcess[] = [];

afterAll(async () => {
  await killAll();
  await db?.drop();
  configFile.remove();
});

test("length 4 and length 5 drained through three pods at once: 465 and 3,723 distinct IDs, then 410 everywhere", async () => {
  db = await testDatabase();
  const started = await Promise.all(
    [0, 1, 2].map((n) => startPod({ env: { CONFIG_PATH: configFile.path, DATABASE_URL: db!.url, PORT: "0" }, label: `drain-${n}`, timeoutMs: 120_000 })),
  );
  pods.push(...started.map((one) => one.pod));
  const urls = started.map((one) => one.url);
  await explainFailure(() => pods, async () => {
    const results = await Promise.all(
      Object.entries(SPACES).map(async ([type, space]) => {
        const ids: string[] = [];
        const problems: string[] = [];
        // 410 must be final: no request sent after some client got a 410 may still get an ID. (Comparing
        // counts at the moment of a 410 would be wrong: another pod's last 200 may still be on the wire.)
        let first410 = Infinity;
        let early410 = 0;
        await Promise.all(
          Array.from({ length: 24 }, async (_, client) => {
            const url = urls[client % urls.length]!;
            for (let attempt = 0; attempt < 20_000; attempt++) {
              const sent = performance.now();
              const answer = await issueId(url, type);
              if (answer.status === 200) {
                ids.push(answer.id!);
                if (sent > first410) early410++;
              } else if (answer.status === 410 && answer.errorCode === "IDG-002") {
                first410 = Math.min(first410, performance.now());
                return;
              } else if (answer.status === 503 && answer.errorCode === "IDG-001") await Bun.sleep(5);
              else return void problems.push(`${type} on ${url}: ${answer.status} ${answer.errorCode}`);
            }
            problems.push(`${type} on ${url}: no 410 after 20,000 requests`);
          }),
        );
        return { type, space, ids, problems, early410 };
      }),
    );
    for (const { type, space, ids, problems, early410 } of results) {
      expect(problems).toEqual([]);
      expect(ids.length).toBe(space.size);
      expect(new Set(ids).size).toBe(space.size);
      expect([...ids].sort()).toEqual((await createRules({ id_length: space.length })).enumerate());
      expect(early410).toBe(0);
      for (const url of urls) expect(await issueId(url, type)).toEqual({ status: 410, errorCode: "IDG-002" });
    }
    console.info(`exhaustion: ${results.map((r) => `${r.type} ${r.ids.length}`).join(", ")} through three pods`);
  });
}, 120_000);
