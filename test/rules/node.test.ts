// The rules engine is one package for Bun, Node and browsers: this runs it under the `node` binary
// (a child process on a fixture script) and checks the worked examples of id-rules.md.
import { expect, test } from "bun:test";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("./fixtures/worked-examples.mjs", import.meta.url));

/** ID → the reason it is rejected for, null when valid (id-rules.md, "Worked examples"). */
const CASES = {
  "openg2p-10": {
    options: { profile: "openg2p", id_length: 10 },
    expected: {
      "7429689275": null,
      "7429689276": "checksum",
      "0582947364": "not_start_with",
      "5123947362": "sequence",
      "5890147362": null,
      "5131749368": null,
      "5113749365": "repeating_digit",
      "2749358279": "repeating_block",
      "742968927": "length",
      "74296892x5": "not_digits",
    },
  },
  "openg2p-11": {
    options: { profile: "openg2p", id_length: 11 },
    expected: { "86309690368": "first_equals_reverse_last", "7429689275": "length" },
  },
  "mosip-uin": {
    options: { profile: "mosip-uin" },
    // 1x1 is allowed by openg2p but not by MOSIP (repeating_limit counted inclusively).
    expected: { "7429689275": null, "5131749368": "repeating_digit" },
  },
  "mosip-vid": {
    options: { profile: "mosip-vid" },
    expected: {
      "7429689275018362": null,
      "7429689275018363": "checksum",
      "7429689275017867": "restricted",
      "7429689275": "length",
    },
  },
};

test("node runs the rules engine and agrees with the worked examples", async () => {
  const input = Object.fromEntries(
    Object.entries(CASES).map(([name, { options, expected }]) => [name, { options, ids: Object.keys(expected) }]),
  );
  let child;
  try {
    child = Bun.spawn(["node", FIXTURE, JSON.stringify(input)], { stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    throw new Error(`cannot run node (Node.js 20 or later must be on PATH): ${error}`);
  }
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode !== 0) throw new Error(`node exited with ${exitCode}:\n${stderr}`);
  const output = JSON.parse(stdout);

  expect(Number(output.node.slice(1).split(".")[0])).toBeGreaterThanOrEqual(20);
  for (const [name, { expected }] of Object.entries(CASES)) {
    const reasons = Object.values(expected);
    expect({ name, validate: output.byType[name].validate }).toEqual({ name, validate: reasons });
    expect({ name, validateMany: output.byType[name].validateMany }).toEqual({ name, validateMany: reasons });
    expect({ name, generated: output.byType[name].generated }).toEqual({ name, generated: { distinct: 50, invalid: [] } });
  }
  // Public Verhoeff vectors of id-rules.md.
  expect(output.checkDigits).toEqual(["3", "1", "0", "4", "0", "6", "3"]);
}, 30_000);
