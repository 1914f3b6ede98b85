import fc from "fast-check";
import { eachDay, instantWindow } from "../../src/domain/day-window";
import { daysInRange, localDay } from "../../src/base/periods";

const ZONES = [
  "UTC",
  "Pacific/Kiritimati",
  "Etc/GMT+12",
  "Pacific/Pago_Pago",
  "Asia/Tokyo",
  "America/New_York",
  "Australia/Lord_Howe",
  "Asia/Kathmandu",
];

describe("instantWindow", () => {
  it("contains every instant whose local day is in range, in any timezone (property)", () => {
    const base = Date.UTC(2020, 0, 1);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(...ZONES),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (offset, length, zone, position) => {
          const from = new Date(base + offset * 86_400_000).toISOString().slice(0, 10);
          const to = new Date(base + (offset + length) * 86_400_000).toISOString().slice(0, 10);
          const { start, end } = instantWindow(from, to);
          // An instant anywhere within the window's reach that is locally in range must be inside it.
          const reach = (start as Date).getTime() - 86_400_000;
          const at = Math.floor(reach + position * ((end as Date).getTime() + 86_400_000 - reach));
          const day = localDay(at, zone);
          if (day >= from && day <= to) {
            expect(at).toBeGreaterThanOrEqual((start as Date).getTime());
            expect(at).toBeLessThan((end as Date).getTime());
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("includes the extreme zones' first and last instants of the range", () => {
    const { start, end } = instantWindow("2026-03-01", "2026-03-31");
    // Kiritimati (UTC+14) starts March 1st at Feb 28 10:00Z; Etc/GMT+12 ends March 31st at April 1 12:00Z.
    expect(start!.getTime()).toBeLessThanOrEqual(Date.parse("2026-02-28T10:00:00Z"));
    expect(end!.getTime()).toBeGreaterThan(Date.parse("2026-04-01T11:59:59.999Z"));
  });

  it("leaves an open side open and refuses invalid days", () => {
    expect(instantWindow(undefined, "2026-01-01").start).toBeUndefined();
    expect(instantWindow("2026-01-01").end).toBeUndefined();
    expect(() => instantWindow("2026-02-30")).toThrow(/from/);
  });
});

describe("eachDay", () => {
  it("agrees with daysInRange across month, leap and year edges", () => {
    expect([...eachDay("2023-12-30", "2024-03-02")]).toEqual(daysInRange("2023-12-30", "2024-03-02"));
    expect([...eachDay("2026-05-05", "2026-05-05")]).toEqual(["2026-05-05"]);
  });

  it("is lazy: a range of centuries yields its first days at once", () => {
    const days = eachDay("1900-01-01", "2999-12-31");
    expect([days.next().value, days.next().value]).toEqual(["1900-01-01", "1900-01-02"]);
  });

  it("refuses a reversed or invalid range", () => {
    expect(() => [...eachDay("2026-01-02", "2026-01-01")]).toThrow(/after/);
    expect(() => [...eachDay("2026-13-01", "2026-12-01")]).toThrow(/from/);
  });
});
