import { DAY_BOUNDARY_GUARD_MS, dayBoundaryWaitMs } from "../helpers/day-boundary";

const at = (iso: string) => Date.parse(iso);

describe("dayBoundaryWaitMs", () => {
  it("waits until just past UTC midnight when a test would start within the guard before it", () => {
    expect(dayBoundaryWaitMs(at("2026-12-31T23:59:30.000Z"))).toBe(32_000);
    expect(dayBoundaryWaitMs(at("2026-12-31T23:59:59.999Z"))).toBe(2_001);
  });

  it("waits for Tokyo's midnight, 15:00 UTC, too", () => {
    expect(dayBoundaryWaitMs(at("2026-12-04T14:59:00.000Z"))).toBe(62_000);
  });

  it("waits out the first 2 s after a midnight, so the servers' clocks are past it too", () => {
    expect(dayBoundaryWaitMs(at("2026-12-04T00:00:00.000Z"))).toBe(2_000);
    expect(dayBoundaryWaitMs(at("2026-12-04T15:00:00.500Z"))).toBe(1_500);
  });

  it("lets a test start at once outside the guard", () => {
    expect(dayBoundaryWaitMs(at("2026-12-04T12:00:00.000Z"))).toBe(0);
    expect(dayBoundaryWaitMs(at("2026-12-04T00:00:02.000Z"))).toBe(0);
    expect(dayBoundaryWaitMs(at("2026-12-04T15:00:02.000Z"))).toBe(0);
    expect(dayBoundaryWaitMs(at("2026-12-04T23:58:30.000Z") - 1)).toBe(0);
    expect(dayBoundaryWaitMs(at("2026-12-04T23:58:30.000Z"))).toBe(DAY_BOUNDARY_GUARD_MS + 2_000);
  });
});
