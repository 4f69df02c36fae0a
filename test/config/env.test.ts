// The environment: PORT and LOG_LEVEL, the database (DATABASE_URL, DB_*, embedded), and the
// IDGEN_ID_GENERATOR__* overrides of the file.
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { configError, loadFrom, OPENG2P_EXAMPLE } from "./helpers";

const load = (env: Record<string, string>) => loadConfig({ env });
const DB = { DB_HOST: "db.internal", DB_NAME: "idgen", DB_USER: "idgen" };

describe("service settings", () => {
  test("PORT and LOG_LEVEL, defaults and values", () => {
    expect(load({})).toMatchObject({ port: 8080, logLevel: "info" });
    expect(load({ PORT: "0", LOG_LEVEL: "WARN" })).toMatchObject({ port: 0, logLevel: "warn" });
  });

  test("bad values are refused, all at once", () => {
    const error = configError(() => load({ PORT: "80a", LOG_LEVEL: "verbose" }));
    expect(error.issues.map((issue) => issue.key)).toEqual(["PORT", "LOG_LEVEL"]);
    expect(error.message).toBe('2 configuration problems:\n  PORT: must be a whole number (got "80a")\n  LOG_LEVEL: must be one of debug, info, warn, error (got "verbose")');
    expect(configError(() => load({ PORT: "70000" })).message).toBe('PORT: must be at most 65535 (got "70000")');
  });

  test("IDGEN_HTTP_LANES: on by default, on or off in any case, nothing else", () => {
    expect(load({}).httpLanes).toBe(true);
    expect(load({ IDGEN_HTTP_LANES: "OFF" }).httpLanes).toBe(false);
    expect(load({ IDGEN_HTTP_LANES: "on" }).httpLanes).toBe(true);
    expect(configError(() => load({ IDGEN_HTTP_LANES: "no" })).message).toBe('IDGEN_HTTP_LANES: must be one of on, off (got "no")');
  });
});

describe("database", () => {
  test("none configured: embedded PostgreSQL in IDGEN_DATA_DIR", () => {
    expect(load({}).database).toEqual({ embedded: true, dataDir: ".data/postgres" });
    expect(load({ IDGEN_DATA_DIR: "/var/lib/idgen" }).database).toEqual({ embedded: true, dataDir: "/var/lib/idgen" });
  });

  test("DB_* is assembled into a URL, user, password and name percent-encoded", () => {
    const database = load({ ...DB, DB_USER: "id gen", DB_PASSWORD: "p@ss:w/rd%", DB_PORT: "6432", DB_NAME: "ids/prod" }).database;
    if (database.embedded) throw new Error("expected a URL");
    expect(database.url).toBe("postgres://id%20gen:p%40ss%3Aw%2Frd%25@db.internal:6432/ids%2Fprod");
    expect(database.source).toBe("DB_*");
    const url = new URL(database.url);
    expect(decodeURIComponent(url.password)).toBe("p@ss:w/rd%");
  });

  test("DB_PORT defaults to 5432, DB_PASSWORD may be absent, IPv6 hosts get brackets", () => {
    expect(load(DB).database).toMatchObject({ url: "postgres://idgen@db.internal:5432/idgen" });
    expect(load({ ...DB, DB_HOST: "::1" }).database).toMatchObject({ url: "postgres://idgen@[::1]:5432/idgen" });
  });

  test("DATABASE_URL wins over DB_*, with a warning", () => {
    const config = load({ ...DB, DATABASE_URL: "postgresql://app:secret@pg:5432/app" });
    expect(config.database).toMatchObject({ embedded: false, url: "postgresql://app:secret@pg:5432/app", source: "DATABASE_URL" });
    expect(config.warnings).toEqual(["DB_HOST, DB_NAME, DB_USER ignored: DATABASE_URL is set and takes precedence"]);
  });

  test("a partial DB_* set is refused, naming each missing variable", () => {
    const error = configError(() => load({ DB_HOST: "db.internal" }));
    expect(error.issues.map((issue) => issue.key)).toEqual(["DB_NAME", "DB_USER"]);
    expect(error.key).toBe("DB_NAME");
    expect(error.issues[0]!.reason).toBe("is required when DB_HOST is set (set DB_HOST, DB_NAME, DB_USER, or DATABASE_URL)");
    expect(configError(() => load({ DB_PASSWORD: "x" })).issues.map((issue) => issue.key)).toEqual(["DB_HOST", "DB_NAME", "DB_USER"]);
  });

  test("a DATABASE_URL with a host list is accepted, as postgres.js reads it", () => {
    expect(load({ DATABASE_URL: "postgres://app:pw@db1:5432,db2:5432/idgen" }).database).toMatchObject({ source: "DATABASE_URL" });
  });

  test("a DATABASE_URL that is not postgres:// and a DB_HOST with a slash are refused", () => {
    expect(configError(() => load({ DATABASE_URL: "mysql://u@h/d" })).key).toBe("DATABASE_URL");
    expect(configError(() => load({ ...DB, DB_HOST: "/run/postgresql" })).message).toContain("DB_HOST: must be a host name or IP address");
  });

  test("an empty variable counts as unset", () => {
    expect(load({ DB_HOST: "", DB_PASSWORD: "", PORT: "" })).toMatchObject({ port: 8080, database: { embedded: true } });
  });
});

