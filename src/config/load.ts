// loadConfig: the one reader of the environment and the config file. Order of precedence: environment
// variables, then the file at CONFIG_PATH (or the built-in defaults.yaml), then the defaults in the schemas.
import { readFileSync } from "node:fs";
import DEFAULTS_YAML from "./defaults.yaml" with { type: "text" };
import { ACCOUNTABILITY_ENV_NAMES, parseAccountability, type AccountabilityConfig } from "./accountability";
import { ENV_NAMES, parseEnv, type DatabaseConfig, type LogLevel } from "./env";
import { ConfigError, fromZodIssues, renderValue, type ConfigIssue } from "./errors";
import { applyOverrides, originOf } from "./overrides";
import { resolveRules, type FilterRules, type ResolvedRules } from "./rules";
import { READ_SECTIONS, SECTION_KEYS, TYPE_KEYS, fileSchema, type PoolSizes } from "./schema";
import { COUNTER_KEYS, SEQUENCES_KEYS, type CounterConfig } from "./sequences";
import { parseYaml } from "./yaml";

export type ConfigSource = { readonly kind: "file"; readonly path: string } | { readonly kind: "defaults" };

export interface IdTypeConfig extends PoolSizes {
  readonly name: string;
  readonly idLength: number;
  /** Every rule parameter, resolved: ready for createRules(). */
  readonly rules: ResolvedRules;
}

export interface Config {
  readonly source: ConfigSource;
  /** The IDGEN_ID_GENERATOR__* variables that changed the file (names only). */
  readonly overrides: readonly string[];
  /** Things worth a log line that do not stop start-up (ignored keys and variables). */
  readonly warnings: readonly string[];
  readonly port: number;
  readonly logLevel: LogLevel;
  /** IDGEN_HTTP_LANES: Bun's router answers the hot routes' common case before Hono (src/http/lane.ts). */
  readonly httpLanes: boolean;
  readonly database: DatabaseConfig;
  readonly idGenerator: {
    readonly filterRules: FilterRules;
    readonly poolMinThreshold: number;
    readonly poolGenerationBatchSize: number;
    readonly poolCheckIntervalSeconds: number;
    readonly podLeaseSeconds: number;
    /** Refills run in a worker thread with its own connections (default), not on the event loop. */
    readonly refillInWorker: boolean;
    readonly exhaustionMaxAttempts: number;
    readonly subBatchSize: number;
    /** By type name; a null-prototype object, so a request for type "constructor" finds nothing. */
    readonly idTypes: Readonly<Record<string, IdTypeConfig>>;
  };
  /** Sequential counters by name (null-prototype); always holds `default`. */
  readonly sequences: { readonly counters: Readonly<Record<string, CounterConfig>> };
  /** API keys, audit, body limit, rate limits, idempotency retention (accountability.ts). */
  readonly accountability: AccountabilityConfig;
}

export interface LoadOptions {
  /** The environment: pass Bun.env. Nothing else in the service reads it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the file at CONFIG_PATH (tests replace it). */
  readonly readFile?: (path: string) => string;
}

/** Reads and checks everything once; throws ConfigError listing every problem. */
export function loadConfig({ env, readFile = (path) => readFileSync(path, "utf8") }: LoadOptions): Config {
  const fromEnv = parseEnv(env);
  const path = env.CONFIG_PATH || undefined;
  const source: ConfigSource = path === undefined ? { kind: "defaults" } : { kind: "file", path };
  const sourceKey = path === undefined ? "defaults.yaml" : "CONFIG_PATH";

  let text: string;
  try {
    text = path === undefined ? (DEFAULTS_YAML as string) : readFile(path);
  } catch (error) {
    throw new ConfigError([...fromEnv.issues, { key: sourceKey, reason: `file cannot be read: ${(error as Error).message}`, value: renderValue(path)! }]);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const where = path === undefined ? "" : ` ${path}`;
    throw new ConfigError([...fromEnv.issues, { key: sourceKey, reason: `file${where} is not valid YAML: ${(error as Error).message}` }]);
  }

  const overridden = applyOverrides(document, env, [...ENV_NAMES, ...ACCOUNTABILITY_ENV_NAMES]);
  const parsed = fileSchema.safeParse(overridden.document ?? {});
  const fileIssues = parsed.success ? [] : fromZodIssues(parsed.error.issues, overridden.document, { knownKeysAt });
  const rules = resolveRules(overridden.document);
  const reported = new Set(fileIssues.map((issue) => issue.key));
  const documentIssues = [...fileIssues, ...rules.issues.filter((issue) => !reported.has(issue.key))].map((issue): ConfigIssue => {
    const from = originOf(overridden.origins, issue.key.split("."));
    const top = issue.key === "" ? { key: sourceKey, reason: `the file's top level ${issue.reason}` } : {};
    return { ...issue, ...top, ...(from ? { from } : {}) };
  });
  const typeNames = parsed.success ? Object.keys(parsed.data.id_generator.idTypes) : [];
  const accountability = parseAccountability(overridden.document, env, typeNames);
  const issues = [...fromEnv.issues, ...overridden.issues, ...documentIssues, ...accountability.issues];
  if (issues.length > 0 || !fromEnv.settings || !parsed.success || !rules.filterRules || !accountability.settings) throw new ConfigError(issues);

  const settings = fromEnv.settings;
  const section = parsed.data.id_generator;
  const idTypes: Record<string, IdTypeConfig> = Object.create(null);
  for (const [name, sizes] of Object.entries(section.idTypes)) {
    const resolved = rules.idTypes[name]!;
    idTypes[name] = { name, idLength: resolved.id_length, rules: resolved, ...sizes };
  }
  const ignored = Object.keys(parsed.data).filter((key) => !READ_SECTIONS.includes(key));
  const warnings = [...settings.warnings, ...(ignored.length ? [`top-level keys ignored (only ${READ_SECTIONS.join(", ")} are read): ${ignored.join(", ")}`] : [])];
  return deepFreeze({
    source,
    overrides: [...overridden.origins.values()],
    warnings,
    port: settings.port,
    logLevel: settings.logLevel,
    httpLanes: settings.httpLanes,
    database: settings.database,
    idGenerator: { ...section, filterRules: rules.filterRules, idTypes },
    sequences: parsed.data.sequences,
    accountability: accountability.settings,
  });
}

/** For "did you mean" on an unknown key. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 1 && path[0] === "id_generator") return SECTION_KEYS;
  if (path.length === 3 && path[1] === "id_types") return TYPE_KEYS;
  if (path.length === 1 && path[0] === "sequences") return SEQUENCES_KEYS;
  if (path.length === 3 && path[0] === "sequences" && path[1] === "counters") return COUNTER_KEYS;
  return [];
}

/** Freezes every object and array inside (resolveParameters returns frozen objects holding unfrozen lists). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
