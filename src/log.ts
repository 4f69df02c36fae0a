// The service's logger: one JSON object per line (stdout below warn, stderr from warn up), entries under the
// configured level dropped, and secrets removed before anything is written: fields named like a password,
// key, token or Authorization header are replaced, and passwords inside postgres:// URLs are masked, wherever
// they appear (an error message quoting a connection string included).
import type { Log, LogEntry } from "./db/log";

export const LOG_LEVELS: LogEntry["level"][] = ["debug", "info", "warn", "error"];
export const REDACTED = "[redacted]";

/** Field names whose values are never written. */
const SECRET_FIELD = /password|passwd|secret|token|api[_-]?keys?|authorization|cookie|credential/i;
/** user:password@ in a URL; the user stays, the password goes. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

export function redactText(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

function redact(key: string, value: unknown): unknown {
  if (key !== "" && SECRET_FIELD.test(key) && value !== undefined && value !== null && typeof value !== "boolean") return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

export interface LoggerOptions {
  level: LogEntry["level"];
  /** Where lines go; the defaults are the process's stdout and stderr. */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export type LevelledLog = Log & { enabled(level: LogEntry["level"]): boolean };

export function createLogger({ level, out = (line) => console.log(line), err = (line) => console.error(line) }: LoggerOptions): LevelledLog {
  const minimum = LOG_LEVELS.indexOf(level);
  const log = ((entry: LogEntry) => {
    if (LOG_LEVELS.indexOf(entry.level) < minimum) return;
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry }, redact);
    if (entry.level === "error" || entry.level === "warn") err(line);
    else out(line);
  }) as LevelledLog;
  log.enabled = (candidate) => LOG_LEVELS.indexOf(candidate) >= minimum;
  return log;
}

/** Whether `log` can say which levels it writes (the access log is built only when debug is on). */
export function isLevelled(log: Log): log is LevelledLog {
  return typeof (log as Partial<LevelledLog>).enabled === "function";
}
