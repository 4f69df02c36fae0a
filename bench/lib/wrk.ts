// wrk, the load generator of the local harness (k6 cannot be installed on these machines; bench/k6/ holds the
// same scenarios for users). Installs the Debian package when missing, runs one measurement, parses its report.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WrkRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx or 3xx, and socket errors. */
  errors: number;
}

/** wrk's path, installing it from Debian (apt-get) when absent. Throws with what to do when that fails. */
export function ensureWrk(log: (message: string) => void): string {
  const found = Bun.which("wrk");
  if (found) return found;
  log("wrk is missing: installing the Debian package wrk");
  const install = Bun.spawnSync(["sh", "-c", "apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdout: "ignore",
    stderr: "pipe",
  });
  const installed = Bun.which("wrk");
  if (!installed) throw new Error(`wrk is not installed and apt-get could not install it (run as root: apt-get install -y wrk): ${install.stderr.toString().slice(-300)}`);
  return installed;
}

const scriptDir = mkdtempSync(join(tmpdir(), "idgen-wrk-"));
let scripts = 0;

/**
 * A Lua script for wrk that sends `requests` in turn (weighted by repetition), so one run can mix endpoints.
 * wrk's own latency percentiles are kept; the script only builds requests.
 */
function luaScript(requests: WrkRequest[]): string {
  const file = join(scriptDir, `mix-${++scripts}.lua`);
  // A POST always carries a body (empty if need be): wrk then sends Content-Length, without which Bun answers
  // 400 and closes the connection.
  const entries = requests.map((request) => {
    const body = request.body ?? (request.method === "POST" ? "" : undefined);
    const headers = request.body ? `{["Content-Type"]="application/json"}` : "nil";
    return `  wrk.format(${JSON.stringify(request.method)}, ${JSON.stringify(request.path)}, ${headers}, ${body === undefined ? "nil" : JSON.stringify(body)}),`;
  });
  // Formatted in init(), which wrk calls after it has set the Host header: formatted at load time, the
  // requests would go without one and be answered 400.
  writeFileSync(file, `local requests\ninit = function(args)\n  requests = {\n${entries.join("\n")}\n  }\nend\nlocal i = 0\nrequest = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n`);
  return file;
}

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (value: string, unit: string) => Number(value) * (DURATION_UNITS[unit] ?? NaN);

/** Parses wrk's report (run with --latency). */
export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const total = /(\d+) requests in/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  if (!rps || !total || !p50 || !p99) throw new Error(`could not read wrk's report:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    errors: non2xx + socketErrors,
  };
}

export interface WrkRun {
  wrk: string;
  baseUrl: string;
  requests: WrkRequest[];
  seconds: number;
  connections: number;
  threads?: number;
}

/** One wrk measurement (-t1 by default: the load generator shares the two cores with the server and PostgreSQL). */
export async function runWrk({ wrk, baseUrl, requests, seconds, connections, threads = 1 }: WrkRun): Promise<WrkResult> {
  const args = [wrk, `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "-s", luaScript(requests), baseUrl];
  const child = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [output, errors, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${errors}${output}`);
  return parseWrk(output);
}
