// The embedded PostgreSQL used by `npm start` without a database: first start initialises the cluster, a
// restart on the same data dir keeps the data, a taken port is avoided, stop() ends the server.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../src/db/embedded";
import type { LogEntry } from "../../src/db/log";

const scratch = mkdtempSync(join(tmpdir(), "idgen-embedded-"));
// mkdtemp makes 0700 folders; as root the server runs as user postgres, which must be able to enter it.
chmodSync(scratch, 0o755);
const dataDir = join(scratch, "postgres");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("starts, answers, keeps its data across a restart, and stops", async () => {
  // Hold a port so the server must pick another one, as it must when a system server holds 5432.
  const holder = createServer();
  const held = await new Promise<number>((done) =>
    holder.listen(0, "127.0.0.1", () => done((holder.address() as { port: number }).port)),
  );
  const entries: LogEntry[] = [];
  const log = (entry: LogEntry) => entries.push(entry);
  try {
    const first = await startEmbeddedPostgres({ dataDir, port: held, database: "idgen", log });
    expect(first.port).not.toBe(held);
    const started = entries.filter((entry) => entry.msg === "embedded postgres started");
    expect(started).toEqual([expect.objectContaining({ level: "info", dataDir, initialised: true, url: first.url })]);
    let sql = postgres(first.url, { max: 1 });
    expect([...(await sql`select 1 as one`)]).toEqual([{ one: 1 }]);
    await sql`create table kept (note text)`;
    await sql`insert into kept values ('still here')`;
    await sql.end();
    await first.stop();
    await expect(postgres(first.url, { max: 1, connect_timeout: 2 })`select 1`).rejects.toThrow();

    const second = await startEmbeddedPostgres({ dataDir, port: held, database: "idgen", log });
    expect(entries.at(-1)).toMatchObject({ msg: "embedded postgres started", initialised: false });
    sql = postgres(second.url, { max: 1 });
    expect([...(await sql`select note from kept`)]).toEqual([{ note: "still here" }]);
    await sql.end();
    // A second server on a data dir in use is refused by PostgreSQL's lock file, and the error says so.
    await expect(startEmbeddedPostgres({ dataDir, log })).rejects.toThrow(/postmaster\.pid/);
    await second.stop();
  } finally {
    holder.close();
  }
});
