// Shared by the config tests: the OpenG2P example file, a config file in a temp directory, and a way to
// capture the ConfigError a load throws.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config";

/** The example of api-contract.md §1, byte for byte. */
export const OPENG2P_EXAMPLE = `id_generator:
  # global filter rules (all optional; defaults shown)
  sequence_limit: 3
  repeating_limit: 2
  repeating_block_limit: 2
  conjugative_even_digits_limit: 3
  digits_group_limit: 5
  reverse_digits_group_limit: 5
  not_start_with: ["0", "1"]
  restricted_numbers: []
  # pool management
  pool_min_threshold: 1000
  pool_generation_batch_size: 5000
  pool_check_interval_seconds: 30
  exhaustion_max_attempts: 1000      # accepted for compatibility; exhaustion here is exact, not a heuristic
  sub_batch_size: 10000              # accepted for compatibility
  id_types:
    farmer:
      id_length: 12
    household:
      id_length: 10
`;

/** Loads a config file written from text (to a temp file removed afterwards), with extra environment variables. */
export function loadFrom(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "idgen-config-"));
  const path = join(dir, "config.yaml");
  writeFileSync(path, text);
  try {
    return loadConfig({ env: { CONFIG_PATH: path, ...env } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ConfigError thrown by fn; fails the test when fn does not throw one. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but the configuration was accepted");
}

/** A file with one type whose extra lines are given (indented under the type). */
export function withType(name: string, lines: string[]): string {
  return `id_generator:\n  id_types:\n    ${name}:\n${lines.map((line) => `      ${line}`).join("\n")}\n`;
}
