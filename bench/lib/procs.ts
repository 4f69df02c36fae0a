// Server processes of the harness: the service (bun src/main.ts) and the bench servers, each started with its
// own environment, waited for until it logs "listening", and stopped by pid (SIGTERM, then SIGKILL).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";

const ROOT = resolve(import.meta.dir, "../..");

export interface Server {
  label: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
  /** Resident memory now and at its peak, MB (from /proc). */
  memory(): { rssMb: number; peakMb: number };
}

const live = new Set<Subprocess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Starts `bun <script>` (relative to the repository) and resolves once it logs its URL. */
export async function startServer(label: string, script: string, env: Record<string, string>, timeoutMs = 120_000): Promise<Server> {
  const child = Bun.spawn([process.execPath, resolve(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", LOG_LEVEL: "info", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(child);
  let stderr = "";
  void new Response(child.stderr).text().then((text) => (stderr = text));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${timeoutMs} ms`)), timeoutMs);
    void (async () => {
      const decoder = new TextDecoder();
      let pending = "";
      let found = false;
      const reader = child.stdout.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (found) continue; // keep draining, or the child blocks on a full pipe
        pending += decoder.decode(chunk.value, { stream: true });
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          if (!line.includes('"listening"')) continue;
          found = true;
          clearTimeout(timer);
          resolveUrl(String(JSON.parse(line).url).replace(/\/$/, ""));
        }
      }
      if (!found) {
        clearTimeout(timer);
        await Bun.sleep(50);
        reject(new Error(`${label} exited before listening: ${stderr.slice(-2000)}`));
      }
    })();
  });
  return {
    label,
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      const done = await Promise.race([child.exited, Bun.sleep(12_000).then(() => null)]);
      if (done === null) child.kill("SIGKILL");
      await child.exited;
      live.delete(child);
    },
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
      return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
    },
  };
}
