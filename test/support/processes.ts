// Real service processes for the tests whose point is processes (several pods, SIGTERM, kill -9): spawns
// `bun src/main.ts` with an environment of the test's choosing, reads its JSON log lines, and makes sure no
// child outlives the test file, whatever happens to it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

const ROOT = resolve(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/main.ts");

/** The service's own settings: never inherited from the test's environment, only set on purpose. */
const SERVICE_VARIABLES = /^(DATABASE_URL|DB_[A-Z_]+|CONFIG_PATH|PORT|LOG_LEVEL|IDGEN_.*)$/;

export interface LogLine {
  time?: string;
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

export interface SpawnOptions {
  /** The service's variables (DATABASE_URL, CONFIG_PATH, PORT, ...). */
  env: Record<string, string>;
  /** For messages: which child this is. */
  label?: string;
  /** The child is killed (SIGKILL) after this long, whatever the test is doing. */
  timeoutMs?: number;
  /** Another entry point than src/main.ts (benchmarks' yardstick servers). */
  main?: string;
}

export class ServiceProcess {
  readonly label: string;
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Every JSON log line so far, stdout and stderr alike, in arrival order. */
  readonly logs: LogLine[] = [];
  #stderr = "";
  #stdout = "";
  #waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  readonly exited: Promise<number>;

  constructor({ env, label = "service", timeoutMs = 120_000, main = MAIN }: SpawnOptions) {
    this.label = label;
    this.proc = Bun.spawn([process.execPath, main], {
      cwd: ROOT,
      env: { ...inheritedEnvironment(), ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    live.add(this);
    const stdout = this.#read(this.proc.stdout, (text) => (this.#stdout += text));
    const stderr = this.#read(this.proc.stderr, (text) => (this.#stderr += text));
    // The exit code once both pipes are drained, so the last log lines are in `logs` by then.
    this.exited = Promise.all([this.proc.exited, stdout, stderr]).then(([code]) => {
      live.delete(this);
      return code;
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** The name this process records in claimed_chunk.claimed_by and pod_lease, from its "pod lease taken" log line. */
  get podName(): string {
    const match = /"msg":"pod lease taken","pod":"([^"]+)"/.exec(this.#stdout);
    if (!match) throw new Error(`pod ${this.pid} has not logged its pod name yet`);
    return match[1]!;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get stdout(): string {
    return this.#stdout;
  }

  /** The first log line (already seen or yet to come) that matches; rejects on timeout or exit, with the child's stderr. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = { match, resolve: (line: LogLine) => (clearTimeout(timer), resolve(line)) };
      const fail = (why: string) => {
        this.#waiters = this.#waiters.filter((other) => other !== waiter);
        reject(new Error(`${this.label} (pid ${this.pid}): ${why}\n${this.describe()}`));
      };
      const timer = setTimeout(() => fail(`no matching log line within ${timeoutMs} ms`), timeoutMs);
      this.#waiters.push(waiter);
      void this.exited.then((code) => {
        if (this.#waiters.includes(waiter)) {
          clearTimeout(timer);
          fail(`exited with ${code} before the log line`);
        }
      });
    });
  }

  /** The exit code, or null when the child is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal unless the child has exited. */
  signal(signal: "SIGTERM" | "SIGKILL" | "SIGINT"): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  /** What to print when a test fails: the child's exit status, its stderr, and its last lines of stdout. */
  describe(): string {
    const status = this.proc.exitCode ?? this.proc.signalCode ?? "running";
    const lastOut = this.#stdout.trimEnd().split("\n").slice(-10).join("\n");
    return [
      `--- ${this.label} (pid ${this.pid}, ${status}) stderr ---`,
      this.#stderr.trimEnd() || "(empty)",
      `--- ${this.label}: last lines of stdout ---`,
      lastOut || "(empty)",
      `--- end ${this.label} ---`,
    ].join("\n");
  }

  async #read(stream: ReadableStream<Uint8Array>, keep: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const text = decoder.decode(chunk.value, { stream: true });
      keep(text);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) this.#line(line);
    }
    if (pending) this.#line(pending);
  }

  #line(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      return; // not a log line (a crash's own output stays in stderr)
    }
    if (line === null || typeof line !== "object") return;
    this.logs.push(line);
    for (const waiter of this.#waiters.filter((candidate) => candidate.match(line))) {
      this.#waiters = this.#waiters.filter((other) => other !== waiter);
      waiter.resolve(line);
    }
  }
}

/** Every child not yet exited, for killAll(). */
const live = new Set<ServiceProcess>();
// Last resort if the test process itself ends early: kill() is synchronous, so it works in an exit handler.
process.on("exit", () => {
  for (const child of live) child.proc.kill("SIGKILL");
});

/** Spawns `bun src/main.ts`; the caller waits for what it needs (see startPod). */
export function spawnService(options: SpawnOptions): ServiceProcess {
  return new ServiceProcess(options);
}

/** Spawns the service and waits for its "listening" line; resolves to the process and its base URL. */
export async function startPod(options: SpawnOptions & { startTimeoutMs?: number }): Promise<{ pod: ServiceProcess; url: string }> {
  const pod = spawnService(options);
  const listening = await pod.waitForLog((line) => line.msg === "listening", options.startTimeoutMs ?? 30_000);
  return { pod, url: String(listening.url).replace(/\/$/, "") };
}

/** `count` pods started at once with the same options, labelled `<label>-<n>`: their processes and base URLs, in order. */
export async function startPods(count: number, options: SpawnOptions & { label: string; startTimeoutMs?: number }): Promise<{ pods: ServiceProcess[]; urls: string[] }> {
  const started = await Promise.all(Array.from({ length: count }, (_, n) => startPod({ ...options, label: `${options.label}-${n}` })));
  return { pods: started.map((one) => one.pod), urls: started.map((one) => one.url) };
}

/** SIGKILLs every child still running and waits for them: for afterAll, whatever happened before. */
export async function killAll(): Promise<void> {
  const children = [...live];
  for (const child of children) child.signal("SIGKILL");
  await Promise.all(children.map((child) => child.exited));
}

/** Runs `work`; if it throws, prints each child's stderr first (the test's own message follows). */
export async function explainFailure<T>(children: () => ServiceProcess[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    for (const child of children()) console.error(child.describe());
    throw error;
  }
}

/** A TCP port nobody listens on right now (the OS's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A file in a new temp directory; remove() deletes the directory. */
export function tempFile(name: string, text: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "idgen-test-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function inheritedEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !SERVICE_VARIABLES.test(name)) env[name] = value;
  }
  return env;
}
