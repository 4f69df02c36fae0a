// The composition root: from a loaded Config to a running service. Opens (or starts) the database,
// migrates, builds each ID type's rules and pool, and wires the HTTP app. stop() is the graceful shutdown.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { Sql } from "postgres";
import type { Config } from "./config";
import { closeDatabase, connectDatabase } from "./db/connect";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded";
import type { Log } from "./db/log";
import { migrate } from "./db/migrate";
import { KeyRing } from "./auth/keys";
import { RateLimiter } from "./auth/rate-limit";
import { createApp } from "./http/app";
import { RefillThread } from "./pool/refill-thread";
import { isLevelled } from "./log";
import { readDatabaseGauges, ServiceMetrics } from "./metrics/service-metrics";
import { createAuditLog } from "./issuance/audit";
import { deleteExpiredKeys } from "./issuance/idempotency";
import { IdIssuer, type IdTypeRuntime } from "./pool/issuer";
import { startHeartbeat } from "./pool/lease";
import { TypePool } from "./pool/pool";
import { registerIdType } from "./pool/queries";
import { countCapacity, loadRules } from "./rules";
import { Sequences } from "./sequence/sequences";
import { readVersion } from "./version";

export const MIGRATIONS_DIR = resolve(import.meta.dir, "../sql/migrations");
/** A graceful stop (SIGTERM) exits within this; deploy/'s terminationGracePeriodSeconds is checked against it. */
export const STOP_DEADLINE_MS = 10_000;

export interface Service {
  app: ReturnType<typeof createApp>;
  issuer: IdIssuer;
  sequences: Sequences;
  sql: Sql;
  /** Returns buffered IDs to their pools and closes the database. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  config: Config;
  log: Log;
  /** This pod's name in claims and leases; defaults to host name, process id and a random suffix. */
  pod?: string;
  /** Request ids, /metrics and the pools' observers; default on. Off only to measure what they cost (bench/). */
  observe?: boolean;
}

/** Connections per pod: the claim path holds one for one short statement; refills, leases and scrapes the rest. */
const DB_POOL_MAX = 10;

// The random suffix matters: in a container the pid is often 1 and a restarted container keeps its host name,
// so without it a new process would renew the lease of its crashed predecessor and keep that one's leftover
// claims looking alive (a type could then never be declared exhausted).
const defaultPodName = () => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

