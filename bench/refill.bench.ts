// Pool refill and claim rates straight into PostgreSQL (issue 3: refill >= 150k IDs/s at length 10). Every
// variant is the whole refill as the service runs it: src/pool/replenishPool (generation in slices, the lock,
// the recount, the insert), called with a different insert (`register`), number of parallel transactions
// (`parts`) or step; the shipped one with the refill thread's settings (src/pool/refill-thread.ts
// THREAD_REFILL). Each on its own fresh database, in interleaved rounds (the order rotates) of `batch` IDs
// each; then chunk claims. Checks the pools it built are exact (no ID twice, counts agree). Standalone:
// `bun bench/refill.bench.ts` (ROUNDS, REFILL_BATCH); `npm run bench` runs it as one section.
import { createRules } from "../wasm/index.js";
import { benchDatabase, type BenchDatabase } from "./lib/bench-db";
import { asText, probingEach, shipped, unnestAntiJoin, unnestRandom } from "./lib/refill-variants";
import { THREAD_REFILL } from "../src/pool/refill-thread";
import { claimChunks, countAvailable } from "../src/pool/queries";
import { replenishPool, type RefillOptions } from "../src/pool/replenish";
import { median } from "./lib/stats";

export interface RefillSettings {
  rounds: number;
  batch: number;
  claimSizes: number[];
  log: (message: string) => void;
  /** Quick mode: the path before this work and the shipped one only. */
  onlyBeforeAndShipped?: boolean;
}

/** The last migration a variant's database gets: 2 (migration 001's schema, with 002's leases), 6 (the registry
 * keyed (id_type, id), before 007), 7 (chunks compressed, before 008), 8 (the registry as text, before 009) or
 * Infinity (all). Variants that register as text (the anti-join, the lookup per candidate, asText) run on a schema
 * before 009: since 009 pool_id refuses IDs of up to 18 digits (they go to pool_id_num). */
type Schema = number;
/** Before each of its rounds a `drained` variant's pool is emptied the way pods empty it (every chunk claimed):
 * the state a refill must be fast in (pods waiting on it), where the refill thread runs REFILL_PARTS parts. The
 * others refill a pool that still holds earlier rounds' IDs (more than a quarter of the target: one part). */
const ALL_VARIANTS: { name: string; schema: Schema; options: RefillOptions; note: string; drained?: boolean }[] = [
  { name: "before: one statement, anti-join, 1 transaction", schema: 8, options: { register: unnestAntiJoin, parts: 1 }, note: "shipped until this work (migration 005)" },
  { name: "001 schema, unnest unsorted, 1 transaction", schema: 2, options: { register: unnestRandom, parts: 1 }, note: "migration 001's path and schema" },
  { name: "anti-join, 2 parts", schema: 8, options: { register: unnestAntiJoin, parts: 2 }, note: "parallel only" },
  { name: "COPY after probe, 1 transaction", schema: Infinity, options: { register: shipped, parts: 1 }, note: "COPY only" },
  { name: "COPY after probe, 3 parts", schema: Infinity, options: { register: shipped, parts: 3 }, note: "more parts than cores" },
  { name: "refills on the event loop (replenishPool defaults)", schema: Infinity, options: {}, note: "COPY after probe, 2 parts, steps of 10k (refill_in_worker: false)" },
  { name: "shipped, pool drained: the refill thread's settings", schema: Infinity, options: THREAD_REFILL, drained: true, note: "COPY after probe, steps 10k doubling to 200k; the pool was empty (all claimed), so 2 parts: what pods waiting on a refill get" },
  { name: "shipped, pool healthy: the refill thread's settings", schema: Infinity, options: THREAD_REFILL, note: "the same; the pool still held more than a quarter of its target, so 1 part (background: leaves a core to the requests)" },
  { name: "before 009: the registry as text (pool_id), pool drained, the refill thread's settings", schema: 8, options: { ...THREAD_REFILL, register: asText }, drained: true, note: "the shipped drained refill with every ID registered as text in pool_id, key (id, id_type), as before migration 009 (numbers in pool_id_num)" },
  { name: "before 007: key (id_type, id), pool drained, the refill thread's settings", schema: 6, options: { ...THREAD_REFILL, register: asText }, drained: true, note: "the shipped drained refill on the registry's key before migration 007 (id_type first)" },
  { name: "before 008: chunks compressed (pglz), pool drained, the refill thread's settings", schema: 7, options: { ...THREAD_REFILL, register: asText }, drained: true, note: "the shipped drained refill with chunks stored as before migration 008 (compressed by pglz)" },
  { name: "before the one-scan probe: a lookup per candidate, pool drained, the refill thread's settings", schema: 8, options: { ...THREAD_REFILL, register: probingEach }, drained: true, note: "the shipped drained refill with the probe shipped before (a LATERAL lookup per candidate instead of one index scan, id = any)" },
];

