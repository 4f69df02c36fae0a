// Checks rendered manifests against Kubernetes schemas shipped in npm packages (nothing downloaded at test
// time): kubernetes-models (core kinds) and @kubernetes-models/prometheus-operator validate values and required
// fields, but their schemas allow unknown keys, so a misspelt `readinesProbe` would pass; fieldProblems() closes
// that gap by walking each object against the same packages' TypeScript declarations. CloudNativePG ships no npm
// package: cnpg-schema.ts is a minimal schema written from its CRD (postgresql.cnpg.io/v1), for the fields used.
import Ajv from "ajv";
import ts from "typescript";
import { createRequire } from "node:module";
import { CNPG_SCHEMAS } from "./cnpg-schema";
import type { Manifest } from "./kustomize";

/** apiVersion/kind -> module exporting the model class of the same name. */
const MODELS: Record<string, string> = {
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Secret": "kubernetes-models/v1/Secret",
  "v1/Service": "kubernetes-models/v1/Service",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
  "batch/v1/Job": "kubernetes-models/batch/v1/Job",
  "monitoring.coreos.com/v1/PodMonitor": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor",
  "monitoring.coreos.com/v1/PrometheusRule": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
};

const key = (object: Manifest) => `${object.apiVersion}/${object.kind}`;

/** Every problem of `object` against its schema ([] when valid); unknown kinds are a problem too. */
export async function schemaProblems(object: Manifest): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name}`;
  const cnpg = CNPG_SCHEMAS[key(object)];
  if (cnpg) {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(cnpg);
    return validate(object) ? [] : (validate.errors ?? []).map((error) => `${where}: ${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`);
  }
  const module = MODELS[key(object)];
  if (!module) return [`${where}: no schema for ${key(object)} (add it to test/ops/support/schemas.ts)`];
  const model = (await import(module))[object.kind] as new (data: unknown) => { validate(): void };
  const problems: string[] = [];
  try {
    new model(object).validate();
  } catch (error) {
    problems.push(`${where}: ${String(error)}`);
  }
  return [...problems, ...fieldProblems(object).map((problem) => `${where}: ${problem}`)];
}

let checker: { program: ts.Program; types: Map<string, ts.Type> } | undefined;

/** The TypeScript program holding every model's declared type (built once: a couple of seconds). */
function declaredTypes(): { program: ts.Program; types: Map<string, ts.Type> } {
  if (checker) return checker;
  const require = createRequire(import.meta.url);
  const entries = Object.entries(MODELS);
  const source = entries.map(([, module], index) => `import type { I${module.split("/").pop()} as T${index} } from "${module}";\nexport type E${index} = T${index};`).join("\n");
  const fileName = require.resolve("kubernetes-models/package.json").replace(/package\.json$/, "__manifest_types__.ts");
  const host = ts.createCompilerHost({ strict: true, skipLibCheck: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022 });
  const original = host.getSourceFile;
  host.getSourceFile = (name, version, ...rest) => (name === fileName ? ts.createSourceFile(name, source, version) : original(name, version, ...rest));
  const program = ts.createProgram([fileName], { strict: true, skipLibCheck: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022 }, host);
  const typeChecker = program.getTypeChecker();
  const file = program.getSourceFile(fileName)!;
  const types = new Map<string, ts.Type>();
  const symbols = typeChecker.getExportsOfModule(typeChecker.getSymbolAtLocation(file)!);
  entries.forEach(([kind], index) => {
    const symbol = symbols.find((candidate) => candidate.name === `E${index}`);
    if (!symbol) throw new Error(`no declared type for ${kind}`);
    types.set(kind, typeChecker.getDeclaredTypeOfSymbol(symbol));
  });
  checker = { program, types };
  return checker;
}

/** Keys of `object` that its kind's declared type does not have, at any depth. */
export function fieldProblems(object: Manifest): string[] {
  const { program, types } = declaredTypes();
  const typeChecker = program.getTypeChecker();
  const type = types.get(key(object));
  if (!type) return [`no declared type for ${key(object)}`];
  const problems: string[] = [];
  const walk = (value: unknown, type: ts.Type, path: string): void => {
    if (value === null || typeof value !== "object") return;
    const candidates = type.isUnion() ? type.types : [type];
    const objectLike = candidates.filter((candidate) => (candidate.flags & ts.TypeFlags.Object) !== 0);
    if (objectLike.length === 0) return; // primitives and `any` (the schemas check values)
    if (Array.isArray(value)) {
      const element = objectLike.map((candidate) => typeChecker.getIndexTypeOfType(candidate, ts.IndexKind.Number)).find(Boolean);
      if (element) value.forEach((item, index) => walk(item, element, `${path}[${index}]`));
      return;
    }
    // A union of object types: the first member under which the value has no unknown keys.
    let best: string[] | undefined;
    for (const candidate of objectLike) {
      const found: string[] = [];
      const indexType = typeChecker.getIndexTypeOfType(candidate, ts.IndexKind.String);
      for (const [field, child] of Object.entries(value)) {
        const property = candidate.getProperty(field);
        if (property) {
          const before = problems.length;
          walk(child, typeChecker.getTypeOfSymbol(property), `${path}.${field}`);
          found.push(...problems.splice(before));
        } else if (indexType) {
          walk(child, indexType, `${path}.${field}`);
        } else {
          found.push(`${path}.${field} is not a field of ${typeChecker.typeToString(candidate)}`);
        }
      }
      if (!best || found.length < best.length) best = found;
      if (found.length === 0) break;
    }
    problems.push(...(best ?? []));
  };
  walk(object, type, "");
  return problems;
}
