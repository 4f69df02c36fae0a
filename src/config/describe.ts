// describeConfig: the configuration as one loggable object for the start-up line, with secrets redacted
// (the database password, in DATABASE_URL or DB_PASSWORD) and the rule parameters each type resolved to.
import { redactUrl } from "./errors";
import type { Config } from "./load";

export function describeConfig(config: Config) {
  const { database, idGenerator } = config;
  return {
    source: config.source.kind === "file" ? `file ${config.source.path}` : "built-in defaults (src/config/defaults.yaml)",
    overrides: config.overrides,
    port: config.port,
    logLevel: config.logLevel,
    httpLanes: config.httpLanes,
    database: database.embedded
      ? { embedded: true, dataDir: database.dataDir }
      : { embedded: false, url: redactUrl(database.url), source: database.source },
    idGenerator: {
      poolMinThreshold: idGenerator.poolMinThreshold,
      poolGenerationBatchSize: idGenerator.poolGenerationBatchSize,
      poolCheckIntervalSeconds: idGenerator.poolCheckIntervalSeconds,
      filterRules: idGenerator.filterRules,
      idTypes: Object.fromEntries(
        Object.values(idGenerator.idTypes).map((type) => [type.name, { ...type.rules, pool: type.pool, buffer: type.buffer }]),
      ),
    },
    sequences: config.sequences,
    // Key names and what they may do; never a secret or its digest.
    accountability: {
      audit: config.accountability.audit,
      auditWriters: config.accountability.auditWriters,
      maxBodyBytes: config.accountability.maxBodyBytes,
      idempotencyRetentionHours: config.accountability.idempotencyRetentionHours,
      keys: config.accountability.keys.map((key) => ({ name: key.name, source: key.source, scopes: key.scopes, idTypes: key.idTypes ?? "all", rateLimit: key.rateLimit ?? "none" })),
    },
    warnings: config.warnings,
  };
}