const only = (schema: Schema) => (file: string) => Number(file.slice(0, 3)) <= schema;
export async function runRefillBench({ rounds, batch, claimSizes, log, onlyBeforeAndShipped = false }: RefillSettings) {
  const VARIANTS = onlyBeforeAndShipped ? ALL_VARIANTS.filter((v, i) => i === 0 || v.name.startsWith("shipped")) : ALL_VARIANTS;
  const rules = await createRules({ id_length: 10 });
  const databases: BenchDatabase[] = [];
  const samples = new Map<string, number[]>(VARIANTS.map((variant) => [variant.name, []]));
  const generation: number[] = [];
  try {
    for (const variant of VARIANTS) {
      const db = await benchDatabase("refill", { only: only(variant.schema), max: 4 });
      await db.sql`insert into id_type (name, id_length) values ('bench', 10)`;
      databases.push(db);
    }
    const capacity = { count: 10n ** 10n, exact: false }; // large: the sliced, partial-refill path
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      rules.generate(batch);
      generation.push(batch / ((performance.now() - started) / 1000));
      // Rotate the order every round: whoever goes first meets a cooler (or hotter) machine.
      for (let k = 0; k < VARIANTS.length; k++) {
        const index = (k + round) % VARIANTS.length;
        const variant = VARIANTS[index]!;
        const db = databases[index]!;
        if (variant.drained) await claimEverything(db);
        const target = (await countAvailable(db.sql, "bench")) + batch;
        const t0 = performance.now();
        const added = await replenishPool(db.sql, { idType: "bench", rules, target, chunkSize: 1000, capacity }, variant.options);
        const rate = added / ((performance.now() - t0) / 1000);
        samples.get(variant.name)!.push(rate);
      }
      log(`refill round ${round + 1}/${rounds}: ${VARIANTS.map((v) => `${Math.round(samples.get(v.name)!.at(-1)! / 1000)}k`).join(" ")}`);
    }
    for (const [index, db] of databases.entries()) await checkExact(db, VARIANTS[index]!.name);
    const shippedDb = databases[VARIANTS.findIndex((variant) => variant.name.startsWith("shipped, pool healthy"))]!;
    const claims = await measureClaims(shippedDb, claimSizes, log);
    // Ratios are medians of per-round ratios (same candidates, same minute): the machine's speed drifts.
    const before = samples.get(VARIANTS[0]!.name)!;
    return {
      batch,
      rounds,
      idLength: 10,
      generationIdsPerSecond: median(generation),
      variants: VARIANTS.map((variant) => {
        const rates = samples.get(variant.name)!;
        return { name: variant.name, note: variant.note, idsPerSecond: median(rates), ratioToBefore: median(rates.map((rate, i) => rate / before[i]!)), rounds: rates };
      }),
      claims,
    };
  } finally {
    for (const db of databases) await db.drop().catch(() => undefined);
  }
}

/** Moves every available chunk to claimed_chunk, as pods claiming the whole pool would (outside the timing). */
async function claimEverything(db: BenchDatabase) {
  await db.sql`
    with taken as (delete from pool_chunk returning chunk_id, id_type, ids)
    insert into claimed_chunk (chunk_id, id_type, ids, claimed_by) select chunk_id, id_type, ids, 'bench-drain' from taken`;
}

/** The pool a variant built must be exact: every generated ID once in the registry (the view registered_id,
 * pool_id on schemas before 009), once in a chunk (available or claimed), counts equal. */
async function checkExact(db: BenchDatabase, name: string) {
  const [view] = await db.sql<{ present: boolean }[]>`select to_regclass('registered_id') is not null as present`;
  const registry = db.sql(view!.present ? "registered_id" : "pool_id");
  const [row] = await db.sql<{ registered: string; generated: string; chunked: string; unregistered: string; distinct: string }[]>`
    with chunks as (select ids from pool_chunk union all select ids from claimed_chunk)
    select (select count(*) from ${registry}) as registered,
           (select generated from id_type where name = 'bench') as generated,
           (select coalesce(sum(cardinality(ids)), 0) from chunks) as chunked,
           (select count(*) from (select unnest(ids) from chunks except select id from ${registry}) as c) as unregistered,
           (select count(distinct id) from chunks, unnest(ids) as id) as distinct`;
  const { registered, generated, chunked, unregistered, distinct } = row!;
  if (!(registered === generated && generated === chunked && chunked === distinct && unregistered === "0")) {
    throw new Error(`${name}: pool not exact: registered ${registered}, generated ${generated}, in chunks ${chunked} (${distinct} distinct, ${unregistered} not registered)`);
  }
}

/** Chunk claims (what a pod does when its buffer runs low), IDs per second, one claim at a time. */
async function measureClaims(db: BenchDatabase, sizes: number[], log: (message: string) => void) {
  const out: { claimIds: number; chunks: number; idsPerSecond: number; claimsPerSecond: number }[] = [];
  for (const size of sizes) {
    const chunks = Math.max(1, Math.round(size / 1000));
    const rates: number[] = [];
    const [pool] = await db.sql<{ available: number }[]>`select coalesce(sum(size), 0)::int as available from pool_chunk`;
    const claims = Math.min(20, Math.floor(pool!.available / size / 2));
    for (let i = 0; i < claims; i++) {
      const t0 = performance.now();
      const claimed = await claimChunks(db.sql, "bench", chunks, "bench-pod");
      const ids = claimed.reduce((sum, chunk) => sum + chunk.ids.length, 0);
      if (ids === 0) break;
      rates.push(ids / ((performance.now() - t0) / 1000));
    }
    const idsPerSecond = median(rates);
    out.push({ claimIds: size, chunks, idsPerSecond, claimsPerSecond: idsPerSecond / size });
    log(`claim ${size} IDs (${chunks} chunks): ${Math.round(idsPerSecond / 1000)}k IDs/s`);
  }
  return out;
}

if (import.meta.main) {
  const results = await runRefillBench({
    rounds: Number(process.env.ROUNDS ?? 5),
    batch: Number(process.env.REFILL_BATCH ?? 100_000),
    claimSizes: [1000, 5000],
    log: (message) => console.error(`[bench:refill] ${message}`),
  });
  console.log(JSON.stringify(results, null, 2));
}
