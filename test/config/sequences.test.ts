// The config file's `sequences` section: the default counter without any configuration, per-counter settings
// and their inheritance, 64-bit values, every refusal with its key, and IDGEN_SEQUENCES__ overrides.
import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { OPENG2P_EXAMPLE, configError, loadFrom } from "./helpers";

const DEFAULT_BLOCK = { min: 1000, max: 100_000, targetSeconds: 10 };

test("without a sequences section (the OpenG2P file as is, or the built-in defaults) the default counter exists", () => {
  for (const config of [loadFrom(OPENG2P_EXAMPLE), loadConfig({ env: {} })]) {
    expect(Object.keys(config.sequences.counters)).toEqual(["default"]);
    expect(config.sequences.counters.default).toEqual({ name: "default", start: 1n, mode: "prefetch", block: DEFAULT_BLOCK });
    expect(config.warnings).toEqual([]);
  }
});

test("counters take their own settings, else the section's, else the defaults; quoted numbers reach 2^63 - 1", () => {
  const config = loadFrom(`${OPENG2P_EXAMPLE}sequences:
  block_max: 5000
  counters:
    default:
      start: 0
    case_number:
      start: 100000
      max: 999999
      mode: strict
      block_min: 10
    ledger:
      start: "9223372036854775000"
      max: "9223372036854775807"
    plain:
`);
  const { counters } = config.sequences;
  expect(counters.default).toEqual({ name: "default", start: 0n, mode: "prefetch", block: { ...DEFAULT_BLOCK, max: 5000 } });
  expect(counters.case_number).toEqual({ name: "case_number", start: 100_000n, max: 999_999n, mode: "strict", block: { min: 10, max: 5000, targetSeconds: 10 } });
  expect(counters.ledger).toMatchObject({ start: 9223372036854775000n, max: 9223372036854775807n });
  expect(counters.plain).toMatchObject({ start: 1n, mode: "prefetch" });
  expect(counters.constructor).toBeUndefined();
});

test("every bad value is refused with its dotted key", () => {
  const error = configError(() => loadFrom(`${OPENG2P_EXAMPLE}sequences:
  block_min: 0
  countrs: {}
  counters:
    Bad-Name: {}
    rounded:
      start: 9223372036854775000
    negative:
      start: -1
    too_big:
      max: "9223372036854775808"
    typo:
      mdoe: strict
    wrong_mode:
      mode: sloppy
`));
  const keys = error.issues.map((issue) => issue.key);
  expect(keys).toEqual(expect.arrayContaining([
    "sequences.block_min", "sequences.countrs", "sequences.counters.Bad-Name", "sequences.counters.rounded.start",
    "sequences.counters.negative.start", "sequences.counters.too_big.max", "sequences.counters.typo.mdoe", "sequences.counters.wrong_mode.mode",
  ]));
  expect(error.message).toContain("write it in quotes");
  expect(error.message).toContain("did you mean counters?");
  expect(error.message).toContain("did you mean mode?");
});

test("relations: max at least start, block_min at most block_max", () => {
  const error = configError(() => loadFrom(`${OPENG2P_EXAMPLE}sequences:
  counters:
    small:
      start: 10
      max: 9
    blocks:
      block_min: 500
      block_max: 100
`));
  expect(error.issues.map((issue) => [issue.key, issue.reason])).toEqual([
    ["sequences.counters.small.max", "must be at least start (10)"],
    ["sequences.counters.blocks.block_min", "must be at most block_max (100)"],
  ]);
});

test("IDGEN_SEQUENCES__ variables override the section and can declare a counter", () => {
  const config = loadFrom(OPENG2P_EXAMPLE, {
    IDGEN_SEQUENCES__COUNTERS__ORDERS: "{start: 1000, mode: strict}",
    IDGEN_SEQUENCES__COUNTERS__ORDERS__MAX: "2000",
    IDGEN_SEQUENCES__BLOCK_TARGET_SECONDS: "30",
  });
  expect(config.sequences.counters.orders).toEqual({ name: "orders", start: 1000n, max: 2000n, mode: "strict", block: { ...DEFAULT_BLOCK, targetSeconds: 30 } });
  expect(config.overrides).toEqual(expect.arrayContaining(["IDGEN_SEQUENCES__COUNTERS__ORDERS", "IDGEN_SEQUENCES__COUNTERS__ORDERS__MAX"]));
  const error = configError(() => loadFrom(OPENG2P_EXAMPLE, { IDGEN_SEQUENCES__COUNTERS__ORDERS__MAX: "-5" }));
  expect(error.issues[0]).toMatchObject({ key: "sequences.counters.orders.max", from: "IDGEN_SEQUENCES__COUNTERS__ORDERS__MAX" });
});
