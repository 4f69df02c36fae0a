// Refusals: each bad value named by its dotted key with the reason, every problem listed at once, unreadable
// or malformed files, and secrets kept out of errors, describeConfig, JSON and console output.
import { describe, expect, test } from "bun:test";
import { describeConfig, loadConfig } from "../../src/config";
import { configError, loadFrom, OPENG2P_EXAMPLE, withType } from "./helpers";

const farmer = (...lines: string[]) => withType("farmer", ["id_length: 12", ...lines]);

describe("bad values name the dotted key", () => {
  test.each([
    ["negative global threshold", OPENG2P_EXAMPLE.replace("pool_min_threshold: 1000", "pool_min_threshold: -1"), "id_generator.pool_min_threshold: must be at least 1 (got -1)"],
    ["unknown profile", farmer("profile: mosip"), 'id_generator.id_types.farmer.profile: must be one of openg2p, mosip-uin, mosip-vid, got "mosip"'],
    ["id_length 40", withType("farmer", ["id_length: 40"]), "id_generator.id_types.farmer.id_length: must be between 2 and 32, got 40"],
    ["missing id_length", withType("farmer", ["profile: openg2p"]), "id_generator.id_types.farmer.id_length: is required"],
    ["bad type name", withType("Farmer", ["id_length: 12"]), 'id_generator.id_types.Farmer: is not a valid ID type name (must match ^[a-z][a-z0-9_]{1,63}$) (got {"id_length":12})'],
    ["buffer_low_water = buffer_size", farmer("buffer_size: 100", "buffer_low_water: 100"), "id_generator.id_types.farmer.buffer_low_water: must be less than buffer_size (100) (got 100)"],
    ["threshold above target", farmer("pool_target: 900", "buffer_size: 100"), "id_generator.id_types.farmer.pool_target: must be at least pool_min_threshold (1000) (got 900)"],
    ["buffer above target", farmer("buffer_size: 9000"), "id_generator.id_types.farmer.buffer_size: must be at most pool_target (6000) (got 9000)"],
    ["buffer_max below buffer_size", farmer("buffer_size: 500", "buffer_max: 400"), "id_generator.id_types.farmer.buffer_max: must be at least buffer_size (500) (got 400)"],
    ["buffer_max above target", farmer("buffer_max: 7000"), "id_generator.id_types.farmer.buffer_max: must be at most pool_target (6000), or one claim empties the pool (got 7000)"],
    ["a rule config that admits nothing", farmer("sequence_limit: 1"), "id_generator.id_types.farmer.sequence_limit: 1 rejects every ID (a single digit already counts as a run); use 2 or more (got 1)"],
    ["a non-integer size", farmer("buffer_size: 1.5"), "id_generator.id_types.farmer.buffer_size: must be a whole number (got 1.5)"],
    ["no types", "id_generator:\n  id_types: {}\n", "id_generator.id_types: must define at least one ID type (got {})"],
    ["no id_generator section", "other: 1\n", "id_generator: is required"],
    ["an empty file", "", "id_generator: is required"],
    ["a list at the top", "- a\n", "CONFIG_PATH: the file's top level must be a mapping (got [\"a\"])"],
    ["a leading zero", farmer('restricted_numbers: [0786]'), 'CONFIG_PATH: file'],
  ])("%s", (_, text, message) => {
    expect(configError(() => loadFrom(text)).message).toStartWith(message);
  });

  test("a bad global is named by its global key, also when a type inherits it", () => {
    const error = configError(() => loadFrom(OPENG2P_EXAMPLE.replace("sequence_limit: 3", "sequence_limit: 1")));
    expect(error.issues.map((issue) => issue.key)).toEqual(["id_generator.sequence_limit"]);
  });

  test("a global that an openg2p type cannot take is named by the global key", () => {
    const text = "id_generator:\n  not_start_with: ['2', '3', '4', '5', '6', '7', '8', '9', '0', '1']\n  id_types:\n    farmer:\n      id_length: 8\n";
    expect(() => loadFrom(text)).not.toThrow(); // the search for an empty space is createRules' job, at start-up
    const bad = "id_generator:\n  sequence_limit: 1\n  id_types:\n    farmer:\n      id_length: 8\n";
    expect(configError(() => loadFrom(bad)).key).toBe("id_generator.sequence_limit");
  });

  test("every problem is listed at once", () => {
    const text = `id_generator:\n  pool_check_interval_seconds: 0\n  id_types:\n    farmer:\n      id_length: 40\n    household:\n      id_length: 10\n      profile: x\n      buffer_size: 0\n`;
    const error = configError(() => loadFrom(text));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.key).toBe("id_generator.pool_check_interval_seconds");
    expect(error.issues.map((issue) => issue.key)).toEqual([
      "id_generator.pool_check_interval_seconds",
      "id_generator.id_types.household.buffer_size",
      "id_generator.id_types.farmer.id_length",
      "id_generator.id_types.household.profile",
    ]);
    expect(error.message).toStartWith("4 configuration problems:\n  id_generator.pool_check_interval_seconds: must be more than 0 (got 0)\n");
  });
});

