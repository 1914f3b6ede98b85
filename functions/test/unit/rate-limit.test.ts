import { rateWindows, retryAfterMs } from "../../src/domain/rate-limit";

const limits = { perMinute: 120, burst: 30 };
const at = Date.parse("2026-11-26T10:00:00Z");

describe("rate windows", () => {
  it.each([
    [0, "0"],
    [4_999, "0"],
    [5_000, "1"],
    [59_999, "11"],
  ])("puts +%i ms into burst slot %s of the minute", (offset, slot) => {
    expect(rateWindows(at + offset)).toEqual({ minute: at / 60_000, slot });
  });

  it("starts a new minute window on the minute", () => {
    expect(rateWindows(at + 60_000).minute).toBe(rateWindows(at).minute + 1);
  });
});

describe("retryAfterMs", () => {
  it.each([
    [{ minute: 120, slot: 30 }, 0, 0],
    [{ minute: 1, slot: 1 }, 0, 0],
    [{ minute: 121, slot: 1 }, 15_000, 45_000],
    [{ minute: 40, slot: 31 }, 1_500, 3_500],
    [{ minute: 121, slot: 31 }, 59_000, 1_000],
  ])("counts %j at +%i ms: retry after %i ms", (counts, offset, wait) => {
    expect(retryAfterMs(counts, limits, at + offset)).toBe(wait);
  });
});
