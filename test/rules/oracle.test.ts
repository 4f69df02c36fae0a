// Checks the plain-TS oracle against the hand-made contract cases, the Verhoeff vectors and known counts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { RuleParameters } from "../../wasm/index";
import { ADMITS_NOTHING_CASES, CHECK_DIGIT_VECTORS, CONTRACT_CASES, type ContractCase } from "./cases";
import {
  ORACLE_PROFILES,
  cyclicNumbers,
  oracleCount,
  oracleEnumerate,
  oracleParams,
  oracleValidate,
  verhoeffCheckDigit,
  verhoeffValid,
} from "./oracle";

function label(c: ContractCase): string {
  const { profile = "openg2p", ...overrides } = c.options;
  return `${profile} ${JSON.stringify(overrides)} ${JSON.stringify(c.id)} -> ${c.reason ?? "valid"}`;
}

describe("contract cases", () => {
  test("there are at least 60, and each profile has every reason and a valid id", () => {
    expect(CONTRACT_CASES.length).toBeGreaterThanOrEqual(60);
    for (const profile of Object.keys(ORACLE_PROFILES)) {
      const cases = CONTRACT_CASES.filter((c) => (c.options.profile ?? "openg2p") === profile);
      expect(new Set(cases.map((c) => c.reason)).size).toBe(13); // 12 reasons + valid
    }
  });

  for (const c of CONTRACT_CASES) {
    test(label(c), () => {
      expect(oracleValidate(oracleParams(c.options), c.id)).toBe(c.reason);
    });
  }

  for (const c of ADMITS_NOTHING_CASES) {
    test(`admits nothing: ${label(c)}`, () => {
      expect(oracleValidate(oracleParams(c.options), c.id)).toBe(c.reason);
    });
  }
});

describe("verhoeff", () => {
  for (const [payload, digit] of CHECK_DIGIT_VECTORS) {
    test(`${payload} -> ${digit}`, () => {
      expect(verhoeffCheckDigit(payload)).toBe(digit);
      expect(verhoeffValid(payload + digit)).toBe(true);
    });
  }

  test("detects every single-digit error and every adjacent transposition", () => {
    const payloads = fc.stringMatching(/^[0-9]{1,31}$/);
    fc.assert(
      fc.property(payloads, fc.nat(), fc.integer({ min: 1, max: 9 }), (payload, at, shift) => {
        const id = payload + verhoeffCheckDigit(payload);
        const i = at % id.length;
        const changed = id.slice(0, i) + String((Number(id[i]) + shift) % 10) + id.slice(i + 1);
        expect(verhoeffValid(changed)).toBe(false);
        const j = at % (id.length - 1);
        if (id[j] !== id[j + 1]) {
          const swapped = id.slice(0, j) + id[j + 1] + id[j] + id.slice(j + 2);
          expect(verhoeffValid(swapped)).toBe(false);
        }
      }),
    );
  });
});

describe("cyclic numbers", () => {
  const primes = [7, 17, 19, 23, 29, 47, 59, 61, 97];

  test("have period p - 1 and keep their leading zeros", () => {
    expect(cyclicNumbers().map((c) => c.length)).toEqual([6, 16, 18, 22, 28, 46, 58, 60, 96]);
    expect(cyclicNumbers().slice(0, 5)).toEqual([
      "142857",
      "0588235294117647",
      "052631578947368421",
      "0434782608695652173913",
      "0344827586206896551724137931",
    ]);
  });

  test("are the repetends of 1/p: p * repetend = 10^(p-1) - 1", () => {
    cyclicNumbers().forEach((repetend, k) => {
      const p = BigInt(primes[k]!);
      expect(p * BigInt(repetend)).toBe(10n ** (p - 1n) - 1n);
    });
  });
});

describe("profiles and counts", () => {
  test("oracleParams defaults to openg2p and lets overrides win", () => {
    expect<Partial<RuleParameters>>(oracleParams({ id_length: 8 })).toEqual({ ...ORACLE_PROFILES.openg2p, id_length: 8 });
    expect(oracleParams({ profile: "mosip-vid" }).id_length).toBe(16);
    expect(oracleParams({ profile: "mosip-uin", sequence_wrap: false }).sequence_wrap).toBe(false);
    expect(() => oracleParams({})).toThrow();
  });

  test("openg2p length 2: every payload 2..9 with its check digit, and nothing else", () => {
    expect(oracleEnumerate(oracleParams({ id_length: 2 }))).toEqual(["27", "36", "43", "58", "62", "70", "89", "91"]);
  });

  test("openg2p length 4 has 465 valid IDs, length 5 has 3,723", () => {
    expect(oracleCount(oracleParams({ id_length: 4 }))).toBe(465);
    expect(oracleCount(oracleParams({ id_length: 5 }))).toBe(3723);
  });

  test("mosip-uin at length 5 admits nothing", () => {
    expect(oracleCount(oracleParams({ profile: "mosip-uin", id_length: 5 }))).toBe(0);
  });
});