describe("overrides of the file", () => {
  test("environment variables win over the file, values read as YAML", () => {
    const config = loadFrom(OPENG2P_EXAMPLE, {
      IDGEN_ID_GENERATOR__POOL_MIN_THRESHOLD: "500",
      IDGEN_ID_GENERATOR__ID_TYPES__FARMER__ID_LENGTH: "14",
      IDGEN_ID_GENERATOR__NOT_START_WITH: '["0", "9"]',
      IDGEN_ID_GENERATOR__ID_TYPES__HOUSEHOLD__DIGITS_GROUP_LIMIT: "null",
    });
    expect(config.idGenerator.poolMinThreshold).toBe(500);
    expect(config.idGenerator.idTypes.farmer!).toMatchObject({ idLength: 14, pool: { minThreshold: 500, target: 5500 } });
    expect(config.idGenerator.idTypes.farmer!.rules.not_start_with).toEqual(["0", "9"]);
    expect(config.idGenerator.idTypes.household!.rules.digits_group_limit).toBeNull();
    expect(config.overrides).toHaveLength(4);
  });

  test("a whole type can be added, then refined by a longer path", () => {
    const config = load({ IDGEN_ID_GENERATOR__ID_TYPES__CITIZEN: "{id_length: 10, profile: mosip-uin}", IDGEN_ID_GENERATOR__ID_TYPES__CITIZEN__BUFFER_SIZE: "200" });
    expect(config.idGenerator.idTypes.citizen!).toMatchObject({ idLength: 10, buffer: { size: 200, lowWater: 60 } });
    expect(config.idGenerator.idTypes.citizen!.rules.profile).toBe("mosip-uin");
    expect(Object.keys(config.idGenerator.idTypes)).toEqual(["farmer", "household", "citizen"]);
  });

  test("errors in overridden values name the key and the variable", () => {
    const error = configError(() => load({ IDGEN_ID_GENERATOR__POOL_MIN_THRESHOLD: "-5" }));
    expect(error.message).toBe("id_generator.pool_min_threshold: must be at least 1 (got -5, set by IDGEN_ID_GENERATOR__POOL_MIN_THRESHOLD)");
  });

  test("unknown IDGEN_ variables, malformed paths and unparsable values are refused", () => {
    expect(configError(() => load({ IDGEN_ID_TYPES__FARMER__ID_LENGTH: "12" })).key).toBe("IDGEN_ID_TYPES__FARMER__ID_LENGTH");
    expect(configError(() => load({ IDGEN_ID_GENERATOR__ID_TYPES____ID_LENGTH: "12" })).message).toContain("malformed path segment");
    expect(configError(() => load({ IDGEN_ID_GENERATOR__NOT_START_WITH: "[0, 1" })).message).toContain("IDGEN_ID_GENERATOR__NOT_START_WITH: is not a YAML value");
    expect(configError(() => load({ IDGEN_ID_GENERATOR__POOL_MIN_THRESHOLD__X: "1" })).message).toBe(
      "IDGEN_ID_GENERATOR__POOL_MIN_THRESHOLD__X: cannot be applied: id_generator.pool_min_threshold is not a mapping in the config file",
    );
  });
});