describe("the file itself", () => {
  test("an unreadable CONFIG_PATH is refused, naming the path", () => {
    const error = configError(() => loadConfig({ env: { CONFIG_PATH: "/nonexistent/idgen.yaml" } }));
    expect(error.key).toBe("CONFIG_PATH");
    expect(error.message).toStartWith("CONFIG_PATH: file cannot be read: ");
    expect(error.message).toEndWith('(got "/nonexistent/idgen.yaml")');
  });

  test("invalid YAML is refused with line and column", () => {
    const error = configError(() => loadFrom("id_generator:\n  a: 1\n  a: 2\n"));
    expect(error.message).toMatch(/^CONFIG_PATH: file \S+ is not valid YAML: Map keys must be unique at line 3, column 3$/);
  });

  test("readFile can be replaced", () => {
    const config = loadConfig({ env: { CONFIG_PATH: "mem.yaml" }, readFile: () => OPENG2P_EXAMPLE });
    expect(config.source).toEqual({ kind: "file", path: "mem.yaml" });
  });
});

describe("secrets", () => {
  const PASSWORD = "hunter2-Secret";

  test("describeConfig redacts the password of DB_* and DATABASE_URL", () => {
    const fromParts = loadConfig({ env: { DB_HOST: "db", DB_NAME: "idgen", DB_USER: "app", DB_PASSWORD: PASSWORD } });
    const fromUrl = loadConfig({ env: { DATABASE_URL: `postgres://app:${PASSWORD}@db/idgen?sslmode=require&password=${PASSWORD}` } });
    for (const config of [fromParts, fromUrl]) {
      const summary = JSON.stringify(describeConfig(config));
      expect(summary).not.toContain(PASSWORD);
      expect(summary).toContain("app:***@db");
    }
  });

  test("logging the config object itself does not reveal the password", () => {
    const config = loadConfig({ env: { DATABASE_URL: `postgres://app:${PASSWORD}@db/idgen` } });
    expect(JSON.stringify(config)).not.toContain(PASSWORD);
    expect(Bun.inspect(config)).not.toContain(PASSWORD);
    if (config.database.embedded) throw new Error("expected a URL");
    expect(config.database.url).toContain(PASSWORD);
  });

  test("errors never show DB_PASSWORD or the password inside DATABASE_URL", () => {
    const partial = configError(() => loadConfig({ env: { DB_PASSWORD: PASSWORD } }));
    const badUrl = configError(() => loadConfig({ env: { DATABASE_URL: `mysql://app:${PASSWORD}@db/idgen` } }));
    const unparsable = configError(() => loadConfig({ env: { DATABASE_URL: `postgres://app:${PASSWORD}@` } }));
    const slashed = configError(() => loadConfig({ env: { DATABASE_URL: `postgres://app:a/${PASSWORD}@db/idgen` } }));
    for (const error of [partial, badUrl, unparsable, slashed]) {
      expect(error.message).not.toContain(PASSWORD);
      expect(JSON.stringify(error.issues)).not.toContain(PASSWORD);
    }
    expect(badUrl.message).toContain("app:***@db");
  });
});
