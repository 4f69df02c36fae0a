// The service's metrics: what each pool reports as it works (issued, claims, refills), HTTP requests by route
// pattern and status, and gauges that need the database (pool levels, space used and remaining, connections),
// read at scrape time with a short timeout and cached, never on the request path. docs/operations.md lists
// every series and the alerts built on them (deploy/base/prometheusrule.yaml).
import type { PoolObserver } from "../pool/pool";
import { readDatabaseGauges, type DatabaseGauges } from "./queries";
import { Registry, type Counter, type Gauge, type Histogram } from "./registry";

/** Seconds. Claims and refills are database statements: a few ms normally, seconds when the database struggles. */
const DATABASE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds. Issuance from the buffer is sub-millisecond; a request that waits for a claim takes up to ~2 s. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface TypeSettings {
  name: string;
  poolTarget: number;
  poolMinThreshold: number;
  bufferSize: number;
  /** Most IDs one claim may ask for under load (buffer_max). */
  bufferMax: number;
}

export interface ServiceMetricsOptions {
  /** IDs in this pod's buffers, by type (read at scrape time). */
  buffered: () => Record<string, number>;
  /** Numbers this pod holds per sequential counter (read at scrape time). */
  counterBuffered?: () => Record<string, number>;
  /** The database gauges; defaults to the real queries. Absent database: the metrics say so. */
  readDatabase?: () => Promise<DatabaseGauges>;
  /** A scrape waits this long for the database, then serves the last values read. */
  databaseTimeoutMs?: number;
  /** Database gauges read less than this long ago are served from the cache (several scrapers, one query). */
  cacheMs?: number;
  version: string;
  dbPoolMax: number;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #issued: Counter;
  readonly #waits: Counter;
  readonly #claimDuration: Histogram;
  readonly #claimedIds: Counter;
  readonly #claimFailures: Counter;
  readonly #refillDuration: Histogram;
  readonly #refilledIds: Counter;
  readonly #refillFailures: Counter;
  readonly #requestDuration: Histogram;
  readonly #buffer: Gauge;
  readonly #available: Gauge;
  readonly #capacity: Gauge;
  readonly #capacityExact: Gauge;
  readonly #spaceUsed: Gauge;
  readonly #spaceRemaining: Gauge;
  readonly #connections: Gauge;
  readonly #databaseUp: Gauge;
  readonly #counterBuffered: Gauge;
  readonly #counterReturned: Gauge;
  readonly #databaseAge: Gauge;
  readonly #options: ServiceMetricsOptions;
  #readAt = -Infinity;
  #reading: Promise<void> | null = null;

