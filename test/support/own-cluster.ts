// A PostgreSQL cluster that one test file starts, stops and starts again itself (embedded PostgreSQL, data in a
// temporary folder). The outage tests take the database away under load, which they must never do to the
// machine's shared server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded";
import { testLog } from "./database";

export class OwnCluster {
  #server: EmbeddedPostgres | undefined;
  readonly #dataDir: string;
  #port = 0;

  private constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  /** A new cluster on a free port, database `idgen`, data under a temp folder named after `label`. */
  static async start(label: string): Promise<OwnCluster> {
    const cluster = new OwnCluster(mkdtempSync(join(tmpdir(), `idgen-${label}-pg-`)));
    await cluster.start();
    return cluster;
  }

  get url(): string {
    if (!this.#server) throw new Error("the cluster is stopped");
    return this.#server.url;
  }

  get port(): number {
    return this.#port;
  }

  /** Starts the server, again on the same port and data after stop(), so the pods' DATABASE_URL stays right. */
  async start(): Promise<void> {
    this.#server = await startEmbeddedPostgres({ log: testLog, dataDir: this.#dataDir, port: this.#port, database: "idgen" });
    this.#port = this.#server.port;
  }

  /** Stops the server, as an outage does; the data stays. */
  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  /** For afterAll: stops the server if it runs and deletes its data, whatever state the test left. */
  async remove(): Promise<void> {
    await this.#server?.stop().catch(() => undefined);
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
