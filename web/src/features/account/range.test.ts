import { describe, expect, it } from "vitest";
import { monthToDate, utcDay, withDay } from "./range";

describe("account ranges", () => {
  it("defaults to this month to date in UTC, whatever the host's timezone", () => {
    expect(monthToDate(new Date("2026-03-17T12:00:00Z"))).toEqual({ from: "2026-03-01", to: "2026-03-17" });
    // 23:30 on the 31st in New York is already the 1st in UTC.
    expect(monthToDate(new Date("2026-03-31T23:30:00-04:00"))).toEqual({ from: "2026-04-01", to: "2026-04-01" });
    expect(utcDay(new Date("2026-12-31T23:59:59.999Z"))).toBe("2026-12-31");
  });

  it("changes one end, and ignores an emptied input", () => {
    const range = { from: "2026-03-01", to: "2026-03-17" };
    expect(withDay(range, "from", "2026-02-20")).toEqual({ from: "2026-02-20", to: "2026-03-17" });
    expect(withDay(range, "to", "2026-03-05")).toEqual({ from: "2026-03-01", to: "2026-03-05" });
    expect(withDay(range, "to", "")).toBe(range);
  });
});
