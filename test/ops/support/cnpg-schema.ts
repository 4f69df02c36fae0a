// A minimal JSON schema for the CloudNativePG resources deploy/overlays/prod uses, written from the operator's
// CRD (postgresql.cnpg.io/v1 Cluster and ScheduledBackup, CloudNativePG 1.25+): the fields we set, their types
// and enums, and additionalProperties: false, so a misspelt or misplaced field fails. No npm package ships these
// CRDs; extend this when the manifests use more of them.
const secretKey = { type: "object", required: ["name", "key"], additionalProperties: false, properties: { name: { type: "string" }, key: { type: "string" } } };
const quantity = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$" };
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", additionalProperties: false, required, properties });
const metadata = strict({ name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" }, namespace: { type: "string" }, labels: { type: "object", additionalProperties: { type: "string" } }, annotations: { type: "object", additionalProperties: { type: "string" } } }, ["name"]);
const compression = { enum: ["gzip", "bzip2", "snappy", "lz4", "xz", "zstd"] };

const cluster = strict({
  apiVersion: { const: "postgresql.cnpg.io/v1" },
  kind: { const: "Cluster" },
  metadata,
  spec: strict({
    instances: { type: "integer", minimum: 1 },
    imageName: { type: "string" },
    primaryUpdateStrategy: { enum: ["unsupervised", "supervised"] },
    postgresql: strict({
      synchronous: strict({ method: { enum: ["any", "first"] }, number: { type: "integer", minimum: 1 }, dataDurability: { enum: ["required", "preferred"] } }, ["method", "number"]),
      parameters: { type: "object", additionalProperties: { type: "string" } },
    }),
    bootstrap: strict({ initdb: strict({ database: { type: "string" }, owner: { type: "string" } }) }),
    storage: strict({ size: quantity, storageClass: { type: "string" } }, ["size"]),
    walStorage: strict({ size: quantity, storageClass: { type: "string" } }, ["size"]),
    resources: strict({ requests: { type: "object", additionalProperties: { type: ["string", "number"] } }, limits: { type: "object", additionalProperties: { type: ["string", "number"] } } }),
    affinity: strict({ enablePodAntiAffinity: { type: "boolean" }, podAntiAffinityType: { enum: ["required", "preferred"] }, topologyKey: { type: "string" } }),
    monitoring: strict({ enablePodMonitor: { type: "boolean" } }),
    backup: strict({
      retentionPolicy: { type: "string", pattern: "^[1-9][0-9]*[dwm]$" },
      barmanObjectStore: strict({
        destinationPath: { type: "string", minLength: 1 },
        s3Credentials: strict({ accessKeyId: secretKey, secretAccessKey: secretKey }),
        wal: strict({ compression }),
        data: strict({ compression }),
      }, ["destinationPath"]),
    }),
  }, ["instances", "storage"]),
}, ["apiVersion", "kind", "metadata", "spec"]);

const scheduledBackup = strict({
  apiVersion: { const: "postgresql.cnpg.io/v1" },
  kind: { const: "ScheduledBackup" },
  metadata,
  spec: strict({
    // Six fields: CloudNativePG's schedule has seconds first.
    schedule: { type: "string", pattern: "^\\S+( \\S+){5}$" },
    backupOwnerReference: { enum: ["none", "self", "cluster"] },
    cluster: strict({ name: { type: "string" } }, ["name"]),
    method: { enum: ["barmanObjectStore", "volumeSnapshot", "plugin"] },
  }, ["schedule", "cluster"]),
}, ["apiVersion", "kind", "metadata", "spec"]);

export const CNPG_SCHEMAS: Record<string, object> = {
  "postgresql.cnpg.io/v1/Cluster": cluster,
  "postgresql.cnpg.io/v1/ScheduledBackup": scheduledBackup,
};
