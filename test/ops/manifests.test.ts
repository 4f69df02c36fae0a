// deploy/: both overlays render (test/ops/support/kustomize.ts; and the same as `kubectl kustomize` where kubectl
// is installed), every object is valid against the Kubernetes schemas from npm (unknown fields included), and the
// objects fit together and fit the service: selectors match the pods, probes hit routes the app answers, the grace
// period outlasts the drain, the ConfigMap is a config the service accepts, Secrets referenced exist or are the
// ones CloudNativePG writes, and the migration Job runs the package's migrate script.
import { describe, expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config";
import { createApp } from "../../src/http/app";
import { STOP_DEADLINE_MS } from "../../src/service";
import pkg from "../../package.json" with { type: "json" };
import { DEPLOY_DIR, render, strategicMerge, type Manifest } from "./support/kustomize";
import { schemaProblems } from "./support/schemas";

const OVERLAYS = ["dev", "prod"] as const;
const rendered = Object.fromEntries(OVERLAYS.map((name) => [name, render(`${DEPLOY_DIR}/overlays/${name}`)])) as Record<(typeof OVERLAYS)[number], Manifest[]>;

// Typed loosely on purpose: these are parsed YAML, checked by the schemas above before anything reads them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const find = (objects: Manifest[], kind: string, name?: string): Loose => {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ""}, found ${found.length}`);
  return found[0];
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe("the renderer", () => {
  test("merges patches as kustomize does: named lists by name, other lists replaced, null deletes", () => {
    const base = { spec: { containers: [{ name: "a", env: [{ name: "X", value: "1" }, { name: "Y", value: "2" }] }], ports: [1, 2], keep: 1, drop: 2 } };
    const patch = { spec: { containers: [{ name: "a", env: [{ name: "Y", value: "3" }, { name: "Z", value: "4" }] }], ports: [3], drop: null } };
    expect(strategicMerge(base, patch)).toEqual({
      spec: { containers: [{ name: "a", env: [{ name: "Y", value: "3" }, { name: "Z", value: "4" }, { name: "X", value: "1" }] }], ports: [3], keep: 1 },
    });
  });

  const kubectl = Bun.which("kubectl");
  test.skipIf(!kubectl)("renders each overlay exactly as `kubectl kustomize` does", () => {
    for (const overlay of OVERLAYS) {
      const result = Bun.spawnSync([kubectl!, "kustomize", `${DEPLOY_DIR}/overlays/${overlay}`], { stderr: "pipe" });
      expect(result.stderr.toString()).toBe("");
      const theirs = parseAllDocuments(result.stdout.toString()).map((doc) => doc.toJS() as Manifest);
      const sortKey = (object: Manifest) => `${object.kind}/${object.metadata.name}`;
      const sorted = (objects: Manifest[]) => [...objects].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
      expect(sorted(rendered[overlay])).toEqual(sorted(theirs));
    }
  });
});

describe.each(OVERLAYS)("overlay %s", (overlay) => {
  const objects = rendered[overlay];
  const deployment = find(objects, "Deployment", "idgen");
  const pod = deployment.spec.template;
  const container = pod.spec.containers.find((candidate: Loose) => candidate.name === "idgen");

  test("every object is valid against its schema, unknown fields included", async () => {
    const problems = (await Promise.all(objects.map(schemaProblems))).flat();
    expect(problems).toEqual([]);
  }, 60_000);

  test("has every kind the service needs, each in the overlay's namespace", () => {
    const kinds = new Set(objects.map((object) => object.kind));
    for (const kind of ["Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Job", "PrometheusRule", "ServiceAccount"]) {
      expect(kinds.has(kind)).toBe(true);
    }
    if (overlay === "prod") expect(find(objects, "Cluster", "idgen-db").spec.instances).toBeGreaterThanOrEqual(3);
    const namespaces = new Set(objects.map((object) => object.metadata.namespace));
    expect(namespaces.size).toBe(1);
    expect([...namespaces][0]).toBe(overlay === "prod" ? "idgen" : "idgen-dev");
  });

  test("selectors select the service's pods", () => {
    const labels = pod.metadata.labels;
    expect(matches(deployment.spec.selector.matchLabels, labels)).toBe(true);
    expect(matches(find(objects, "Service").spec.selector, labels)).toBe(true);
    expect(matches(find(objects, "PodDisruptionBudget").spec.selector.matchLabels, labels)).toBe(true);
    expect(matches(find(objects, "NetworkPolicy").spec.podSelector.matchLabels, labels)).toBe(true);
    expect(matches(find(objects, "PodMonitor").spec.selector.matchLabels, labels)).toBe(true);
    for (const spread of pod.spec.topologySpreadConstraints) expect(matches(spread.labelSelector.matchLabels, labels)).toBe(true);
    const hpa = find(objects, "HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    expect(deployment.spec.replicas).toBeUndefined(); // the autoscaler owns it
    // The Service targets the container's named port, and the NetworkPolicy lets that port in.
    const port = container.ports.find((candidate: Loose) => candidate.name === find(objects, "Service").spec.ports[0].targetPort);
    expect(port).toBeDefined();
    expect(find(objects, "NetworkPolicy").spec.ingress.some((rule: Loose) => rule.ports.some((p: Loose) => p.port === port.containerPort))).toBe(true);
    const env = Object.fromEntries(container.env.map((variable: Loose) => [variable.name, variable]));
    expect(env.PORT.value).toBe(String(port.containerPort));
  });

  test("probes and the HEALTHCHECK's endpoint are routes the app answers, on the container's port", async () => {
    const app = createApp({ probes: { ready: async () => true } });
    const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
    for (const probe of probes) {
      expect(container.ports.some((port: Loose) => port.name === probe.httpGet.port)).toBe(true);
      expect((await app.request(probe.httpGet.path)).status).toBe(200);
    }
    // Liveness must not depend on the database (an outage would restart pods whose buffers still serve).
    expect(container.livenessProbe.httpGet.path).toBe("/livez");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    const notReady = createApp({ probes: { ready: async () => false } });
    expect((await notReady.request(container.readinessProbe.httpGet.path)).status).toBe(503);
  });

  test("the grace period outlasts preStop plus the service's own stop deadline", () => {
    const [command, seconds] = container.lifecycle.preStop.exec.command;
    expect(command).toBe("sleep");
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + STOP_DEADLINE_MS / 1000);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  test("runs as non-root with a read-only root file system and no service account token", () => {
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
  });

  test("the ConfigMap is a configuration the service accepts, with the environment the pod gets", () => {
    const configMap = find(objects, "ConfigMap", "idgen-config");
    const env: Record<string, string> = {};
    for (const variable of container.env) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (variable.valueFrom.configMapKeyRef) env[variable.name] = configMap.data[variable.valueFrom.configMapKeyRef.key];
      else if (variable.name === "DATABASE_URL") env[variable.name] = "postgres://idgen:secret@db:5432/idgen"; // Secrets' values
      else if (variable.name === "IDGEN_API_KEYS") env[variable.name] = "registry:0123456789abcdef0123,batch-job:fedcba9876543210fedc";
    }
    const mount = container.volumeMounts.find((candidate: Loose) => env.CONFIG_PATH!.startsWith(`${candidate.mountPath}/`));
    const volume = pod.spec.volumes.find((candidate: Loose) => candidate.name === mount.name);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const file = volume.configMap.items.find((item: Loose) => `${mount.mountPath}/${item.path}` === env.CONFIG_PATH);
    const config = loadConfig({ env, readFile: () => configMap.data[file.key] });
    expect(Object.keys(config.idGenerator.idTypes).sort()).toEqual(["farmer", "household"]);
    expect(config.logLevel).toBe(overlay === "dev" ? "debug" : "info");
    expect(config.database.embedded).toBe(false);
    expect(config.accountability.keys.map((key) => key.name)).toEqual(["registry", "batch-job"]);
    expect(Object.keys(env).sort()).toEqual(container.env.map((variable: Loose) => variable.name).sort()); // every variable given a value
  });

  test("secrets are references: the database URL from a Secret the overlay or CloudNativePG provides", () => {
    const job = find(objects, "Job", "idgen-migrate");
    for (const spec of [pod.spec, job.spec.template.spec]) {
      const variable = spec.containers[0].env.find((candidate: Loose) => candidate.name === "DATABASE_URL");
      const ref = variable.valueFrom.secretKeyRef;
      if (overlay === "prod") {
        // CloudNativePG writes <cluster>-app with a `uri` key for the bootstrap owner.
        expect(ref).toEqual({ name: `${find(objects, "Cluster").metadata.name}-app`, key: "uri" });
      } else {
        expect(find(objects, "Secret", ref.name).stringData[ref.key]).toStartWith("postgres://");
      }
    }
    const apiKeys = container.env.find((candidate: Loose) => candidate.name === "IDGEN_API_KEYS");
    expect(apiKeys.valueFrom.secretKeyRef.optional).toBe(true);
    // No plain-text secret anywhere in the pod spec.
    expect(container.env.filter((variable: Loose) => /URL|PASSWORD|KEY/.test(variable.name) && variable.value !== undefined)).toEqual([]);
  });

  test("the migration Job runs `npm run migrate`'s command with the service's image", () => {
    const job = find(objects, "Job", "idgen-migrate");
    const migrate = job.spec.template.spec.containers[0];
    expect(migrate.command.join(" ")).toBe(pkg.scripts.migrate);
    expect(migrate.image).toBe(container.image);
    expect(job.spec.template.spec.restartPolicy).not.toBe("Always");
  });
});
