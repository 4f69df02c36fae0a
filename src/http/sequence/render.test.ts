import { expect, test } from "bun:test";
import { renderRange } from "./render";

const naive = (first: bigint, count: number, quoted: boolean) =>
  JSON.stringify(Array.from({ length: count }, (_, i) => (first + BigInt(i)).toString())).replace(quoted ? /$^/ : /"/g, "");

test("the same text as converting each number, across thousands and powers of ten", () => {
  for (const first of [0n, 1n, 7n, 998n, 999n, 1000n, 99_999n, 123_456_789n, 9_007_199_254_740_990n, 9_223_372_036_854_775_000n]) {
    for (const count of [1, 2, 3, 1000, 2501]) {
      if (first + BigInt(count) > 9_223_372_036_854_775_808n) continue;
      expect(renderRange(first, count, false)).toBe(naive(first, count, false));
      expect(renderRange(first, count, true)).toBe(naive(first, count, true));
    }
  }
});

test("the output is the JSON of the numbers", () => {
  expect(JSON.parse(renderRange(995n, 10, false))).toEqual([995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004]);
  expect(renderRange(9_223_372_036_854_775_806n, 2, true)).toBe('["9223372036854775806","9223372036854775807"]');
});
