// The config file: OpenG2P's example accepted unchanged, the built-in defaults, per-type extensions, and how
// unknown keys are treated (ignored at the top level, refused inside id_generator).
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { configError, loadFrom, OPENG2P_EXAMPLE, withType } from "./helpers";

describe("the OpenG2P example file", () => {
  test("is accepted unchanged, read from CONFIG_PATH", () => {
    const config = loadFrom(OPENG2P_EXAMPLE);
    expect(config.source.kind).toBe("file");
    expect(Object.keys(config.idGenerator.idTypes)).toEqual(["farmer", "household"]);
    expect(config.idGenerator.idTypes.farmer!.idLength).toBe(12);
    expect(config.idGenerator.idTypes.household!.rules.id_length).toBe(10);
    expect(config.idGenerator).toMatchObject({ poolMinThreshold: 1000, poolGenerationBatchSize: 5000, poolCheckIntervalSeconds: 30, exhaustionMaxAttempts: 1000, subBatchSize: 10000 });
    expect(config.warnings).toEqual([]);
  });

  test("resolves each type to the openg2p profile and gives the filter rules of GET /config", () => {
    const config = loadFrom(OPENG2P_EXAMPLE);
    expect(config.idGenerator.idTypes.farmer!.rules).toMatchObject({ profile: "openg2p", sequence_limit: 3, not_start_with: ["0", "1"], cyclic_numbers: true });
    expect(config.idGenerator.filterRules).toEqual({
      sequence_limit: 3, repeating_limit: 2, repeating_block_limit: 2, conjugative_even_digits_limit: 3,
      digits_group_limit: 5, reverse_digits_group_limit: 5, not_start_with: ["0", "1"], restricted_numbers: [],
    });
  });

  test("gets the default pool and buffer sizes", () => {
    const farmer = loadFrom(OPENG2P_EXAMPLE).idGenerator.idTypes.farmer!;
    expect(farmer.pool).toEqual({ target: 6000, minThreshold: 1000 });
    // Claims do not grow with the defaults: a tenth of pool_target (600) is less than one buffer_size.
    expect(farmer.buffer).toEqual({ size: 1000, lowWater: 300, max: 1000 });
  });

  test("is frozen all the way down", () => {
    const config = loadFrom(OPENG2P_EXAMPLE);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.idGenerator.idTypes.farmer!.rules.not_start_with)).toBe(true);
    expect(config.idGenerator.idTypes.constructor).toBeUndefined();
  });
});

describe("the built-in defaults", () => {
  test("load when CONFIG_PATH is unset, and their types resolve", () => {
    const config = loadConfig({ env: {} });
    expect(config.source).toEqual({ kind: "defaults" });
    expect(config.idGenerator.idTypes.farmer!.rules).toMatchObject({ profile: "openg2p", id_length: 12 });
    expect(config.idGenerator.idTypes.household!.rules).toMatchObject({ profile: "openg2p", id_length: 10 });
    expect(config).toMatchObject({ port: 8080, logLevel: "info", database: { embedded: true, dataDir: ".data/postgres" } });
  });

  test("an empty CONFIG_PATH counts as unset", () => {
    expect(loadConfig({ env: { CONFIG_PATH: "" } }).source.kind).toBe("defaults");
  });
});

describe("per-type extensions", () => {
  test("a type's rule parameters override the globals, which override the openg2p profile", () => {
    const text = `id_generator:\n  sequence_limit: 4\n  restricted_numbers: []\n  id_types:\n    farmer:\n      id_length: 12\n      repeating_limit: 3\n    uin:\n      id_length: 10\n      profile: mosip-uin\n      repeating_limit: 3\n    vid:\n      id_length: 16\n      profile: mosip-vid\n`;
    const { farmer, uin, vid } = loadFrom(text).idGenerator.idTypes;
    expect(farmer!.rules).toMatchObject({ profile: "openg2p", sequence_limit: 4, repeating_limit: 3 });
    // The globals are OpenG2P's: a MOSIP type keeps its profile's rules, changed only by its own keys.
    expect(uin!.rules).toMatchObject({ profile: "mosip-uin", sequence_limit: 3, repeating_limit: 3, sequence_wrap: true, restricted_numbers: ["786", "666"] });
    expect(vid!.rules).toMatchObject({ profile: "mosip-vid", sequence_limit: 3, digits_group_limit: null });
  });

  test("pool sizes: explicit values, the type's threshold feeding the default target, 30 % low water", () => {
    const config = loadFrom(withType("farmer", ["id_length: 12", "pool_min_threshold: 2000", "buffer_size: 500"]));
    expect(config.idGenerator.idTypes.farmer!.pool).toEqual({ target: 7000, minThreshold: 2000 });
    // buffer_max: a tenth of the target (700) in whole buffer_sizes.
    expect(config.idGenerator.idTypes.farmer!.buffer).toEqual({ size: 500, lowWater: 150, max: 500 });
    const explicit = loadFrom(withType("farmer", ["id_length: 12", "pool_target: 20000", "buffer_low_water: 0"]));
    expect(explicit.idGenerator.idTypes.farmer!.pool.target).toBe(20000);
    expect(explicit.idGenerator.idTypes.farmer!.buffer.lowWater).toBe(0);
    // buffer_max: a tenth of the target is two buffer_sizes.
    expect(explicit.idGenerator.idTypes.farmer!.buffer.max).toBe(2000);
    // Ten buffer_sizes at most, however large the pool.
    const large = loadFrom(withType("farmer", ["id_length: 12", "pool_target: 300000"]));
    expect(large.idGenerator.idTypes.farmer!.buffer).toEqual({ size: 1000, lowWater: 300, max: 10000 });
    const set = loadFrom(withType("farmer", ["id_length: 12", "pool_target: 300000", "buffer_max: 3000"]));
    expect(set.idGenerator.idTypes.farmer!.buffer.max).toBe(3000);
  });

  test("null turns an optional rule off; digit lists may be written as numbers", () => {
    const rules = loadFrom(withType("farmer", ["id_length: 12", "digits_group_limit: null", "restricted_numbers: [786, \"0666\"]"])).idGenerator.idTypes.farmer!.rules;
    expect(rules.digits_group_limit).toBeNull();
    expect(rules.restricted_numbers).toEqual(["786", "0666"]);
  });
});

describe("unknown keys", () => {
  test("top-level keys other than our sections are ignored, with a warning", () => {
    const config = loadFrom(`logging:\n  level: DEBUG\n${OPENG2P_EXAMPLE}`);
    expect(config.warnings).toEqual(["top-level keys ignored (only id_generator, sequences, keys, accountability are read): logging"]);
  });

  test("a typo in a type's keys is refused, with a suggestion", () => {
    const error = configError(() => loadFrom(withType("farmer", ["id_length: 12", "buffer_sise: 10"])));
    expect(error.key).toBe("id_generator.id_types.farmer.buffer_sise");
    expect(error.message).toBe("id_generator.id_types.farmer.buffer_sise: is not a known key; did you mean buffer_size? (got 10)");
  });

  test("an unknown key inside id_generator is refused", () => {
    const error = configError(() => loadFrom(OPENG2P_EXAMPLE.replace("pool_min_threshold", "pool_min_treshold")));
    expect(error.message).toContain("id_generator.pool_min_treshold: is not a known key; did you mean pool_min_threshold?");
  });
});
