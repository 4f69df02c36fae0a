// The configuration module: loadConfig reads the environment and the OpenG2P config file once, checks them,
// and returns a frozen Config; see README.md in this folder for every key and variable.
export { loadConfig, type Config, type ConfigSource, type IdTypeConfig, type LoadOptions } from "./load";
export { describeConfig } from "./describe";
export { ConfigError, type ConfigIssue } from "./errors";
export type { DatabaseConfig, LogLevel } from "./env";
export type { FilterRules, ResolvedRules } from "./rules";
