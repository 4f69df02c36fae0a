// Uniformity of generate(): both samplers, over whole small spaces, by a chi-square test at p = 1e-6 that a
// deliberately biased sampler fails; plus the basic properties of generate() at every length from 2 to 32.
import { describe, expect, test } from "bun:test";
import { createRules, type LoadOptions, type RuleOptions } from "../../wasm/index";
import { oracleEnumerate, oracleParams, oracleValidate } from "./oracle";

/** Upper 1e-6 quantile of the standard normal distribution. */
const Z_ONE_IN_A_MILLION = 4.753424;

/** Pearson's chi-square statistic of observed counts against expected counts (same cells, same order). */
function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) statistic += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return statistic;
}

/** The chi-square value that a true null exceeds with probability 1e-6 (Wilson–Hilferty approximation). */
function chiSquareCritical(degreesOfFreedom: number): number {
  const a = 2 / (9 * degreesOfFreedom);
  return degreesOfFreedom * (1 - a + Z_ONE_IN_A_MILLION * Math.sqrt(a)) ** 3;
}

/** Draws `draws` IDs and counts them per ID of `space`; IDs outside the space are collected, not counted. */
function tally(draw: () => string, space: readonly string[], draws: number) {
  const cell = new Map(space.map((id, index) => [id, index]));
  const counts = new Array<number>(space.length).fill(0);
  const outside: string[] = [];
  for (let n = 0; n < draws; n++) {
    const id = draw();
    const index = cell.get(id);
    if (index === undefined) outside.push(id);
    else counts[index]!++;
  }
  return { counts, outside };
}

/** Statistic and critical value of "every ID of the space equally likely". */
function uniformityTest(counts: readonly number[]) {
  const total = counts.reduce((sum, count) => sum + count, 0);
  const expected = new Array<number>(counts.length).fill(total / counts.length);
  return { statistic: chiSquare(counts, expected), critical: chiSquareCritical(counts.length - 1) };
}

/**
 * A sampler that is NOT uniform: each next digit is uniform among the digits that keep some valid ID
 * reachable. An ID behind a prefix with few live continuations is likelier than one behind many.
 */
function greedySampler(space: readonly string[]): () => string {
  const liveDigits = new Map<string, string[]>(); // prefix → the digits that may follow it
  for (const id of space) {
    for (let end = 0; end < id.length; end++) {
      const next = liveDigits.get(id.slice(0, end)) ?? [];
      if (!next.includes(id[end]!)) next.push(id[end]!);
      liveDigits.set(id.slice(0, end), next);
    }
  }
  const length = space[0]!.length;
  return () => {
    let id = "";
    while (id.length < length) {
      const next = liveDigits.get(id)!;
      id += next[Math.floor(Math.random() * next.length)];
    }
    return id;
  };
}

/** How many IDs start with each digit 0..9. */
function firstDigitCounts(ids: readonly string[]): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const id of ids) counts[Number(id[0])]! += 1;
  return counts;
}

const DRAWS_PER_ID = 100;

const SMALL_SPACES: { name: string; options: RuleOptions; size: number }[] = [
  { name: "openg2p length 4", options: { id_length: 4 }, size: 465 },
  { name: "mosip-vid length 5", options: { profile: "mosip-vid", id_length: 5 }, size: 3_367 },
];

