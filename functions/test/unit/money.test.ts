import fc from "fast-check";
import { MICROS_PER_USD, assertMicros, divRoundHalfUp, microsToUsd, usdToMicros } from "../../src/base/money";

describe("MICROS_PER_USD", () => {
  it("is one million", () => {
    expect(MICROS_PER_USD).toBe(1_000_000);
  });
});

describe("divRoundHalfUp", () => {
  it.each([
    [0n, 1n, 0n],
    [7n, 1n, 7n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [1n, 2n, 1n],
    [3n, 2n, 2n],
    [5n, 2n, 3n],
    [490_000n, 1_000_000n, 0n],
    [499_999n, 1_000_000n, 0n],
    [500_000n, 1_000_000n, 1n],
    [1_499_999n, 1_000_000n, 1n],
    [1_500_000n, 1_000_000n, 2n],
    // Half up, not half-to-even: 2.5 -> 3 (banker's rounding would give 2).
    [2_500_000n, 1_000_000n, 3n],
    [10n ** 30n + 5n, 10n, 10n ** 29n + 1n],
  ])("%p / %p rounds to %p", (numerator, denominator, expected) => {
    expect(divRoundHalfUp(numerator, denominator)).toBe(expected);
  });

  it.each([
    [1n, 0n, /denominator/],
    [1n, -5n, /denominator/],
    [-1n, 2n, /numerator/],
  ])("refuses %p / %p", (numerator, denominator, message) => {
    expect(() => divRoundHalfUp(numerator, denominator)).toThrow(RangeError);
    expect(() => divRoundHalfUp(numerator, denominator)).toThrow(message);
  });

  it("is within half a unit of the exact quotient, ties going up", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = divRoundHalfUp(n, d);
        // -d/2 < q*d - n <= d/2: within half a unit, and an exact half goes up.
        const twiceError = 2n * (q * d - n);
        expect(twiceError).toBeGreaterThan(-d);
        expect(twiceError).toBeLessThanOrEqual(d);
        expect(q).toBe((2n * n + d) / (2n * d));
      }),
    );
  });
});

describe("usdToMicros", () => {
  it.each<[number | string, number]>([
    [0, 0],
    [-0, 0],
    ["0", 0],
    [1, 1_000_000],
    [12.5, 12_500_000],
    ["12.5", 12_500_000],
    ["0.000001", 1],
    [0.000001, 1],
    [1e-6, 1],
    [0.1, 100_000],
    [0.03, 30_000],
    // 4.35 * 1e6 is 4349999.999999999 in floats: the decimal route gets it right.
    [4.35, 4_350_000],
    [0.075, 75_000],
    ["0.0000010", 1],
    ["007.25", 7_250_000],
    ["1.5e-3", 1_500],
    ["1E2", 100_000_000],
    ["2.5e+1", 25_000_000],
    ["0e999", 0],
    ["9007199254.740991", Number.MAX_SAFE_INTEGER],
  ])("%p USD is %p micros", (usd, micros) => {
    expect(usdToMicros(usd)).toBe(micros);
  });

  it.each<[number | string, RegExp]>([
    [-1, /negative/],
    [-0.000001, /negative/],
    ["-0.5", /negative/],
    [Number.NaN, /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
    ["0.0000001", /more than 6 fractional digits/],
    [1e-7, /more than 6 fractional digits/],
    ["1.0000005", /more than 6 fractional digits/],
    ["1e-400", /more than 6 fractional digits/],
    ["9007199254.740992", /above the largest safe/],
    [1e21, /above the largest safe/],
    ["1e400", /above the largest safe/],
    ["", /non-negative decimal/],
    ["abc", /non-negative decimal/],
    [" 1", /non-negative decimal/],
    ["1.", /non-negative decimal/],
    [".5", /non-negative decimal/],
    ["+1", /non-negative decimal/],
    ["1,5", /non-negative decimal/],
    ["0x10", /non-negative decimal/],
    ["1".repeat(65), /non-negative decimal/],
  ])("refuses %p", (usd, message) => {
    expect(() => usdToMicros(usd)).toThrow(RangeError);
    expect(() => usdToMicros(usd)).toThrow(message);
  });

  it("refuses values that are neither numbers nor strings", () => {
    expect(() => usdToMicros(null as unknown as number)).toThrow(RangeError);
    expect(() => usdToMicros(10n as unknown as number)).toThrow(/number or a decimal string/);
  });

  it("round-trips every micro amount up to 1e12 through display dollars", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (big) => {
        const micros = Number(big);
        expect(usdToMicros(microsToUsd(micros))).toBe(micros);
        expect(usdToMicros(String(microsToUsd(micros)))).toBe(micros);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads any 6-decimal string exactly", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 999_999n }), (whole, frac) => {
        const text = `${whole}.${frac.toString().padStart(6, "0")}`;
        expect(usdToMicros(text)).toBe(Number(whole * 1_000_000n + frac));
      }),
    );
  });
});

describe("microsToUsd", () => {
  it.each([
    [0, 0],
    [1, 0.000001],
    [90_000, 0.09],
    [30_000_000, 30],
    [-2_500_000, -2.5],
  ])("%p micros display as %p USD", (micros, usd) => {
    expect(microsToUsd(micros)).toBe(usd);
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])("refuses %p", (micros) => {
    expect(() => microsToUsd(micros)).toThrow(RangeError);
  });
});

describe("assertMicros", () => {
  it.each([0, 1, 90_000, Number.MAX_SAFE_INTEGER])("accepts %p and returns it", (value) => {
    expect(assertMicros(value, "costMicros")).toBe(value);
  });

  it.each([-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "5" as unknown as number])("refuses %p, naming the field", (value) => {
    expect(() => assertMicros(value, "totalCostMicros")).toThrow(RangeError);
    expect(() => assertMicros(value, "totalCostMicros")).toThrow(/totalCostMicros/);
  });
});
