// The install-time fix of postgres.js (src/db/postgres-fix.mjs) is in place in every build of the library.
// What it fixes (a pod crashing when PostgreSQL restarts under load) is exercised by
// test/failure/database-outage.test.ts, which failed with the uncaught TypeError before it.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const MODULES = resolve(import.meta.dir, "../../node_modules/postgres");

test("every build of postgres.js in node_modules carries the fix (npm install runs it; see src/db/postgres-fix.mjs)", () => {
  for (const build of ["src", "cjs/src", "cf/src"]) {
    const text = readFileSync(`${MODULES}/${build}/connection.js`, "utf8");
    expect(text.match(/idgen: postgres-fix/g)?.length).toBe(3);
  }
});