describe("the chi-square helper", () => {
  test("critical values are close to tabulated ones", () => {
    // Exact upper 1e-6 quantiles (scipy.stats.chi2.isf): the approximation is within 4 % at df 7 and
    // improves quickly with df; the tests below use df 7, 464 and 3,366.
    const tabulated: [number, number][] = [[7, 40.5218], [100, 182.1268], [464, 623.454], [3_366, 3_770.507]];
    for (const [degreesOfFreedom, exact] of tabulated) {
      expect(Math.abs(chiSquareCritical(degreesOfFreedom) / exact - 1)).toBeLessThan(0.04);
    }
  });

  test("it rejects a greedy digit-by-digit sampler that reaches every ID", () => {
    for (const length of [4, 5]) {
      const space = oracleEnumerate(oracleParams({ id_length: length }));
      const { counts, outside } = tally(greedySampler(space), space, DRAWS_PER_ID * space.length);
      expect(outside).toEqual([]);
      expect(counts.every((count) => count > 0)).toBe(true); // full coverage alone proves nothing
      const { statistic, critical } = uniformityTest(counts);
      expect(statistic).toBeGreaterThan(critical);
      // Some IDs come out several times as often as others (exactly 3x at length 4, 5x at length 5).
      expect(Math.max(...counts) / Math.min(...counts)).toBeGreaterThan(2);
    }
  });
});

describe.each(["rejection", "enumeration"] as const)("the %s sampler is uniform over the whole space", (sampler) => {
  test.each(SMALL_SPACES)("$name", async ({ options, size }) => {
    const rules = await createRules(options, { sampler });
    const space = oracleEnumerate(oracleParams(options));
    expect(space.length).toBe(size);
    expect((await rules.capacity()).count).toBe(BigInt(size));

    const { counts, outside } = tally(() => rules.generate(1)[0]!, space, DRAWS_PER_ID * size);
    expect(outside).toEqual([]);
    expect(space.filter((_, index) => counts[index] === 0)).toEqual([]);
    const { statistic, critical } = uniformityTest(counts);
    expect(statistic).toBeLessThan(critical);
  });

  test("first digits at length 7 follow the exact distribution of the space", async () => {
    const rules = await createRules({ id_length: 7 }, { sampler });
    const all = rules.enumerate();
    const exact = firstDigitCounts(all);
    expect(exact[0]).toBe(0);
    expect(exact[1]).toBe(0);

    // 200 batches of 1,000: distinct within a batch, which barely matters against 231,359 IDs (and only
    // makes the counts a little less variable, never more).
    const observed = firstDigitCounts(Array.from({ length: 200 }, () => rules.generate(1_000)).flat());
    const total = 200 * 1_000;
    const digits = [2, 3, 4, 5, 6, 7, 8, 9];
    const expected = digits.map((digit) => (exact[digit]! / all.length) * total);
    const statistic = chiSquare(digits.map((digit) => observed[digit]!), expected);
    expect(statistic).toBeLessThan(chiSquareCritical(digits.length - 1));
  });
});

describe("generate() properties", () => {
  const lengths = Array.from({ length: 31 }, (_, i) => i + 2);

  test.each(lengths)("openg2p length %d: n distinct valid IDs", async (length) => {
    const options = { id_length: length };
    const params = oracleParams(options);
    const rules = await createRules(options);
    if (length <= 4) {
      // A tiny space is issued in full.
      const space = oracleEnumerate(params);
      expect(rules.generate(space.length).sort()).toEqual(space);
      return;
    }
    const n = length <= 24 ? 200 : 50;
    const ids = rules.generate(n);
    expect(ids.length).toBe(n);
    expect(new Set(ids).size).toBe(n);
    expect(ids.filter((id) => oracleValidate(params, id) !== null)).toEqual([]);
  });

  const samplers: LoadOptions["sampler"][] = ["auto", "rejection", "enumeration"];

  test.each(samplers)("sampler %s: generate(0) is [] and asking for more than the space throws", async (sampler) => {
    const rules = await createRules({ id_length: 4 }, { sampler });
    expect(rules.generate(0)).toEqual([]);
    expect(rules.generate(465).length).toBe(465);
    expect(() => rules.generate(466)).toThrow(RangeError);
    expect(() => rules.generate(466)).toThrow("only 465 valid IDs exist for this type, asked for 466");
  });

  test("generate(0) is [] at length 32 too; bad counts throw RangeError", async () => {
    const rules = await createRules({ id_length: 32 });
    expect(rules.generate(0)).toEqual([]);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => rules.generate(bad)).toThrow(RangeError);
  });
});