  constructor(options: ServiceMetricsOptions, types: TypeSettings[]) {
    this.#options = options;
    const r = this.registry;
    r.gauge("idgen_build_info", "This build's version (always 1).", ["version"]).set({ version: options.version }, 1);
    this.#issued = r.counter("idgen_ids_issued_total", "IDs issued by this pod.", ["id_type"]);
    this.#waits = r.counter("idgen_buffer_waits_total", "Issue requests (single or batch) that found this pod's buffer short and waited on the database; in steady state it stays flat.", ["id_type"]);
    this.#buffer = r.gauge("idgen_buffer_ids", "IDs in this pod's in-memory buffer.", ["id_type"]);
    this.#claimDuration = r.histogram("idgen_claim_duration_seconds", "Claims of IDs from the pool into this pod's buffer.", ["id_type"], DATABASE_BUCKETS);
    this.#claimedIds = r.counter("idgen_claimed_ids_total", "IDs claimed from the pool by this pod.", ["id_type"]);
    this.#claimFailures = r.counter("idgen_claim_failures_total", "Claims that failed (database error).", ["id_type"]);
    this.#refillDuration = r.histogram("idgen_refill_duration_seconds", "Refills of the pool run by this pod (generation and insert).", ["id_type"], DATABASE_BUCKETS);
    this.#refilledIds = r.counter("idgen_refilled_ids_total", "IDs added to the pool by this pod's refills; rate() is the refill rate.", ["id_type"]);
    this.#refillFailures = r.counter("idgen_refill_failures_total", "Refills that failed (database error).", ["id_type"]);
    const target = r.gauge("idgen_pool_target_ids", "Configured pool_target: a refill tops the pool up to this.", ["id_type"]);
    const threshold = r.gauge("idgen_pool_min_threshold_ids", "Configured pool_min_threshold: a refill starts below this.", ["id_type"]);
    const bufferSize = r.gauge("idgen_buffer_size_ids", "Configured buffer_size: IDs per claim at low rates (and per pool chunk).", ["id_type"]);
    const bufferMax = r.gauge("idgen_buffer_max_ids", "Configured buffer_max: most IDs per claim, as claims grow with demand.", ["id_type"]);
    this.#available = r.gauge("idgen_pool_available_ids", "IDs available in the database pool (all pods), read at scrape time.", ["id_type"]);
    this.#capacity = r.gauge("idgen_space_capacity_ids", "Valid IDs of the type (the rules engine's capacity(); an estimate until counted).", ["id_type"]);
    this.#capacityExact = r.gauge("idgen_space_capacity_exact", "1 when idgen_space_capacity_ids is an exact count.", ["id_type"]);
    this.#spaceUsed = r.gauge("idgen_space_used_ids", "IDs of the space issued or held in pods' buffers (generated minus available).", ["id_type"]);
    this.#spaceRemaining = r.gauge("idgen_space_remaining_ids", "IDs that can still be issued: capacity minus used.", ["id_type"]);
    this.#requestDuration = r.histogram("idgen_http_request_duration_seconds", "HTTP requests by route pattern, method and status.", ["route", "method", "status"], REQUEST_BUCKETS);
    r.gauge("idgen_db_pool_max_connections", "Size of this pod's database connection pool.").set(undefined, options.dbPoolMax);
    this.#connections = r.gauge("idgen_db_pool_connections", "This pod's open database connections by state (pg_stat_activity), read at scrape time.", ["state"]);
    this.#counterBuffered = r.gauge("idgen_sequence_buffered_numbers", "Numbers of the counter this pod holds in memory (a crash would leave them a gap).", ["counter"]);
    this.#counterReturned = r.gauge("idgen_sequence_returned_numbers", "Numbers of the counter stopped pods held unused, waiting in counter_returned for the next block takes (all pods), read at scrape time.", ["counter"]);
    this.#databaseUp = r.gauge("idgen_metrics_database_up", "1 when the last scrape-time database read succeeded; 0: database gauges are stale.");
    this.#databaseAge = r.gauge("idgen_metrics_database_age_seconds", "Age of the database gauges served.");
    for (const type of types) {
      const labels = { id_type: type.name };
      target.set(labels, type.poolTarget);
      threshold.set(labels, type.poolMinThreshold);
      bufferSize.set(labels, type.bufferSize);
      bufferMax.set(labels, type.bufferMax);
      this.#issued.inc(labels, 0); // every type's series exists from the start, so rate() sees the first issue
      this.#waits.inc(labels, 0);
      this.#claimedIds.inc(labels, 0);
      this.#claimFailures.inc(labels, 0);
      this.#refilledIds.inc(labels, 0);
      this.#refillFailures.inc(labels, 0);
    }
  }

  /** The observer one type's pool reports to (series bound once: an issue costs one addition). */
  poolObserver(idType: string): PoolObserver {
    const labels = { id_type: idType };
    const issued = this.#issued.with(labels);
    const waits = this.#waits.with(labels);
    const claimDuration = this.#claimDuration.with(labels);
    const claimed = this.#claimedIds.with(labels);
    const claimFailures = this.#claimFailures.with(labels);
    const refillDuration = this.#refillDuration.with(labels);
    const refilled = this.#refilledIds.with(labels);
    const refillFailures = this.#refillFailures.with(labels);
    return {
      issued: () => issued.inc(),
      waited: () => waits.inc(),
      claimed(ids, seconds, failed) {
        claimDuration.observe(seconds);
        if (failed) claimFailures.inc();
        else claimed.inc(ids);
      },
      refilled(ids, seconds, failed) {
        refillDuration.observe(seconds);
        if (failed) refillFailures.inc();
        else refilled.inc(ids);
      },
    };
  }

