// ConfigError: the one error start-up throws for a bad configuration. It lists every problem at once, each as
// "KEY: reason (got VALUE)", with KEY a dotted path in the file or an environment variable's name.
import type { z } from "zod";

export interface ConfigIssue {
  /** Dotted path in the config file (`id_generator.id_types.farmer.buffer_size`) or an environment variable. */
  readonly key: string;
  readonly reason: string;
  /** The offending value, rendered and already redacted; absent when the key is missing or secret. */
  readonly value?: string;
  /** The environment variable the value came from, when it did not come from the file. */
  readonly from?: string;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  /** The first problem's key; `issues` holds them all. */
  readonly key: string;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    super(lines.length === 1 ? lines[0] : `${lines.length} configuration problems:\n  ${lines.join("\n  ")}`);
    this.name = "ConfigError";
    this.key = issues[0]?.key ?? "configuration";
    this.issues = Object.freeze([...issues]);
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const got = [issue.value === undefined ? "" : `got ${issue.value}`, issue.from ? `set by ${issue.from}` : ""];
  const note = got.filter(Boolean).join(", ");
  return `${issue.key}: ${issue.reason}${note ? ` (${note})` : ""}`;
}

/** A value for an error message: JSON, cut short; secrets never reach this function. */
export function renderValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A database URL with its password (in the authority or a `password` query parameter) replaced by ***. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    if (url.searchParams.has("password")) url.searchParams.set("password", "***");
    return url.href;
  } catch {
    // Not a URL, so its parts are unknown: hide everything up to the last @ (a password may hold / or :).
    return text.replace(/\/\/.*@/, "//***@");
  }
}

/** Turns zod issues into ConfigIssues: dotted keys, short reasons, values looked up in the parsed input. */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  describe: { valueAt?: (path: readonly PropertyKey[]) => unknown; knownKeysAt?: (path: readonly PropertyKey[]) => readonly string[] } = {},
): ConfigIssue[] {
  const valueAt = describe.valueAt ?? ((path) => lookup(input, path));
  return issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((name) => {
        const path = [...issue.path, name];
        const hint = suggest(name, describe.knownKeysAt?.(issue.path) ?? []);
        return issueAt(path, `is not a known key${hint ? `; did you mean ${hint}?` : ""}`, valueAt);
      });
    }
    return [issueAt(issue.path, reasonOf(issue, valueAt(issue.path)), valueAt)];
  });
}

function issueAt(path: readonly PropertyKey[], reason: string, valueAt: (path: readonly PropertyKey[]) => unknown): ConfigIssue {
  const value = renderValue(valueAt(path));
  return { key: path.map(String).join("."), reason, ...(value === undefined ? {} : { value }) };
}

function reasonOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "is required";
      return `must be ${article(YAML_NAMES[issue.expected] ?? issue.expected)}`;
    case "too_small":
      return issue.origin === "number" || issue.origin === "int"
        ? `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`
        : `must have at least ${issue.minimum} ${issue.origin === "string" ? "characters" : "entries"}`;
    case "too_big":
      return issue.origin === "number" || issue.origin === "int"
        ? `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`
        : `must have at most ${issue.maximum} ${issue.origin === "string" ? "characters" : "entries"}`;
    case "invalid_key":
      return issue.issues[0]?.message ?? issue.message;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => String(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

/** zod's names of types, as an operator editing YAML knows them. */
const YAML_NAMES: Record<string, string> = { int: "whole number", object: "mapping", array: "list" };

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

export function lookup(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const step of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  return node;
}

/** The known key closest to a typo (at most two edits away), if any. */
function suggest(typo: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(typo, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
