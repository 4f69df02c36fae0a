import { expect, test } from "bun:test";
import { MAX_GROWTH, nextBlockSize } from "./block-size";

const bounds = { min: 100, max: 1_000_000, targetSeconds: 10 };

test("a block lasts about targetSeconds of the measured rate", () => {
  // 200 numbers in 100 ms: 2,000/s, so 20,000 per 10 s; from 10,000 that is within the growth limit.
  expect(nextBlockSize(10_000, 200, 100, bounds)).toBe(20_000);
  // 5,000 in 5 s: 1,000/s, 10,000 per block: unchanged.
  expect(nextBlockSize(10_000, 5_000, 5_000, bounds)).toBe(10_000);
});

test("growth and shrinkage per block are bounded", () => {
  expect(nextBlockSize(1_000, 1_000, 1, bounds)).toBe(1_000 * MAX_GROWTH);
  expect(nextBlockSize(1_000, 1, 60_000, bounds)).toBe(500);
});

test("the result stays within min and max", () => {
  expect(nextBlockSize(100, 1, 600_000, bounds)).toBe(100);
  expect(nextBlockSize(900_000, 900_000, 1, bounds)).toBe(1_000_000);
  expect(nextBlockSize(5, 5, 0, { min: 1, max: 8, targetSeconds: 10 })).toBe(8);
});