  /** Bound request series by "route method status": one string lookup per request, no label object. */
  readonly #requestSeries = new Map<string, { observe(value: number): void }>();

  /** Records one HTTP request. `route` must be the matched pattern (bounded), never the raw path. */
  request(route: string, method: string, status: number, seconds: number): void {
    this.#requestSeriesOf(route, method, status).observe(seconds);
  }

  /**
   * A recorder of one route and method (a hot route's lane, src/http/lane.ts), its status-200 series bound once:
   * no key to build or look up per request. Other statuses go through the map, as request() does.
   */
  requestRecorder(route: string, method: string): (status: number, seconds: number) => void {
    const ok = this.#requestSeriesOf(route, method, 200);
    return (status, seconds) => (status === 200 ? ok : this.#requestSeriesOf(route, method, status)).observe(seconds);
  }

  #requestSeriesOf(route: string, method: string, status: number): { observe(value: number): void } {
    const key = `${route} ${method} ${status}`;
    let series = this.#requestSeries.get(key);
    if (!series) {
      series = this.#requestDuration.with({ route, method, status: String(status) });
      this.#requestSeries.set(key, series);
    }
    return series;
  }

  /** The exposition, with the scrape-time gauges refreshed first. */
  async expose(): Promise<string> {
    for (const [idType, ids] of Object.entries(this.#options.buffered())) this.#buffer.set({ id_type: idType }, ids);
    for (const [counter, numbers] of Object.entries(this.#options.counterBuffered?.() ?? {})) this.#counterBuffered.set({ counter }, numbers);
    await this.#refreshDatabase();
    this.#databaseAge.set(undefined, Number.isFinite(this.#readAt) ? (performance.now() - this.#readAt) / 1000 : -1);
    return this.registry.expose();
  }

  async #refreshDatabase(): Promise<void> {
    if (performance.now() - this.#readAt < (this.#options.cacheMs ?? 1000)) return;
    // One read at a time: concurrent scrapes share it, and a slow database never piles up scrape queries.
    this.#reading ??= (this.#options.readDatabase ?? (() => Promise.reject(new Error("no database reader"))))()
      .then((gauges) => {
        this.#apply(gauges);
        this.#readAt = performance.now();
        this.#databaseUp.set(undefined, 1);
      }, () => this.#databaseUp.set(undefined, 0))
      .finally(() => {
        this.#reading = null;
      });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.databaseTimeoutMs ?? 500)));
    await Promise.race([this.#reading, timeout.then(() => this.#databaseUp.set(undefined, 0))]);
    clearTimeout(timer);
  }

  #apply(gauges: DatabaseGauges): void {
    for (const gauge of [this.#available, this.#capacity, this.#capacityExact, this.#spaceUsed, this.#spaceRemaining]) gauge.reset();
    for (const type of gauges.types) {
      const labels = { id_type: type.name };
      const used = Math.max(0, type.generated - type.available);
      this.#available.set(labels, type.available);
      this.#spaceUsed.set(labels, used);
      // A capacity not yet counted (large types are counted in the background at start-up) is no capacity:
      // exporting 0 would read as "nothing left" and fire the exhaustion alerts.
      if (type.capacity === 0 && !type.capacityExact) continue;
      this.#capacity.set(labels, type.capacity);
      this.#capacityExact.set(labels, type.capacityExact ? 1 : 0);
      this.#spaceRemaining.set(labels, Math.max(0, type.capacity - used));
    }
    this.#counterReturned.reset();
    for (const counter of gauges.counters) this.#counterReturned.set({ counter: counter.name }, counter.returned);
    this.#connections.reset();
    for (const state of ["active", "idle", "idle in transaction", "other"]) this.#connections.set({ state }, gauges.connections[state] ?? 0);
  }
}

export type { DatabaseGauges };
export { readDatabaseGauges };
