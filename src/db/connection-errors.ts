// A narrow guard for one known postgres.js failure. When the database goes away mid-write, postgres.js
// (3.4.x, connection.js nextWrite) can run a write scheduled with setImmediate after its socket was dropped:
// `socket.write` on null throws a TypeError outside any promise, which would crash the whole process,
// buffers and all, although the connection is already being closed and its queries fail with
// CONNECTION_CLOSED on their own (the pool and counters then back off and recover). Only that error is
// recognised (a TypeError about `socket.write`, thrown from postgres.js's connection.js) and logged;
// anything else uncaught still ends the process, as it would without this guard.
import type { Log } from "./log";

export function isClosedSocketWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /socket\.write|reading 'write'/.test(error.message) &&
    /[\\/]postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? "")
  );
}

/** Installs the guard (once, from src/main.ts). */
export function guardClosedSocketWrites(log: Log): void {
  process.on("uncaughtException", (error) => {
    if (isClosedSocketWrite(error)) {
      log({ level: "warn", msg: "postgres.js wrote to a closed socket during a database outage; ignored (its queries fail and are retried)", error: String(error) });
      return;
    }
    log({ level: "error", msg: "uncaught exception; exiting", error: String(error), stack: (error as Error)?.stack });
    process.exit(1);
  });
}
