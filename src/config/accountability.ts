// The accountability settings: API keys (IDGEN_API_KEYS and the file's `keys` section), audit on or off, the
// request body limit, the default rate limit and how long idempotency replies are kept (the file's
// `accountability` section and IDGEN_* variables). Secrets never appear in an issue or in the result: keys
// are kept as sha256 digests from here on.
import { createHash } from "node:crypto";
import { z } from "zod";
import { fromZodIssues, renderValue, type ConfigIssue } from "./errors";

export const ACCOUNTABILITY_ENV_NAMES = [
  "IDGEN_API_KEYS", "IDGEN_AUDIT", "IDGEN_AUDIT_WRITERS", "IDGEN_MAX_BODY_BYTES", "IDGEN_RATE_LIMIT", "IDGEN_IDEMPOTENCY_RETENTION_HOURS",
] as const;

export interface ApiKeyConfig {
  readonly name: string;
  /** sha256 of the secret, lowercase hex. */
  readonly sha256: string;
  readonly scopes: readonly ("issue" | "lookup" | "admin")[];
  /** null: every type. */
  readonly idTypes: readonly string[] | null;
  readonly rateLimit: { readonly perSecond: number; readonly burst: number } | null;
  readonly source: "IDGEN_API_KEYS" | "file";
}

