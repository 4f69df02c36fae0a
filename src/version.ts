// What GET /v1/idgenerator/version reports: the package version, when the engine was built, and the git
// commit of the checkout (or "unknown" where there is no git, as in a container image).
import { statSync } from "node:fs";
import { resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export function readVersion() {
  const root = resolve(import.meta.dir, "..");
  let buildTime = "unknown";
  try {
    buildTime = statSync(resolve(root, "wasm/build/rules.wasm")).mtime.toISOString();
  } catch {
    // not built: the service would not have started, but version must never fail
  }
  const git = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: root, stdout: "pipe", stderr: "ignore" });
  const commit = git.success ? git.stdout.toString().trim() : "unknown";
  return { service_version: pkg.version, build_time: buildTime, git_commit: commit };
}
