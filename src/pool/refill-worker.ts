// The refill thread's body (see refill-thread.ts): its own connections and one engine instance per type,
// replenishPool() as the service would run it on the event loop, one refill at a time in message order.
import type { Sql } from "postgres";
import { createRules, type Rules } from "../../wasm/index.js";
import { connectDatabase } from "../db/connect";
import { THREAD_REFILL, type FromThread, type ToThread } from "./refill-thread";
import { replenishPool } from "./replenish";

declare const self: Worker;

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
      }, THREAD_REFILL);
      post({ kind: "refilled", seq: message.seq, added });
    } catch (error) {
      post({ kind: "failed", seq: message.seq, error: error instanceof Error ? error.message : String(error) });
    }
  });
};
