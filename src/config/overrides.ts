// Environment overrides of the config file: IDGEN_ID_GENERATOR__POOL_MIN_THRESHOLD=500 sets
// id_generator.pool_min_threshold (and IDGEN_SEQUENCES__… the sequences section); `__` separates path
// segments, values are YAML scalars or flow collections.
import type { ConfigIssue } from "./errors";
import { parseYaml } from "./yaml";

export const OVERRIDE_PREFIX = "IDGEN_ID_GENERATOR__";
/** The file's sections that variables may override, by prefix: IDGEN_SEQUENCES__COUNTERS__ORDERS__MAX sets sequences.counters.orders.max. */
const SECTION_PREFIXES: readonly [prefix: string, section: string][] = [[OVERRIDE_PREFIX, "id_generator"], ["IDGEN_SEQUENCES__", "sequences"]];
/** The env name of a dotted path: id_generator.id_types.farmer.id_length → IDGEN_ID_GENERATOR__ID_TYPES__FARMER__ID_LENGTH. */
export const envNameOf = (dottedPath: string) => `IDGEN_${dottedPath.toUpperCase().replaceAll(".", "__")}`;

export interface Overridden {
  /** A copy of the file's document with every override applied. */
  readonly document: unknown;
  /** Dotted path → the variable that set it. */
  readonly origins: ReadonlyMap<string, string>;
  readonly issues: ConfigIssue[];
}

/**
 * Applies every IDGEN_ID_GENERATOR__* variable to the document. Other IDGEN_* names are refused (the prefix is
 * ours, so an unknown one is a typo), except those in `ownNames` (IDGEN_DATA_DIR). Empty values count as unset.
 */
export function applyOverrides(document: unknown, env: Readonly<Record<string, string | undefined>>, ownNames: readonly string[]): Overridden {
  const issues: ConfigIssue[] = [];
  const origins = new Map<string, string>();
  const root = document ?? {};
  if (!isMapping(root)) return { document, origins, issues };
  const result = structuredClone(root);
  const overrides: { name: string; path: string[]; text: string }[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith("IDGEN_") || ownNames.includes(name) || text === undefined || text === "") continue;
    const section = SECTION_PREFIXES.find(([prefix]) => name.startsWith(prefix));
    if (!section) {
      issues.push({ key: name, reason: `is not a setting; overrides of the config file are named ${OVERRIDE_PREFIX}<KEY>[__<KEY>...] (see src/config/README.md)` });
      continue;
    }
    const path = [section[1], ...name.slice(section[0].length).toLowerCase().split("__")];
    if (path.some((segment) => !/^[a-z0-9_]+$/.test(segment) || segment.startsWith("_"))) {
      issues.push({ key: name, reason: "has an empty or malformed path segment (segments are separated by exactly two underscores)" });
      continue;
    }
    overrides.push({ name, path, text });
  }
  // Shorter paths first, so that a whole type set by one variable can be refined by longer ones.
  overrides.sort((a, b) => a.path.length - b.path.length || a.name.localeCompare(b.name));
  for (const { name, path, text } of overrides) {
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (error) {
      issues.push({ key: name, reason: `is not a YAML value: ${(error as Error).message}` });
      continue;
    }
    const blocked = setPath(result, path, value);
    if (blocked) issues.push({ key: name, reason: `cannot be applied: ${blocked} is not a mapping in the config file` });
    else origins.set(path.join("."), name);
  }
  return { document: result, origins, issues };
}

/** Sets path to value, creating mappings on the way (an absent or null step becomes {}); returns the blocking step. */
function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): string | undefined {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i]!;
    const next = Object.hasOwn(node, step) ? node[step] : undefined;
    if (next === undefined || next === null) node[step] = {};
    else if (!isMapping(next)) return path.slice(0, i + 1).join(".");
    node = node[step] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return undefined;
}

/** The variable behind a dotted path or the nearest mapping above it, if any. */
export function originOf(origins: ReadonlyMap<string, string>, path: readonly PropertyKey[]): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const name = origins.get(path.slice(0, length).map(String).join("."));
    if (name) return name;
  }
  return undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
