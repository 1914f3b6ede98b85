import { describe, expect, it } from "vitest";
import { formatUsd, parseUsd } from "./format";

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
