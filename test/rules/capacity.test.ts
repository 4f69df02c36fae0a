// capacity() and enumerate(): exact counts and lists against the oracle's brute force on small types, honest
// sampling estimates where the exact count is known, and the shares of id-rules.md at lengths 12 to 32.
import { describe, expect, test } from "bun:test";
import { createRules, type Capacity, type RuleOptions } from "../../wasm/index";
import { oracleEnumerate, oracleParams } from "./oracle";

const SMALL_TYPES: { name: string; options: RuleOptions }[] = [
  ...[2, 3, 4, 5, 6].map((length) => ({ name: `openg2p length ${length}`, options: { id_length: length } })),
  { name: "mosip-uin length 6", options: { profile: "mosip-uin", id_length: 6 } },
  { name: "mosip-vid length 6", options: { profile: "mosip-vid", id_length: 6 } },
  { name: "openg2p 5, restricted 13", options: { id_length: 5, restricted_numbers: ["13"] } },
  { name: "openg2p 5, sequences wrap", options: { id_length: 5, sequence_wrap: true } },
  { name: "openg2p 5, repeating limit 3", options: { id_length: 5, repeating_limit: 3 } },
  { name: "openg2p 5, group 2, block 3", options: { id_length: 5, digits_group_limit: 2, repeating_block_limit: 3 } },
  { name: "openg2p 5, reverse group 2", options: { id_length: 5, reverse_digits_group_limit: 2 } },
  { name: "openg2p 5, evens 2468", options: { id_length: 5, even_digits: "2468" } },
  { name: "mosip-uin 6, nothing restricted", options: { profile: "mosip-uin", id_length: 6, restricted_numbers: [] } },
  { name: "mosip-vid 5, exclusive repeats", options: { profile: "mosip-vid", id_length: 5, repeating_limit_inclusive: false } },
];

/** Standard error of a sampling estimate, recovered from its 95 % interval. */
const standardError = (capacity: Capacity) => Number(capacity.high - capacity.low) / (2 * 1.96);

describe.each(SMALL_TYPES)("$name", ({ options }) => {
  let bruteForce: string[] | undefined;
  const oracleList = () => (bruteForce ??= oracleEnumerate(oracleParams(options)));

  test("capacity() is exact and equals the brute-force count", async () => {
    const rules = await createRules(options);
    const expected = oracleList().length;
    const capacity = await rules.capacity();
    expect(capacity).toMatchObject({ exact: true, method: "enumeration", probes: 0 });
    expect(capacity.count).toBe(BigInt(expected));
    expect(capacity.low).toBe(capacity.count);
    expect(capacity.high).toBe(capacity.count);
    expect(capacity.share).toBeCloseTo(expected / 10 ** (rules.parameters.id_length - 1), 12);
  });

  test("enumerate() lists the brute-force IDs in ascending order; a lower limit throws", async () => {
    const rules = await createRules(options);
    const expected = oracleList();
    expect(rules.enumerate()).toEqual(expected);
    expect(rules.enumerate(expected.length)).toEqual(expected);
    expect(() => rules.enumerate(expected.length - 1)).toThrow(RangeError);
    expect(() => rules.enumerate(expected.length - 1)).toThrow(`has ${expected.length} valid IDs, more than the limit`);
  });
});

test("known counts: openg2p length 4 has 465 IDs, length 5 has 3,723", async () => {
  expect((await (await createRules({ id_length: 4 })).capacity()).count).toBe(465n);
  expect((await (await createRules({ id_length: 5 })).capacity()).count).toBe(3_723n);
});

describe("sampling estimates are honest where the exact count is known", () => {
  test.each([
    { name: "openg2p length 8", options: { id_length: 8 } },
    { name: "mosip-uin length 8", options: { profile: "mosip-uin", id_length: 8 } },
    { name: "mosip-vid length 8", options: { profile: "mosip-vid", id_length: 8 } },
  ] as { name: string; options: RuleOptions }[])("$name", async ({ options }) => {
    const rules = await createRules(options);
    const exact = await rules.capacity();
    expect(exact.exact).toBe(true);

    const estimate = await rules.capacity({ method: "sampling", probes: 50_000 });
    expect(estimate).toMatchObject({ exact: false, method: "sampling", probes: 50_000 });
    expect(estimate.low).toBeLessThanOrEqual(estimate.count);
    expect(estimate.count).toBeLessThanOrEqual(estimate.high);
    expect(Math.abs(Number(estimate.count - exact.count))).toBeLessThan(4 * standardError(estimate));
  });

  // Slow: the exact count walks about 2·10^8 prefixes (6–9 s).
  test("openg2p length 10: exactly 103,311,928 IDs, inside the estimate's interval", async () => {
    const rules = await createRules({ id_length: 10 });
    const exact = await rules.capacity();
    expect(exact).toMatchObject({ count: 103_311_928n, exact: true, method: "enumeration" });
    expect(exact.share).toBeCloseTo(0.103311928, 9);

    // The 95 % interval misses the truth one run in twenty by design; widened to 4 standard errors it
    // (essentially) never does.
    const estimate = await rules.capacity({ method: "sampling" });
    expect(estimate.exact).toBe(false);
    expect(Math.abs(Number(estimate.count - exact.count))).toBeLessThan(4 * standardError(estimate));
  }, 30_000);
});

describe("long types: capacity() is a sampling estimate with the shares of id-rules.md", () => {
  // Share of payloads that make a valid openg2p ID: loose bounds around 5.7 %, 1.46 %, 0.31 %, 0.051 % and
  // 0.00069 % (id-rules.md: about 10 % at 10, 1.5 % at 16, under 0.001 % at 32).
  test.each([
    { length: 12, min: 0.04, max: 0.08 },
    { length: 16, min: 0.01, max: 0.02 },
    { length: 20, min: 0.002, max: 0.005 },
    { length: 24, min: 3e-4, max: 8e-4 },
    { length: 32, min: 1e-7, max: 1e-5 },
  ])("length $length", async ({ length, min, max }) => {
    const rules = await createRules({ id_length: length });
    const capacity = await rules.capacity();
    expect(capacity).toMatchObject({ exact: false, method: "sampling" });
    expect(capacity.probes).toBeGreaterThan(0);
    expect(capacity.low).toBeLessThan(capacity.count);
    expect(capacity.count).toBeLessThan(capacity.high);
    expect(capacity.share).toBeGreaterThan(min);
    expect(capacity.share).toBeLessThan(max);
    expect(Number(capacity.count) / 10 ** (length - 1) / capacity.share).toBeCloseTo(1, 6);
    // Precise enough to plan with: the 95 % interval is within ±5 % of the estimate.
    expect(Number(capacity.high - capacity.low) / Number(capacity.count)).toBeLessThan(0.1);
  });
});
