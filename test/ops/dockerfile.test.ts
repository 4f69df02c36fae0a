// No Docker engine runs here, so the image is checked by reading the Dockerfile: every path it copies exists
// (and is not excluded by .dockerignore), stages copied from exist and produce what is copied, the commands are
// the package's scripts, the runtime stage is non-root with a HEALTHCHECK on a route the app answers, and every
// file and package the service loads at run time is in the image (an import closure from the entry points).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { IMAGE_RUNTIME_ENV } from "../../bench/lib/image-env";
import { createApp } from "../../src/http/app";

const ROOT = resolve(import.meta.dir, "../..");

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped, each tagged with its stage. */
function parseDockerfile(text: string): { instructions: Instruction[]; args: Record<string, string> } {
  const logical = text.replace(/\\\n/g, " ").split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
  const instructions: Instruction[] = [];
  const args: Record<string, string> = {};
  let stage = "";
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    const upper = op!.toUpperCase();
    if (upper === "ARG" && !stage) {
      const [name, value] = rest!.split("=");
      args[name!] = value ?? "";
    }
    if (upper === "FROM") stage = / AS (\S+)$/i.exec(rest!)?.[1] ?? "";
    instructions.push({ stage, op: upper, args: rest!.replace(/\$\{(\w+)\}/g, (_, name) => args[name] ?? "") });
  }
  return { instructions, args };
}

const { instructions, args } = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const stages = [...new Set(instructions.filter((i) => i.op === "FROM").map((i) => i.stage))];
const runtime = instructions.filter((i) => i.stage === stages.at(-1));
const jsonArray = (text: string): string[] => JSON.parse(text);

/** .dockerignore's patterns as the tests need them: `**\/x` anywhere, `x` at the root (file or directory), `*.ext`. */
const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
function isIgnored(path: string): boolean {
  return ignored.some((pattern) => {
    const glob = new Bun.Glob(pattern);
    const parts = path.split("/");
    // A pattern matching a directory excludes everything under it.
    return parts.some((_, index) => glob.match(parts.slice(0, index + 1).join("/")));
  });
}

