// The service's own environment variables (everything but the IDGEN_ID_GENERATOR__ overrides of the file):
// their schema, defaults, and the database settings, which come from DATABASE_URL, DB_*, or neither (embedded).
import { z } from "zod";
import { fromZodIssues, redactUrl, type ConfigIssue } from "./errors";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type DatabaseConfig =
  | { readonly embedded: false; readonly url: string; readonly source: "DATABASE_URL" | "DB_*" }
  | { readonly embedded: true; readonly dataDir: string };

/** DB_* is all or nothing: once any is set, these three must be (DB_PORT defaults to 5432, DB_PASSWORD may be absent). */
export const DB_REQUIRED = ["DB_HOST", "DB_NAME", "DB_USER"] as const;
const DB_VARIABLES = ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"] as const;
const SECRET = new Set(["DB_PASSWORD"]);

const wholeNumber = (min: number, max: number) =>
  z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.int().min(min).max(max));

const postgresUrl = z.string().refine((text) => {
  if (!/^postgres(ql)?:\/\//.test(text)) return false;
  // Checked as postgres.js parses it: a host list (a:5432,b:5432) through its first host.
  const hosts = text.slice(text.indexOf("://") + 3).split(/[?/#]/)[0]!.split("@").pop()!;
  try {
    return new URL(text.replace(hosts, hosts.split(",")[0]!)).hostname !== "";
  } catch {
    return false;
  }
}, "must be a URL like postgres://user:password@host:5432/database");

/** Every variable this module reads besides the overrides; an empty value counts as unset. */
export const envSchema = z
  .object({
    PORT: wholeNumber(0, 65535).default(8080),
    LOG_LEVEL: z.string().transform((level) => level.toLowerCase()).pipe(z.enum(LOG_LEVELS)).default("info"),
    // Used by load.ts, which needs it even when other variables are wrong; listed to keep every variable here.
    CONFIG_PATH: z.string().optional(),
    DATABASE_URL: postgresUrl.optional(),
    DB_HOST: z.string().regex(/^[^\s/@?#]+$/, "must be a host name or IP address (Unix sockets are not supported)").optional(),
    DB_PORT: wholeNumber(1, 65535).optional(),
    DB_NAME: z.string().optional(),
    DB_USER: z.string().optional(),
    DB_PASSWORD: z.string().optional(),
    IDGEN_DATA_DIR: z.string().default(".data/postgres"),
    // Bun's router answering the hot routes before Hono (src/http/lane.ts); off: every request through Hono.
    IDGEN_HTTP_LANES: z.string().transform((value) => value.toLowerCase()).pipe(z.enum(["on", "off"])).default("on"),
  })
  .transform((env) => {
    const warnings: string[] = [];
    const setDb = DB_VARIABLES.filter((name) => env[name] !== undefined);
    let database: DatabaseConfig;
    if (env.DATABASE_URL !== undefined) {
      // DATABASE_URL wins over DB_*: the usual convention, and the one a platform add-on sets.
      if (setDb.length > 0) warnings.push(`${setDb.join(", ")} ignored: DATABASE_URL is set and takes precedence`);
      database = secretSafe({ embedded: false, url: env.DATABASE_URL, source: "DATABASE_URL" });
    } else if (setDb.length > 0) {
      // Completeness is checked by missingDatabaseVariables, outside zod, so that it is reported with other problems.
      database = secretSafe({ embedded: false, url: buildUrl(env), source: "DB_*" });
    } else {
      database = { embedded: true, dataDir: env.IDGEN_DATA_DIR };
    }
    return { port: env.PORT, logLevel: env.LOG_LEVEL, httpLanes: env.IDGEN_HTTP_LANES === "on", database, warnings };
  });

export type EnvSettings = z.output<typeof envSchema>;
export const ENV_NAMES = Object.keys(envSchema.in.shape) as (keyof typeof envSchema.in.shape)[];

/** Parses the variables above; returns the settings or every problem found. */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): { settings?: EnvSettings; issues: ConfigIssue[] } {
  const present: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== "") present[name] = value;
  }
  const result = envSchema.safeParse(present);
  const missing = missingDatabaseVariables(present);
  if (result.success && missing.length === 0) return { settings: result.data, issues: [] };
  const valueAt = (path: readonly PropertyKey[]) => {
    const name = String(path[0]);
    if (SECRET.has(name)) return undefined;
    return name === "DATABASE_URL" && present[name] !== undefined ? redactUrl(present[name]) : present[name];
  };
  return { issues: [...(result.success ? [] : fromZodIssues(result.error.issues, present, { valueAt })), ...missing] };
}

/** A partial DB_* set (without DATABASE_URL) names each missing required variable. */
function missingDatabaseVariables(present: Record<string, string>): ConfigIssue[] {
  const setDb = DB_VARIABLES.filter((name) => present[name] !== undefined);
  if (present.DATABASE_URL !== undefined || setDb.length === 0) return [];
  const verb = setDb.length === 1 ? "is" : "are";
  return DB_REQUIRED.filter((name) => present[name] === undefined).map((name) => ({
    key: name,
    reason: `is required when ${setDb.join(", ")} ${verb} set (set ${DB_REQUIRED.join(", ")}, or DATABASE_URL)`,
  }));
}

/** postgres://user:password@host:port/name, every part percent-encoded; IPv6 literals get brackets. */
function buildUrl(env: { DB_HOST?: string; DB_PORT?: number; DB_NAME?: string; DB_USER?: string; DB_PASSWORD?: string }): string {
  const user = encodeURIComponent(env.DB_USER ?? "");
  const password = env.DB_PASSWORD === undefined ? "" : `:${encodeURIComponent(env.DB_PASSWORD)}`;
  const host = env.DB_HOST?.includes(":") && !env.DB_HOST.startsWith("[") ? `[${env.DB_HOST}]` : env.DB_HOST ?? "";
  return `postgres://${user}${password}@${host}:${env.DB_PORT ?? 5432}/${encodeURIComponent(env.DB_NAME ?? "")}`;
}

/** The URL stays readable for the code that connects, but JSON.stringify and console.log show it redacted. */
function secretSafe(database: Extract<DatabaseConfig, { embedded: false }>): DatabaseConfig {
  const redacted = () => ({ ...database, url: redactUrl(database.url) });
  Object.defineProperty(database, "toJSON", { value: redacted });
  Object.defineProperty(database, Symbol.for("nodejs.util.inspect.custom"), { value: redacted });
  return Object.freeze(database);
}
