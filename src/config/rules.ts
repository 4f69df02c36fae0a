// Rule parameters of each ID type, resolved by the rules engine's own resolveParameters: the type's values
// override the global filter rules (for openg2p-profile types), which override the profile. Refusals name
// the key that set the value.
import { RulesConfigError, resolveParameters, type ProfileName, type RuleParameters } from "../../wasm/index.js";
import { lookup, renderValue, type ConfigIssue } from "./errors";
import { GLOBAL_RULE_KEYS, RULE_KEYS, TYPE_NAME } from "./schema";

export type ResolvedRules = Readonly<RuleParameters & { profile: ProfileName }>;
/** The global filter rules as OpenG2P's GET /config shows them: the openg2p profile, then the file's values. */
export type FilterRules = Readonly<Pick<RuleParameters, (typeof GLOBAL_RULE_KEYS)[number]>>;

export interface RulesOutcome {
  readonly filterRules?: FilterRules;
  readonly idTypes: Record<string, ResolvedRules>;
  readonly issues: ConfigIssue[];
}

/** Resolves the global rules and every well-formed type of the (overridden) document, collecting all refusals. */
export function resolveRules(document: unknown): RulesOutcome {
  const issues: ConfigIssue[] = [];
  const idTypes: Record<string, ResolvedRules> = Object.create(null);
  const section = lookup(document, ["id_generator"]);
  if (!isMapping(section)) return { idTypes, issues };
  const globals = pick(section, GLOBAL_RULE_KEYS);

  // The globals are checked on their own too, so that a bad one is refused even if every type overrides it.
  // openg2p has no rule relating a parameter to the length, so any valid length serves here.
  const global = attempt({ profile: "openg2p", id_length: 32, ...globals }, (parameter) => ["id_generator", parameter], globals, issues);
  const filterRules = global && (Object.freeze(pick(global, GLOBAL_RULE_KEYS)) as unknown as FilterRules);

  const types = lookup(section, ["id_types"]);
  for (const [name, type] of Object.entries(isMapping(types) ? types : {})) {
    if (!TYPE_NAME.test(name) || !isMapping(type)) continue;
    const own = pick(type, RULE_KEYS);
    // The global filter rules are OpenG2P's: they shape types of the openg2p profile. A type that names
    // another profile gets that profile's rules (mosip-uin must stay MOSIP's), changed only by its own keys.
    const inherited = (own.profile ?? "openg2p") === "openg2p" ? globals : {};
    const blame = (parameter: string) =>
      Object.hasOwn(inherited, parameter) && !Object.hasOwn(own, parameter)
        ? ["id_generator", parameter]
        : ["id_generator", "id_types", name, parameter];
    const resolved = attempt({ ...inherited, ...own }, blame, { ...inherited, ...own }, issues);
    if (resolved) idTypes[name] = resolved;
  }
  return { ...(filterRules ? { filterRules } : {}), idTypes, issues: unique(issues) };
}

function attempt(options: Record<string, unknown>, blame: (parameter: string) => string[], given: Record<string, unknown>, issues: ConfigIssue[]): ResolvedRules | undefined {
  try {
    return resolveParameters(options);
  } catch (error) {
    if (!(error instanceof RulesConfigError)) throw error;
    // The engine's message is "parameter: reason", often with its own "got ..." already.
    const reason = error.message.startsWith(`${error.parameter}: `) ? error.message.slice(error.parameter.length + 2) : error.message;
    const value = /\bgot\b/.test(reason) ? undefined : renderValue(given[error.parameter]);
    issues.push({ key: blame(error.parameter).join("."), reason, ...(value === undefined ? {} : { value }) });
    return undefined;
  }
}

/** A global refused by its own check is refused again by each type that inherits it: report it once. */
function unique(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = `${issue.key}\n${issue.reason}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (Object.hasOwn(source, key) && source[key] !== undefined) picked[key] = source[key];
  return picked;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
