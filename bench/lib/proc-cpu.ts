// CPU time read from Linux's /proc: per thread of one process, and of the local PostgreSQL server's processes.
// Used by the benchmarks that split a request's or an insert's cost between the server and the database.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux x86 and arm). */
const TICKS = 100;

/** utime + stime, in seconds, of one /proc stat line. */
function cpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** CPU seconds per thread of a process, threads named as the kernel shows them (digits dropped), the main one "main". */
export function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = tid === String(pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+$/, "");
      out[name] = (out[name] ?? 0) + cpuSeconds(stat);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out;
}

/**
 * CPU seconds of every process named postgres on this machine (the database server, when it is local), and
 * how many there were: none means the server is elsewhere and its CPU cannot be read from here.
 */
export function postgresCpu(): { seconds: number; processes: number } {
  let seconds = 0;
  let processes = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(postgres)")) continue;
      seconds += cpuSeconds(stat);
      processes++;
    } catch {
      // A backend that ended meanwhile.
    }
  }
  return { seconds, processes };
}
