// Install-time fix for a crash in postgres.js 3.4.x (porsager/postgres#1066, #1154, #1208; fix proposed in
// PR #1168, not released as of 3.4.9). A write under 1 KiB is sent from a setImmediate callback; when the
// connection closes first (the database restarts, a network blip), closed() sets the socket to null, the
// callback still runs, and `socket.write` on null throws from a timer: an uncaught TypeError that kills the
// process. Worse, the stale timer handle is never reset, so a reconnected connection would never again flush
// a small write. Our outage tests hit it within seconds of a PostgreSQL restart, on Bun and Node alike.
//
// The fix, applied to each build of the library in node_modules (src, cjs, cf): nextWrite() drops the
// pending bytes when the socket is gone (closed() has already failed their queries with CONNECTION_CLOSED),
// and closed() forgets the timer and the pending bytes.
// A second crash of the same moment (seen by test/accountability/outage.test.ts, about one run in four): on
// Bun a reset socket can emit 'error' (read ECONNRESET, from node:net's close) after 'close', and closed()
// has just removed every listener, the error handler included: an unhandled 'error' event, which kills the
// process. closed() now leaves a listener that ignores it (the queries were already failed by then). Run by `npm install` / `npm ci` (postinstall) and
// `bun install`; idempotent; prints what it did. If a future postgres.js no longer has the faulty lines it
// says so and changes nothing: test/db/postgres-fix.test.ts then fails, which is the cue to check whether
// upstream fixed it (and remove this file) or the lines moved.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MARK = "/* idgen: postgres-fix */";
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const builds = ["src", "cjs/src", "cf/src"].map((dir) => join(root, "node_modules/postgres", dir, "connection.js"));

const edits = [
  {
    what: "nextWrite() on a closed connection",
    from: /function nextWrite\(fn\) \{\n(\s+)const x = socket\.write\(chunk, fn\)/,
    to: (_, indent) => `function nextWrite(fn) {\n${indent}if (!socket) return (chunk = nextWriteTimer = null, false) ${MARK}\n${indent}const x = socket.write(chunk, fn)`,
    done: /if \(!socket\) return \(chunk = nextWriteTimer = null, false\)/,
  },
  {
    what: "closed() leaving a stale write timer",
    from: /(async function closed\(hadError\) \{\n(?:.*\n){0,4}?\s+)clearImmediate\(nextWriteTimer\)\n/,
    to: (_, head) => `${head}clearImmediate(nextWriteTimer), chunk = nextWriteTimer = null ${MARK}\n`,
    done: /clearImmediate\(nextWriteTimer\), chunk = nextWriteTimer = null/,
  },
  {
    what: "closed() leaving the socket without an error listener",
    from: /(async function closed\(hadError\) \{\n(?:.*\n){0,14}?)(\s+)socket\.removeAllListeners\(\)\n/,
    to: (_, head, indent) => `${head}${indent}socket.removeAllListeners(), socket.on('error', () => {}) ${MARK}\n`,
    done: /socket\.removeAllListeners\(\), socket\.on\('error', \(\) => \{\}\)/,
  },
];

export function fixFile(path) {
  const text = readFileSync(path, "utf8");
  // Edit by edit, so that a copy fixed by an earlier version of this file gets the newer edits too.
  let fixed = text;
  for (const edit of edits) {
    if (edit.done.test(fixed)) continue;
    const next = fixed.replace(edit.from, edit.to);
    if (next === fixed) return `not fixed: ${edit.what} not found (postgres.js changed?)`;
    fixed = next;
  }
  if (fixed === text) return "already fixed";
  writeFileSync(path, fixed);
  return "fixed";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of builds) {
    if (!existsSync(path)) continue;
    console.log(`postgres-fix: ${path.slice(root.length + 1)}: ${fixFile(path)}`);
  }
}
