import { describe, expect, it } from "vitest";
import { formatDecimal, formatDuration, formatUsd, parseUsd } from "./format";

describe("formatUsd", () => {
  it.each([
    [0, "$0.00"],
    [1, "$0.000001"],
    [6_630, "$0.00663"],
    [1_500_000, "$1.50"],
    [1_234_567_891, "$1,234.567891"],
    [-500_000, "-$0.50"],
  ])("%d micros is %s, and reads back exactly", (micros, text) => {
    expect(formatUsd(micros)).toBe(text);
    expect(parseUsd(text)).toBe(micros);
  });

  it("refuses to format what is not integer micros", () => {
    expect(formatUsd(0.5)).toBe("—");
  });
});

describe("formatDecimal", () => {
  it("shows a mean with its decimals, and nothing for no mean", () => {
    expect(formatDecimal(4.666)).toBe("4.7");
    expect(formatDecimal(1234.5, 2)).toBe("1,234.50");
    expect(formatDecimal(3)).toBe("3.0");
    expect(formatDecimal(null)).toBe("—");
    expect(formatDecimal(Number.NaN)).toBe("—");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 s"],
    [44.6, "45 s"],
    [59.4, "59 s"],
    [59.6, "1 min 0 s"],
    [200, "3 min 20 s"],
    [3_600, "1 h 0 min"],
    [7_530, "2 h 5 min"],
  ])("%d seconds is %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it("shows nothing for no length or a negative one", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
  });
});
