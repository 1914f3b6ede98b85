import { describe, expect, it } from "vitest";
import { addDays, monthPosition, projectToMonthEnd } from "./days";

describe("days", () => {
  it("adds days across months and leap years", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
    expect(addDays("2026-12-02", -29)).toBe("2026-11-03");
  });

  it("projects month-to-date spend to the month's end in integer micros", () => {
    expect(monthPosition("2026-02-14")).toEqual({ dayOfMonth: 14, daysInMonth: 28 });
    expect(projectToMonthEnd(1_000_000, "2026-02-14")).toBe(2_000_000);
    expect(projectToMonthEnd(1, "2026-12-03")).toBe(10);
  });
});
