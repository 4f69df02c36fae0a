// The WASM engine against the hand-made contract cases (shared with the oracle), the Verhoeff vectors, and the
// configuration errors: every refusal must name the parameter.
import { describe, expect, test } from "bun:test";
import { createRules, RulesConfigError, REASONS, type RuleOptions } from "../../wasm/index";
import { ADMITS_NOTHING_CASES, CHECK_DIGIT_VECTORS, CONTRACT_CASES, type ContractCase } from "./cases";
import { rulesFor } from "./engine-cache";

function label(c: ContractCase): string {
  const { profile = "openg2p", ...overrides } = c.options;
  return `${profile} ${JSON.stringify(overrides)} ${JSON.stringify(c.id)} -> ${c.reason ?? "valid"}`;
}

describe("engine passes the contract cases", () => {
  for (const c of CONTRACT_CASES) {
    test(label(c), async () => {
      const rules = await rulesFor(c.options);
      expect(rules.validate(c.id)).toEqual({ valid: c.reason === null, reason: c.reason } as never);
      const [code] = rules.validateMany([c.id]);
      expect(code === 0 ? null : REASONS[code! - 1]).toBe(c.reason);
    });
  }

  test("validateMany and validateBytes agree with validate over all cases of one type", async () => {
    const options = { profile: "openg2p", id_length: 10 } as const;
    const rules = await rulesFor(options);
    const ids = CONTRACT_CASES.filter((c) => JSON.stringify(c.options) === JSON.stringify(options)).map((c) => c.id);
    ids.push("", "12", "742968927\n5", "७४२९६८९२७५", "74296892750000000000", "x".repeat(5000), "1".repeat(5000));
    const expected = ids.map((id) => rules.validate(id).reason);
    expect([...rules.validateMany(ids)].map((code) => (code === 0 ? null : REASONS[code - 1]))).toEqual(expected);
    const lines = ids.filter((id) => !id.includes("\n") && /^[\x00-\x7f]*$/.test(id));
    const codes = rules.validateBytes(new TextEncoder().encode(lines.join("\n")));
    expect([...codes].map((code) => (code === 0 ? null : REASONS[code - 1]))).toEqual(lines.map((id) => rules.validate(id).reason));
  });

  test("validateMany crosses the module's 1 MiB buffer without losing an ID", async () => {
    const rules = await rulesFor({ id_length: 10 });
    const valid = rules.generate(150_000);
    const ids = valid.map((id, i) => (i % 3 === 0 ? id.slice(0, 9) + ((Number(id[9]) + 1) % 10) : id));
    const codes = rules.validateMany(ids);
    expect(codes).toEqual(Uint8Array.from(ids, (_, i) => (i % 3 === 0 ? 3 : 0)));
    const bytes = rules.validateBytes(new TextEncoder().encode(ids.join("\n") + "\n"));
    expect(bytes).toEqual(codes);
  });
});

describe("check digits", () => {
  for (const [payload, digit] of CHECK_DIGIT_VECTORS) {
    test(`${payload} -> ${digit}`, async () => {
      expect((await rulesFor({ id_length: 10 })).checkDigit(payload)).toBe(digit);
    });
  }

  test("refuses a payload that is not digits", async () => {
    const rules = await rulesFor({ id_length: 10 });
    for (const bad of ["", "12a", "१२३", "1 2"]) expect(() => rules.checkDigit(bad)).toThrow(RangeError);
  });
});

async function refusal(options: RuleOptions): Promise<RulesConfigError> {
  try {
    await createRules(options);
  } catch (error) {
    expect(error).toBeInstanceOf(RulesConfigError);
    return error as RulesConfigError;
  }
  throw new Error(`createRules accepted ${JSON.stringify(options)}`);
}

describe("configurations that admit no ID are refused, naming the parameter", () => {
  const parameterOf: Partial<Record<string, string>> = {
    sequence: "sequence_limit", repeating_block: "repeating_block_limit", conjugative_even: "conjugative_even_digits_limit",
    not_start_with: "not_start_with", restricted: "restricted_numbers", first_equals_last: "digits_group_limit",
  };
  for (const c of ADMITS_NOTHING_CASES) {
    test(label(c), async () => {
      const error = await refusal(c.options);
      expect(error.parameter).toBe(parameterOf[c.reason!]!);
      expect(error.message).toMatch(/every ID|admits no/);
    });
  }

  const searched: [RuleOptions, string][] = [
    [{ id_length: 12, repeating_block_limit: 1 }, "repeating_block_limit"],
    [{ id_length: 8, not_start_with: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] }, "not_start_with"],
    [{ id_length: 12, repeating_limit: 10, repeating_limit_inclusive: true }, "repeating_limit"],
    [{ profile: "mosip-uin", id_length: 4 }, "digits_group_limit"],
  ];
  for (const [options, parameter] of searched) {
    test(`${JSON.stringify(options)} -> ${parameter}`, async () => {
      const error = await refusal(options);
      expect(error.parameter).toBe(parameter);
      expect(error.message).toMatch(/admits no|every ID|must fit/);
    });
  }

  test("a tiny space is fine: length 2 has a handful of IDs", async () => {
    const rules = await createRules({ id_length: 2 });
    const capacity = await rules.capacity();
    expect(capacity.exact).toBe(true);
    expect(capacity.count).toBe(8n);
    expect(rules.generate(8).sort()).toEqual(rules.enumerate());
    expect(() => rules.generate(9)).toThrow(/only 8 valid IDs/);
  });
});

describe("out-of-range parameters are refused, naming the parameter", () => {
  const bad: [RuleOptions, string][] = [
    [{}, "id_length"],
    [{ id_length: 1 }, "id_length"],
    [{ id_length: 33 }, "id_length"],
    [{ id_length: 10.5 }, "id_length"],
    [{ id_length: "10" as never }, "id_length"],
    [{ profile: "nope" as never, id_length: 10 }, "profile"],
    [{ id_length: 10, sequence_limit: -1 }, "sequence_limit"],
    [{ id_length: 10, repeating_limit: 33 }, "repeating_limit"],
    [{ id_length: 10, not_start_with: "01" as never }, "not_start_with"],
    [{ id_length: 10, not_start_with: ["0a"] }, "not_start_with"],
    [{ id_length: 10, restricted_numbers: ["1".repeat(33)] }, "restricted_numbers"],
    [{ id_length: 10, restricted_numbers: Array.from({ length: 65 }, (_, i) => String(i)) }, "restricted_numbers"],
    [{ id_length: 10, even_digits: "2x" }, "even_digits"],
    [{ id_length: 10, even_digits: "22" }, "even_digits"],
    [{ id_length: 10, sequence_wrap: "yes" as never }, "sequence_wrap"],
    [{ id_length: 10, digits_group_limit: -2 }, "digits_group_limit"],
    [{ id_length: 10, colour: "blue" } as never, "colour"],
  ];
  for (const [options, parameter] of bad) {
    test(`${JSON.stringify(options)} -> ${parameter}`, async () => {
      const error = await refusal(options);
      expect(error.parameter).toBe(parameter);
      expect(error.code).toBe("RULES_CONFIG");
      expect(error.message.startsWith(`${parameter}: `)).toBe(true);
    });
  }

  test("numbers in pattern lists are read as digit strings (YAML writes [786, 666])", async () => {
    const rules = await createRules({ id_length: 10, restricted_numbers: [786 as never] });
    expect(rules.parameters.restricted_numbers).toEqual(["786"]);
  });
});
