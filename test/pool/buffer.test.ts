// The prefetch buffer's claim-ahead: with a fixed low-water mark, a claim slower than the time the mark's IDs
// last leaves the buffer empty once per buffer's worth of takes (every request on the pod waits); the adaptive
// mark starts claims early enough that, after the first claims have shown the rate and the claim duration,
// the buffer never runs dry. The claim here is a function with a fixed delay, not the database: what is under
// test is when the buffer asks, and the database's share is its latency (src/pool/pool.ts claims for real,
// tested in pool.test.ts).
import { describe, expect, test } from "bun:test";
import { PrefetchBuffer } from "../../src/pool/buffer";

const SIZE = 1000;
const LOW_WATER = 50;
const CLAIM_MS = 40;
const PER_TURN = 5;

/** Takes `perTurn` IDs per event-loop turn (about 1 ms) for `ms`; counts the times the buffer ran dry. */
async function drive(adaptive: boolean, { ms = 2000, perTurn = PER_TURN, maxClaim = SIZE } = {}) {
  let claims = 0;
  let claimed = 0;
  let mostHeld = 0;
  let largestClaim = 0;
  const buffer = new PrefetchBuffer({
    size: SIZE,
    lowWater: LOW_WATER,
    adaptive,
    maxClaim,
    claim: async (count) => {
      const batch = ++claims;
      claimed += count;
      largestClaim = Math.max(largestClaim, count);
      await Bun.sleep(CLAIM_MS);
      return Array.from({ length: count }, (_, index) => `${batch}-${index}`);
    },
    onError: (error) => {
      throw error;
    },
  });
  await buffer.refill();
  const seen = new Set<string>();
  let dry = 0;
  let empty = false;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    mostHeld = Math.max(mostHeld, buffer.available);
    for (let index = 0; index < perTurn; index++) {
      const id = buffer.take();
      if (id === undefined) {
        if (!empty) dry++;
        empty = true;
        break;
      }
      empty = false;
      seen.add(id);
    }
    await Bun.sleep(1);
  }
  const mark = buffer.lowWater;
  const left = await buffer.close();
  return { dry, taken: seen.size, claims, claimed, largestClaim, mark, mostHeld, left: left.length };
}

describe("prefetch buffer: claiming ahead of demand", () => {
  test("a fixed mark runs dry every cycle when claims are slower than the mark lasts; the adaptive one does not", async () => {
    const [fixed, adaptive] = await Promise.all([drive(false), drive(true)]);
    // Fixed: 50 IDs last about 10 ms against 40 ms claims, so nearly every claim comes late.
    expect(fixed.dry).toBeGreaterThanOrEqual(Math.floor(fixed.claims / 2));
    expect(fixed.mark).toBe(LOW_WATER);
    // Adaptive: only the claim started before the rate was known (the second) may come late.
    expect(adaptive.dry).toBeLessThanOrEqual(1);
    expect(adaptive.mark).toBeGreaterThan(LOW_WATER);
    expect(adaptive.mark).toBeLessThanOrEqual(SIZE - 1);
    // What a crash could waste stays bounded: never more than size + mark - 1 in memory.
    expect(adaptive.mostHeld).toBeLessThanOrEqual(2 * SIZE - 2);
    // The same demand was served more fully, and nothing was taken twice or lost.
    expect(adaptive.taken).toBeGreaterThan(fixed.taken);
    expect(adaptive.taken + adaptive.left).toBe(adaptive.claims * SIZE);
    // maxClaim defaults to size: claims never grew.
    expect(adaptive.largestClaim).toBe(SIZE);
  }, 20_000);

  test("claims grow with demand up to maxClaim, in whole sizes, and fewer claims serve the same demand", async () => {
    // About 30 IDs per ms: a claim of 1000 lasts ~33 ms, less than one 40 ms claim; CLAIM_COVER_MS of demand is
    // ~3000 IDs. The same demand against a buffer whose claims stay at 1000, side by side.
    const [fixedSize, growing] = await Promise.all([
      drive(true, { perTurn: 30 }),
      drive(true, { perTurn: 30, maxClaim: 5 * SIZE }),
    ]);
    expect(growing.largestClaim).toBeGreaterThan(SIZE);
    expect(growing.largestClaim).toBeLessThanOrEqual(5 * SIZE);
    expect(growing.largestClaim % SIZE).toBe(0);
    // Claims of 1000 run dry at nearly every claim at this rate; grown claims only before the rate was known.
    expect(fixedSize.dry).toBeGreaterThanOrEqual(Math.floor(fixedSize.claims / 2));
    expect(growing.dry).toBeLessThanOrEqual(2);
    expect(growing.claims).toBeLessThan(fixedSize.claims);
    expect(growing.taken).toBeGreaterThan(fixedSize.taken);
    // The crash bound: never more than 2 * maxClaim - 2 in memory; nothing taken twice or lost.
    expect(growing.mostHeld).toBeLessThanOrEqual(2 * 5 * SIZE - 2);
    expect(growing.taken + growing.left).toBe(growing.claimed);
  }, 20_000);

  test("at a low rate claims stay at size, whatever maxClaim allows", async () => {
    // 5 IDs per ms: CLAIM_COVER_MS of demand is ~500 IDs, under one size.
    const slow = await drive(true, { maxClaim: 10 * SIZE });
    expect(slow.largestClaim).toBe(SIZE);
    expect(slow.dry).toBeLessThanOrEqual(1);
  }, 20_000);

  test("one-ID claims (small types) keep a fixed mark of 0: no claim before a request needs it", async () => {
    let claims = 0;
    const buffer = new PrefetchBuffer({
      size: 1, lowWater: 0, adaptive: false,
      claim: async () => [`id-${++claims}`],
      onError: () => undefined,
    });
    for (let index = 0; index < 5; index++) {
      expect(buffer.take()).toBeUndefined();
      await Bun.sleep(5);
      expect(claims).toBe(index); // take() on an empty buffer with mark 0 starts no claim
      expect(await buffer.refill()).toBe(1);
      expect(buffer.take()).toBe(`id-${index + 1}`);
    }
    expect(buffer.lowWater).toBe(0);
  });
});
