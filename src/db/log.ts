// The logger the database edge is given: one structured entry per call, written by the caller (the app
// prints each as one JSON line). A plain function type, so tests can pass an array's push.
export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  [field: string]: unknown;
}

export type Log = (entry: LogEntry) => void;