/** COPY sources and destination, without flags. */
function copyParts(instruction: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = instruction.args.split(/\s+/);
  const from = words.find((word) => word.startsWith("--from="))?.slice(7);
  const paths = words.filter((word) => !word.startsWith("--"));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

describe("Dockerfile", () => {
  test("has three stages on the official Bun image, the version the project builds with", () => {
    expect(stages).toEqual(["deps", "build", "runtime"]);
    for (const from of instructions.filter((i) => i.op === "FROM")) expect(from.args).toMatch(/^oven\/bun:\d+\.\d+(-slim)? AS /);
    const [major, minor] = pkg.devDependencies.bun.replace(/^\^/, "").split(".");
    expect(args.BUN_VERSION).toBe(`${major}.${minor}`);
  });

  test("every path copied from the build context exists and is not excluded by .dockerignore", () => {
    const copies = instructions.filter((i) => i.op === "COPY" && !copyParts(i).from);
    expect(copies.length).toBeGreaterThan(3);
    for (const copy of copies) {
      for (const source of copyParts(copy).sources) {
        expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
        expect({ source, ignored: isIgnored(source.replace(/\/$/, "")) }).toEqual({ source, ignored: false });
      }
    }
    // And what must stay out, does.
    for (const path of ["node_modules", "wasm/build/rules.wasm", ".git", "test/ops/dockerfile.test.ts", ".data"]) expect(isIgnored(path)).toBe(true);
  });

  test("copies between stages name earlier stages and files they make", () => {
    // The two module builds (with SIMD, and the scalar one for runtimes without it).
    const { targets } = JSON.parse(readFileSync(join(ROOT, "wasm/asconfig.json"), "utf8"));
    const built = [targets.release.outFile, targets["release-scalar"].outFile].map((file: string) => `/app/wasm/${file}`);
    for (const copy of instructions.filter((i) => i.op === "COPY" && copyParts(i).from)) {
      const { from, sources } = copyParts(copy);
      expect(stages.indexOf(from!)).toBeGreaterThanOrEqual(0);
      expect(stages.indexOf(from!)).toBeLessThan(stages.indexOf(copy.stage));
      for (const source of sources) expect(["/app/node_modules", ...built]).toContain(source);
    }
    // Both are built by the package's build script and copied into the image.
    for (const file of built) expect(instructions.some((i) => i.op === "COPY" && copyParts(i).sources.includes(file))).toBe(true);
    // The npm `bun` stub would shadow the image's bun inside `bun run` (its install script is off): removed.
    const buildInstall = instructions.find((i) => i.stage === "build" && i.op === "RUN" && i.args.includes("bun install"))!;
    if ("bun" in pkg.devDependencies) expect(buildInstall.args).toContain("rm -f node_modules/.bin/bun");
    // The build stage runs the package's build script, which writes that file.
    expect(instructions.some((i) => i.stage === "build" && i.op === "RUN" && i.args === "bun run build")).toBe(true);
    expect(pkg.scripts.build).toBe("bun run --cwd wasm build");
    // Production dependencies only in the runtime's node_modules, from the lock file.
    const install = instructions.find((i) => i.stage === "deps" && i.op === "RUN")!;
    expect(install.args).toContain("--production");
    expect(install.args).toContain("--frozen-lockfile");
    // Install scripts are off, so the package's own postinstall must be run by hand, with bun (no node).
    const postinstall = (pkg.scripts as Record<string, string>).postinstall;
    if (postinstall) {
      expect(postinstall).toMatch(/^node /);
      expect(install.args).toContain(postinstall.replace(/^node /, "bun "));
    }
  });

  test("runs as a non-root user, starts with `npm run serve`'s command, and checks /livez with bun", async () => {
    const user = runtime.filter((i) => i.op === "USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user!);
    expect(jsonArray(runtime.find((i) => i.op === "CMD")!.args).join(" ")).toBe(pkg.scripts.serve);
    expect(pkg.scripts.start).toEndWith(pkg.scripts.serve); // start = build + serve
    expect(existsSync(join(ROOT, pkg.scripts.migrate.split(" ")[1]!))).toBe(true);
    const healthcheck = runtime.find((i) => i.op === "HEALTHCHECK")!.args;
    const command = jsonArray(healthcheck.slice(healthcheck.indexOf("CMD ") + 4));
    expect(command[0]).toBe("bun");
    const path = /\/(\w+)`/.exec(command.at(-1)!)![1];
    expect((await createApp().request(`/${path}`)).status).toBe(200);
    expect(runtime.find((i) => i.op === "EXPOSE")!.args).toBe(runtime.find((i) => i.op === "ENV")!.args.match(/PORT=(\d+)/)![1]!);
  });

  test("sets the runtime environment the benchmarks start the service with (bench/lib/image-env.ts)", () => {
    const env = Object.fromEntries(
      runtime.filter((i) => i.op === "ENV").flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split("=") as [string, string])),
    );
    for (const [name, value] of Object.entries(IMAGE_RUNTIME_ENV)) expect(`${name}=${env[name]}`).toBe(`${name}=${value}`);
  });

  test("everything the service and the migrate script load at run time is in the image", () => {
    // What the runtime stage holds: copied paths, relative to /app.
    const inImage = runtime.filter((i) => i.op === "COPY").flatMap((copy) => {
      const { from, sources, dest } = copyParts(copy);
      if (from) return [dest];
      return sources.map((source) => (dest.endsWith("/") && !source.endsWith("/") && sources.length > 1 ? `${dest}${source.split("/").pop()}` : source === dest || dest.endsWith("/") ? source : dest));
    }).map((path) => path.replace(/\/$/, ""));
    const present = (file: string) => inImage.some((path) => file === path || file.startsWith(`${path}/`));
    const transpiler = new Bun.Transpiler({ loader: "ts" });
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      expect({ file: relative(ROOT, file), inImage: present(relative(ROOT, file)) }).toEqual({ file: relative(ROOT, file), inImage: true });
      if (!/\.(ts|js|mjs)$/.test(file)) return;
      for (const { path } of transpiler.scanImports(readFileSync(file, "utf8"))) {
        if (path.startsWith(".")) {
          const target = resolve(dirname(file), path);
          const candidates = [target, `${target}.ts`, `${target}.js`, join(target, "index.ts")];
          const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
          expect({ from: relative(ROOT, file), path, found: Boolean(found) }).toEqual({ from: relative(ROOT, file), path, found: true });
          visit(found!);
        } else if (!path.startsWith("node:") && path !== "bun") {
          packages.add(path.startsWith("@") ? path.split("/").slice(0, 2).join("/") : path.split("/")[0]!);
        }
      }
    };
    visit(join(ROOT, "src/main.ts"));
    visit(join(ROOT, "src/migrate-main.ts"));
    visit(join(ROOT, "src/rules/capacity-worker.ts")); // started as a Worker by URL, not imported
    for (const file of ["wasm/build/rules.wasm", "wasm/build/rules.scalar.wasm", "src/config/defaults.yaml", "sql/migrations", "src/http/validator/index.html"]) expect({ file, inImage: present(file) }).toEqual({ file, inImage: true });
    // Every package imported is a production dependency (the runtime has no others).
    for (const name of packages) expect({ name, production: name in pkg.dependencies }).toEqual({ name, production: true });
  });
});