export async function startService({ config, log, pod = defaultPodName(), observe = true }: ServiceOptions): Promise<Service> {
  let embedded: EmbeddedPostgres | undefined;
  let url: string;
  if (config.database.embedded) {
    embedded = await startEmbeddedPostgres({ log, dataDir: config.database.dataDir });
    url = embedded.url;
  } else {
    url = config.database.url;
  }
  const applicationName = `idgen/${pod}`;
  const sql = connectDatabase({ url, log, max: DB_POOL_MAX, applicationName });
  // Refills off the event loop (src/pool/refill-thread.ts), on connections of their own, named apart from the
  // pod's pool (its gauges count connections by name) with a different prefix, which truncation to 63 bytes keeps.
  const refills = config.idGenerator.refillInWorker ? new RefillThread({ url, applicationName: `idgen-refill/${pod}` }) : undefined;
  let running: IdIssuer | undefined; // for the metrics' buffer gauges, once the types are up
  let counters: Sequences | undefined; // likewise, once the counters are
  const metrics = observe ? newMetrics() : undefined;
  let ready = false;
  const timers: ReturnType<typeof setInterval>[] = [];
  const stopping = new AbortController();
  let heartbeat: { stop(): Promise<void> } | undefined;
  try {
    await migrate(sql, { dir: MIGRATIONS_DIR, log });
    // Before the first claim: a claim of a pod without a live lease counts as waste on the other pods.
    heartbeat = await startHeartbeat(sql, pod, log, config.idGenerator.podLeaseSeconds);
    log({ level: "info", msg: "pod lease taken", pod, leaseSeconds: config.idGenerator.podLeaseSeconds });
    const types = await Promise.all(Object.values(config.idGenerator.idTypes).map((type) => startType(type)));
    const issuer = new IdIssuer(types);
    // Sequential counters: defined from the config (the default one always), each prefetch counter's first block taken.
    const sequences = await Sequences.start({ sql, log, counters: Object.values(config.sequences.counters) });
    running = issuer;
    counters = sequences;
    const version = readVersion();
    // Probes must answer within their own timeout even when the database host is unreachable (a connect
    // attempt then takes up to connect_timeout): a second without an answer counts as down.
    const databaseAnswers = async () => {
      const query = sql`select 1`.execute().then(() => true, () => false);
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref?.());
      return Promise.race([query, timeout]);
    };
    // Accountability (issue 5): keys, audit by group commit, idempotency replies and their hourly cleanup.
    const { accountability } = config;
    const keys = new KeyRing(accountability.keys.map((key) => ({ ...key, digest: Buffer.from(key.sha256, "hex") })));
    if (keys.open) log({ level: "warn", msg: "NO API KEYS CONFIGURED: the service is OPEN, anyone who can reach it may issue and look up IDs. Set IDGEN_API_KEYS or the config file's keys section." });
    else log({ level: "info", msg: "API keys required", keys: keys.names });
    if (!accountability.audit) log({ level: "warn", msg: "audit is OFF (IDGEN_AUDIT=off): issued IDs are not recorded and lookups cannot tell who took them" });
    const audit = accountability.audit ? createAuditLog(sql, accountability.auditWriters) : null;
    const cleanup = () => void deleteExpiredKeys(sql)
      .then((deleted) => deleted > 0 && log({ level: "info", msg: "expired idempotency keys deleted", deleted }))
      .catch((error) => log({ level: "warn", msg: "idempotency key cleanup failed; retried in an hour", error: String(error) }));
    cleanup();
    timers.push(setInterval(cleanup, 3600_000));
    const app = createApp({
      log,
      version: version.service_version,
      access: { keys, limiter: new RateLimiter(), maxBodyBytes: accountability.maxBodyBytes },
      openg2p: {
        issuer,
        version,
        issuance: { sql, audit, idempotencyRetentionHours: accountability.idempotencyRetentionHours, log },
        filterRules: { ...config.idGenerator.filterRules },
        health: async () => (!ready ? "starting" : (await databaseAnswers()) ? "ready" : "database"),
      },
      // Ready: started, and either the database answers or the buffers can still serve.
      sequences: { sequences, log },
      probes: { ready: async () => ready && ((await databaseAnswers()) || Object.values(issuer.buffered()).some((n) => n > 0)) },
      ...(metrics && {
        observe: {
          record: (route, method, status, seconds) => metrics.request(route, method, status, seconds),
          recorder: (route, method) => metrics.requestRecorder(route, method),
          log: isLevelled(log) ? log : undefined,
        },
        metrics: { expose: () => metrics.expose() },
      }),
    });
    const interval = config.idGenerator.poolCheckIntervalSeconds * 1000;
    for (const type of types) {
      void type.pool.replenish().catch((error) => log({ level: "error", msg: "initial refill failed", idType: type.name, error: String(error) }));
      timers.push(setInterval(() => void type.pool.check().catch((error) => log({ level: "error", msg: "pool check failed", idType: type.name, error: String(error) })), interval));
    }
    ready = true;
    return {
      app,
      issuer,
      sequences,
      sql,
      async stop() {
        ready = false;
        stopping.abort();
        for (const timer of timers) clearInterval(timer);
        const returned = await issuer.close();
        await refills?.close();
        await audit?.flushed();
        if (audit) log({ level: "info", msg: "audit records written", ...audit.stats });
        log({ level: "info", msg: "buffered IDs returned to their pools", returned });
        // Counter numbers held in memory go back to the counter row where no other pod has taken numbers since,
        // and into counter_returned otherwise (src/sequence/counter.ts close); lost only if the database refuses.
        const counters = await sequences.close();
        log({ level: counters.lost > 0n ? "warn" : "info", msg: "counter numbers given back", returned: counters.returned, recorded: counters.recorded, lost: counters.lost });
        await heartbeat?.stop();
        await closeDatabase(sql);
        await embedded?.stop();
      },
    };
  } catch (error) {
    stopping.abort();
    for (const timer of timers) clearInterval(timer);
    await heartbeat?.stop().catch(() => undefined);
    await refills?.close().catch(() => undefined);
    await closeDatabase(sql).catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }

  function newMetrics(): ServiceMetrics {
    const types = Object.values(config.idGenerator.idTypes).map((type) => ({
      name: type.name, poolTarget: type.pool.target, poolMinThreshold: type.pool.minThreshold, bufferSize: type.buffer.size,
      bufferMax: type.buffer.max,
    }));
    return new ServiceMetrics({
      version: readVersion().service_version,
      dbPoolMax: DB_POOL_MAX,
      buffered: () => running?.buffered() ?? {},
      counterBuffered: () => counters?.buffered() ?? {},
      readDatabase: () => readDatabaseGauges(sql, applicationName),
    }, types);
  }

  async function startType(type: Config["idGenerator"]["idTypes"][string]): Promise<IdTypeRuntime> {
    const rules = await loadRules(type.rules);
    // Small spaces are counted exactly by createRules. Larger ones are counted (or estimated) in the
    // background: they cannot run out before that finishes, and start-up must not wait seconds for it.
    const known = rules.knownCapacity();
    const capacity = known ? { count: known.count, exact: true } : { count: 0n, exact: false };
    await registerIdType(sql, { name: type.name, idLength: type.idLength, capacity: capacity.count, capacityExact: capacity.exact });
    const pool = new TypePool({
      sql, log, pod, idType: type.name, rules, capacity,
      target: type.pool.target, threshold: type.pool.minThreshold, bufferSize: type.buffer.size, lowWater: type.buffer.lowWater,
      bufferMax: type.buffer.max, leaseSeconds: config.idGenerator.podLeaseSeconds, observer: metrics?.poolObserver(type.name),
      refill: refills && ((wanted) => refills.refill({ ...wanted, rules: type.rules })),
    });
    if (!known) {
      void countCapacity(type.rules, stopping.signal).then(async (counted) => {
        pool.setCapacity({ count: counted.count, exact: counted.exact });
        await registerIdType(sql, { name: type.name, idLength: type.idLength, capacity: counted.count, capacityExact: counted.exact });
        log({ level: "info", msg: "capacity counted", idType: type.name, capacity: counted.count.toString(), exact: counted.exact });
      }).catch((error) => {
        if (!stopping.signal.aborted) log({ level: "error", msg: "capacity failed", idType: type.name, error: String(error) });
      });
    }
    log({ level: "info", msg: "id type ready", idType: type.name, idLength: type.idLength, profile: type.rules.profile, chunkSize: pool.sizes.chunkSize });
    return { name: type.name, idLength: type.idLength, rules, pool };
  }
}
