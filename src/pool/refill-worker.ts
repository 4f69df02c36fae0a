// The refill thread's body (see refill-thread.ts): its own connections and one engine instance per type,
// replenishPool() as the service would run it on the event loop, one refill at a time in message order.
import type { Sql } from "postgres";
import { createRules, type Rules } from "../../wasm/index.js";
import { connectDatabase } from "../db/connect";
import type { FromThread, ToThread } from "./refill-thread";
import { REFILL_PARTS, replenishPool } from "./replenish";

declare const self: Worker;

/** Candidates per refill step here: on the event loop a step is kept to 10k (replenish.ts REFILL_STEP) so
 * that it stalls requests for a few ms only; here nothing waits on it, and fewer steps mean fewer lock,
 * recount and commit rounds. */
const THREAD_STEP = 50_000;

/**
 * One transaction unless the pool is below a quarter of its target, then REFILL_PARTS. Two parts keep two
 * PostgreSQL backends busy beside this thread, and on a 2-core pod that takes the core the requests need:
 * issuance p99 2.6-3.0x the trivial handler's with one part, 2.6-10x with two, for about the same throughput
 * (three rounds each, 2026-12-06, an uncommitted variant of bench/service.bench.ts's issue scenario). A pool
 * running low still refills at full speed.
 */
const partsFor = (available: number, target: number) => (available * 4 < target ? REFILL_PARTS : 1);

let sql: Sql | null = null;
const engines = new Map<string, Promise<Rules>>();
let queue: Promise<unknown> = Promise.resolve();
const post = (message: FromThread) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToThread>) => {
  const message = event.data;
  if (message.kind === "open") {
    // Notices go nowhere: the pod's own connections log the server's notices (migrations), a refill raises none.
    sql = connectDatabase({ url: message.url, log: () => undefined, max: message.max, applicationName: message.applicationName });
    return;
  }
  if (message.kind === "close") {
    queue = queue.then(async () => {
      await sql?.end({ timeout: 5 }).catch(() => undefined);
      post({ kind: "closed" });
    });
    return;
  }
  queue = queue.then(async () => {
    try {
      if (!sql) throw new Error("refill thread has no database connection");
      let rules = engines.get(message.idType);
      if (!rules) engines.set(message.idType, (rules = createRules(message.rules)));
      const added = await replenishPool(sql, {
        idType: message.idType,
        rules: await rules,
        target: message.target,
        chunkSize: message.chunkSize,
        capacity: { count: BigInt(message.capacity.count), exact: message.capacity.exact },
      }, { step: THREAD_STEP, parts: partsFor });
      post({ kind: "refilled", seq: message.seq, added });
    } catch (error) {
      post({ kind: "failed", seq: message.seq, error: error instanceof Error ? error.message : String(error) });
    }
  });
};
