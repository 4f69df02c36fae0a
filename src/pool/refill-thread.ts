// Refills in a worker thread. A refill is JavaScript work on the pod beside the database's: generating
// candidates in the engine, deduping and sorting them, building the probe's parameter and the COPY text,
// about 0.5 µs per ID. On the event loop, in slices and steps, that still held requests up for 5-30 ms at a
// time while a pool refilled under load, and took a sixth of the event loop's time (a CPU profile of
// issuance, `bun --cpu-prof-md src/main.ts` under wrk). Here it runs on another thread with its own
// connections; the pod's event loop only posts a message and reads the count back. Which refill runs where
// changes nothing of how refills coordinate: that is in the database (src/pool/replenish.ts).
//
// RefillThread is the pod's side; refill-worker.ts is the thread's body. One thread per pod, started on the
// first refill, serves every type in turn (refills of one pod run one at a time anyway: replenish.ts
// oneAtATime). A thread that dies fails the refills it had and is replaced at the next one.
import type { RuleOptions } from "../../wasm/index.js";
import { REFILL_PARTS, type RefillOptions, type ReplenishTarget } from "./replenish";

/** What a refill needs, in a form that crosses to the thread: the rules' options, not an engine instance (the
 * thread builds its own). */
export type RefillRequest = Omit<ReplenishTarget, "rules"> & { rules: RuleOptions };

/**
 * The largest refill step here (steps start at REFILL_STEP, 10k, and double, so the first IDs of a refill
 * still land as soon as on the event loop): there a step is kept to 10k so that it stalls requests for a few
 * ms only; here nothing waits on it. Larger steps cost PostgreSQL less per ID, because a step's candidates
 * are probed and inserted in key order and more of them share each B-tree leaf page: with 5M IDs registered,
 * 7.7 µs of database CPU per ID in steps of 200k against 10.5 in steps of 50k and 14.8 in steps of 5k
 * (`npm run bench:registry`, 2026-12-06, shared_buffers 128 MB; bench/results/registry-latest.md). A step of
 * 200k holds the type's refill lock for about two seconds; other pods' refills of the type wait, requests do not.
 */
const THREAD_STEP = 200_000;

/**
 * One transaction unless the pool is below a quarter of its target, then REFILL_PARTS. Two parts keep two
 * PostgreSQL backends busy beside this thread, and on a 2-core pod that takes the core the requests need:
 * issuance p99 2.6-3.0x the trivial handler's with one part, 2.6-10x with two, for about the same throughput
 * (three rounds each, 2026-12-06, an uncommitted variant of bench/service.bench.ts's issue scenario). A pool
 * running low still refills at full speed.
 */
const partsFor: RefillOptions["parts"] = (available: number, target: number) => (available * 4 < target ? REFILL_PARTS : 1);

/** How the thread runs replenishPool (bench/refill.bench.ts measures it as "shipped"). */
export const THREAD_REFILL: RefillOptions = { step: THREAD_STEP, parts: partsFor };

/** Messages to the thread. */
export type ToThread =
  | { kind: "open"; url: string; applicationName: string; max: number }
  | { kind: "refill"; seq: number; idType: string; rules: RuleOptions; target: number; chunkSize: number; capacity: { count: string; exact: boolean } }
  | { kind: "close" };

/** Messages from the thread. */
export type FromThread = { kind: "refilled"; seq: number; added: number } | { kind: "failed"; seq: number; error: string } | { kind: "closed" };

/** Connections of the thread: a refill's coordinator and its other part (replenish.ts REFILL_PARTS), and one spare. */
export const THREAD_CONNECTIONS = 3;

export interface RefillThreadOptions {
  url: string;
  applicationName: string;
}

export class RefillThread {
  readonly #options: RefillThreadOptions;
  #worker: Worker | null = null;
  #seq = 0;
  /** Refills posted and not yet answered, by sequence number. */
  readonly #pending = new Map<number, { resolve: (added: number) => void; reject: (error: Error) => void; refilled: Promise<number> }>();
  #closing: Promise<void> | null = null;

  constructor(options: RefillThreadOptions) {
    this.#options = options;
  }

  /** Refills one type's pool in the thread; resolves to IDs added, rejects with the thread's error. */
  refill(request: RefillRequest): Promise<number> {
    if (this.#closing) return Promise.reject(new Error("refill thread closed"));
    const worker = this.#started();
    const seq = ++this.#seq;
    let settle!: { resolve: (added: number) => void; reject: (error: Error) => void };
    const refilled = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
    this.#pending.set(seq, { ...settle, refilled });
    const { capacity, ...rest } = request;
    worker.postMessage({ kind: "refill", seq, ...rest, capacity: { count: capacity.count.toString(), exact: capacity.exact } } satisfies ToThread);
    return refilled;
  }

  /** Waits for the refills in flight (callers await their own first), closes the thread's connections, ends it. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const worker = this.#worker;
      if (!worker) return;
      await Promise.allSettled([...this.#pending.values()].map((waiting) => waiting.refilled));
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        worker.addEventListener("message", (event: MessageEvent<FromThread>) => {
          if (event.data.kind === "closed") {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      worker.postMessage({ kind: "close" } satisfies ToThread);
      await closed;
      worker.terminate();
      this.#worker = null;
    })();
    return this.#closing;
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./refill-worker.ts", import.meta.url));
    worker.onmessage = (event: MessageEvent<FromThread>) => {
      const message = event.data;
      if (message.kind === "closed") return;
      const waiting = this.#pending.get(message.seq);
      if (!waiting) return;
      this.#pending.delete(message.seq);
      if (message.kind === "refilled") waiting.resolve(message.added);
      else waiting.reject(new Error(message.error));
    };
    worker.onerror = (event) => this.#lost(worker, event.message || "refill thread failed");
    worker.addEventListener("close", () => this.#lost(worker, "refill thread exited"));
    worker.postMessage({ kind: "open", url: this.#options.url, applicationName: this.#options.applicationName, max: THREAD_CONNECTIONS } satisfies ToThread);
    this.#worker = worker;
    return worker;
  }

  /** The thread is gone: its refills fail (their transactions died with its connections), the next refill starts a new one. */
  #lost(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    for (const [seq, waiting] of this.#pending) {
      this.#pending.delete(seq);
      waiting.reject(new Error(reason));
    }
    if (!this.#closing) worker.terminate();
  }
}
