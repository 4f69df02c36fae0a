// A renderer for the kustomize features deploy/ uses, so the tests need no kubectl: resources (files and
// directories holding a kustomization.yaml), namespace, images, and strategic-merge patches (matched by kind and
// name; lists of objects with a `name` merge by name, as containers and env do; other lists are replaced,
// as kustomize does for lists without a merge key). It refuses any other kustomization key, so a feature added
// to deploy/ without teaching it here fails the test rather than rendering wrong. Where kubectl is installed the
// test also compares this rendering with `kubectl kustomize`.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [key: string]: unknown }; [key: string]: unknown };

const KNOWN_KEYS = new Set(["apiVersion", "kind", "resources", "namespace", "images", "patches"]);
/** Kinds without a namespace (none of ours today; listed so a namespace is never put on one). */
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "StorageClass"]);

export function readYamlDocuments(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

export function render(dir: string): Manifest[] {
  const file = join(dir, "kustomization.yaml");
  const [kustomization] = readYamlDocuments(file) as unknown as Record<string, unknown>[];
  if (!kustomization) throw new Error(`${file} is empty`);
  for (const key of Object.keys(kustomization)) if (!KNOWN_KEYS.has(key)) throw new Error(`${file}: ${key} is not supported by this renderer`);
  let objects: Manifest[] = [];
  for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    objects.push(...(statSync(path).isDirectory() ? render(path) : readYamlDocuments(path)));
  }
  for (const patch of (kustomization.patches as { path?: string }[] | undefined) ?? []) {
    if (!patch.path || Object.keys(patch).length !== 1) throw new Error(`${file}: only patches with a path are supported`);
    for (const doc of readYamlDocuments(resolve(dir, patch.path))) {
      const index = objects.findIndex((object) => object.kind === doc.kind && object.metadata.name === doc.metadata.name);
      if (index < 0) throw new Error(`${file}: patch for ${doc.kind}/${doc.metadata.name} matches no resource`);
      objects[index] = strategicMerge(objects[index]!, doc) as Manifest;
    }
  }
  for (const image of (kustomization.images as { name: string; newName?: string; newTag?: string }[] | undefined) ?? []) {
    objects = objects.map((object) => replaceImage(object, image) as Manifest);
  }
  const namespace = kustomization.namespace as string | undefined;
  if (namespace) {
    objects = objects.map((object) => (CLUSTER_SCOPED.has(object.kind) ? object : { ...object, metadata: { ...object.metadata, namespace } }));
  }
  return objects;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const named = (list: unknown[]) => list.length > 0 && list.every((item) => isObject(item) && typeof item.name === "string");

export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete out[key];
      else out[key] = key in base ? strategicMerge(base[key], value) : value;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && named(base) && named(patch)) {
    // The patch's items first, in its order (merged into their namesakes), then the base's others: the order
    // kustomize's strategic merge produces.
    const items = base as Record<string, unknown>[];
    const patched = (patch as Record<string, unknown>[]).map((item) => {
      const existing = items.find((candidate) => candidate.name === item.name);
      return existing ? (strategicMerge(existing, item) as Record<string, unknown>) : item;
    });
    return [...patched, ...items.filter((item) => !patched.some((other) => other.name === item.name))];
  }
  return patch;
}

/** kustomize's images transformer: `image: name[:tag]` in any container list becomes newName:newTag. */
function replaceImage(value: unknown, image: { name: string; newName?: string; newTag?: string }): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceImage(item, image));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === "image" && typeof child === "string" && (child === image.name || child.startsWith(`${image.name}:`))) {
      const tag = child.includes(":") ? child.slice(child.indexOf(":") + 1) : undefined;
      out[key] = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ""}`;
    } else {
      out[key] = replaceImage(child, image);
    }
  }
  return out;
}

export const DEPLOY_DIR = resolve(dirname(new URL(import.meta.url).pathname), "../../../deploy");