export interface AccountabilityConfig {
  readonly keys: readonly ApiKeyConfig[];
  readonly audit: boolean;
  /** Audit INSERTs in flight at once (group commit writers). */
  readonly auditWriters: number;
  readonly maxBodyBytes: number;
  readonly idempotencyRetentionHours: number;
  readonly defaultRateLimit: { readonly perSecond: number; readonly burst: number } | null;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const rateLimitSchema = z.strictObject({ per_second: z.number().positive().max(1_000_000), burst: z.int().min(1).max(10_000_000).optional() });
const keySchema = z
  .strictObject({
    secret: z.string().min(16, "must be at least 16 characters").optional(),
    secret_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits (sha256 of the secret)").optional(),
    scopes: z.array(z.enum(["issue", "lookup", "admin"])).min(1).default(["issue", "lookup"]),
    id_types: z.array(z.string()).min(1).optional(),
    rate_limit: rateLimitSchema.optional(),
  })
  .refine((key) => (key.secret === undefined) !== (key.secret_sha256 === undefined), "needs exactly one of secret and secret_sha256");
export const accountabilityFileSchema = z.object({
  keys: z.record(z.string().regex(KEY_NAME, `is not a valid key name (${KEY_NAME.source})`), keySchema).optional(),
  accountability: z
    .strictObject({
      audit: z.boolean().default(true),
      audit_writers: z.int().min(1).max(8).default(4),
      max_body_bytes: z.int().min(1024).max(64 * 1024 * 1024).default(65_536),
      idempotency_retention_hours: z.number().min(24).max(24 * 365).default(24),
      default_rate_limit: rateLimitSchema.optional(),
    })
    .default({ audit: true, audit_writers: 4, max_body_bytes: 65_536, idempotency_retention_hours: 24 }),
});

const hex = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");
const limitOf = (limit: { per_second: number; burst?: number } | undefined) =>
  limit ? { perSecond: limit.per_second, burst: limit.burst ?? Math.max(1, Math.ceil(limit.per_second)) } : null;

/** Reads the file's sections and the variables; `typeNames` are the configured ID types (keys may name only those). */
export function parseAccountability(
  document: unknown,
  env: Readonly<Record<string, string | undefined>>,
  typeNames: readonly string[],
): { settings?: AccountabilityConfig; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  // A file that is not a mapping is reported once, by the id_generator schema.
  const root = document !== null && typeof document === "object" && !Array.isArray(document) ? document : {};
  const parsed = accountabilityFileSchema.safeParse(root);
  if (!parsed.success) {
    // Nothing under `keys` is quoted back: a key's value holds its secret.
    const underKeys = (issue: z.core.$ZodIssue) => issue.path[0] === "keys";
    issues.push(
      ...fromZodIssues(parsed.error.issues.filter((issue) => !underKeys(issue)), root),
      ...parsed.error.issues.filter(underKeys).map((issue) => ({ key: issue.path.join("."), reason: issue.message })),
    );
  }
  const value = (name: string) => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  let audit = parsed.success ? parsed.data.accountability.audit : true;
  const auditText = value("IDGEN_AUDIT");
  if (auditText !== undefined) {
    if (/^(on|true|1)$/i.test(auditText)) audit = true;
    else if (/^(off|false|0)$/i.test(auditText)) audit = false;
    else issues.push({ key: "IDGEN_AUDIT", reason: "must be on or off", value: renderValue(auditText) });
  }
  let auditWriters = parsed.success ? parsed.data.accountability.audit_writers : 4;
  const writersText = value("IDGEN_AUDIT_WRITERS");
  if (writersText !== undefined) {
    if (/^[1-8]$/.test(writersText)) auditWriters = Number(writersText);
    else issues.push({ key: "IDGEN_AUDIT_WRITERS", reason: "must be a whole number from 1 to 8", value: renderValue(writersText) });
  }
  let maxBodyBytes = parsed.success ? parsed.data.accountability.max_body_bytes : 65_536;
  const bodyText = value("IDGEN_MAX_BODY_BYTES");
  if (bodyText !== undefined) {
    if (/^\d+$/.test(bodyText) && Number(bodyText) >= 1024 && Number(bodyText) <= 64 * 1024 * 1024) maxBodyBytes = Number(bodyText);
    else issues.push({ key: "IDGEN_MAX_BODY_BYTES", reason: "must be a whole number of bytes from 1024 to 67108864", value: renderValue(bodyText) });
  }
  let retention = parsed.success ? parsed.data.accountability.idempotency_retention_hours : 24;
  const retentionText = value("IDGEN_IDEMPOTENCY_RETENTION_HOURS");
  if (retentionText !== undefined) {
    if (/^\d+(\.\d+)?$/.test(retentionText) && Number(retentionText) >= 24) retention = Number(retentionText);
    else issues.push({ key: "IDGEN_IDEMPOTENCY_RETENTION_HOURS", reason: "must be a number of hours, at least 24", value: renderValue(retentionText) });
  }
  let defaultRateLimit = parsed.success ? limitOf(parsed.data.accountability.default_rate_limit) : null;
  const rateText = value("IDGEN_RATE_LIMIT");
  if (rateText !== undefined) {
    const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(rateText);
    if (match && Number(match[1]) > 0) defaultRateLimit = limitOf({ per_second: Number(match[1]), burst: match[2] ? Number(match[2]) : undefined });
    else issues.push({ key: "IDGEN_RATE_LIMIT", reason: "must be requests per second, optionally :burst (e.g. 100 or 100:200)", value: renderValue(rateText) });
  }

  const keys: ApiKeyConfig[] = [];
  for (const [name, key] of Object.entries(parsed.success ? parsed.data.keys ?? {} : {})) {
    const unknownTypes = (key.id_types ?? []).filter((type) => !typeNames.includes(type));
    if (unknownTypes.length > 0) issues.push({ key: `keys.${name}.id_types`, reason: `names types that are not configured: ${unknownTypes.join(", ")}` });
    keys.push({
      name, sha256: key.secret_sha256?.toLowerCase() ?? hex(key.secret!), scopes: key.scopes, idTypes: key.id_types ?? null,
      rateLimit: limitOf(key.rate_limit) ?? defaultRateLimit, source: "file",
    });
  }
  const listText = value("IDGEN_API_KEYS");
  if (listText !== undefined) {
    for (const [index, entry] of listText.split(",").map((part) => part.trim()).filter(Boolean).entries()) {
      const colon = entry.indexOf(":");
      const name = colon > 0 ? entry.slice(0, colon) : "";
      const secret = colon > 0 ? entry.slice(colon + 1) : "";
      // The entry's position, never its text: the text holds a secret.
      if (!KEY_NAME.test(name)) issues.push({ key: "IDGEN_API_KEYS", reason: `entry ${index + 1} must be name:secret with a name matching ${KEY_NAME.source}` });
      else if (secret.length < 16) issues.push({ key: "IDGEN_API_KEYS", reason: `the secret of key '${name}' must be at least 16 characters` });
      else if (keys.some((other) => other.name === name)) issues.push({ key: "IDGEN_API_KEYS", reason: `key '${name}' is defined twice` });
      else keys.push({ name, sha256: hex(secret), scopes: ["issue", "lookup", "admin"], idTypes: null, rateLimit: defaultRateLimit, source: "IDGEN_API_KEYS" });
    }
  }
  const digests = new Set<string>();
  for (const key of keys) {
    if (digests.has(key.sha256)) issues.push({ key: key.source === "file" ? `keys.${key.name}` : "IDGEN_API_KEYS", reason: `key '${key.name}' has the same secret as another key; give each key its own` });
    digests.add(key.sha256);
  }
  if (issues.length > 0) return { issues };
  return { settings: { keys, audit, auditWriters, maxBodyBytes, idempotencyRetentionHours: retention, defaultRateLimit }, issues: [] };
}
