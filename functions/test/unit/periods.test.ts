import fc from "fast-check";
import {
  type Granularity,
  daysInRange,
  isValidDay,
  isValidTimezone,
  localDay,
  localMonth,
  nextLocalMidnight,
  periodOf,
  periodsInRange,
} from "../../src/base/periods";

const HOUR = 3_600_000;

describe("isValidTimezone", () => {
  it.each([
    ["UTC", true],
    ["Europe/Paris", true],
    ["America/New_York", true],
    ["America/Argentina/Buenos_Aires", true],
    ["Asia/Tokyo", true],
    ["Etc/GMT+5", true],
    ["Mars/Base", false],
    ["", false],
    ["+05:00", false],
    ["-08:00", false],
    ["UTC+5", false],
    ["Z", false],
    ["Europe/Paris ", false],
    ["../etc/passwd", false],
  ])("%p -> %p", (tz, expected) => {
    expect(isValidTimezone(tz)).toBe(expected);
  });

  it("refuses non-strings", () => {
    expect(isValidTimezone(42 as unknown as string)).toBe(false);
  });
});

describe("localDay and localMonth around local midnight", () => {
  it.each([
    // Tokyo is UTC+9 all year: 15:00Z is midnight.
    ["Asia/Tokyo", "2026-03-31T14:59:59.999Z", "2026-03-31", "2026-03"],
    ["Asia/Tokyo", "2026-03-31T15:00:00.000Z", "2026-04-01", "2026-04"],
    // Los Angeles is UTC-8 in winter (08:00Z is midnight) and UTC-7 in summer (07:00Z).
    ["America/Los_Angeles", "2026-01-01T07:59:59.999Z", "2025-12-31", "2025-12"],
    ["America/Los_Angeles", "2026-01-01T08:00:00.000Z", "2026-01-01", "2026-01"],
    ["America/Los_Angeles", "2026-07-01T06:59:59.999Z", "2026-06-30", "2026-06"],
    ["America/Los_Angeles", "2026-07-01T07:00:00.000Z", "2026-07-01", "2026-07"],
    ["UTC", "2026-02-28T23:59:59.999Z", "2026-02-28", "2026-02"],
    ["UTC", "2026-03-01T00:00:00.000Z", "2026-03-01", "2026-03"],
  ])("%s at %s is day %s, month %s", (tz, iso, day, month) => {
    expect(localDay(new Date(iso), tz)).toBe(day);
    expect(localDay(Date.parse(iso), tz)).toBe(day);
    expect(localMonth(new Date(iso), tz)).toBe(month);
  });

  it("refuses an invalid timezone or instant", () => {
    expect(() => localDay(new Date(), "Mars/Base")).toThrow(RangeError);
    expect(() => localDay(new Date(Number.NaN), "UTC")).toThrow(RangeError);
    expect(() => localMonth(Number.POSITIVE_INFINITY, "UTC")).toThrow(RangeError);
  });
});

describe("isValidDay", () => {
  it.each([
    ["2026-01-01", true],
    ["2026-02-28", true],
    ["2024-02-29", true],
    ["2026-02-29", false],
    ["2026-04-31", false],
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-1-01", false],
    ["20260101", false],
    ["2026-01-01T00:00", false],
    [" 2026-01-01", false],
    ["", false],
  ])("%p -> %p", (day, expected) => {
    expect(isValidDay(day)).toBe(expected);
  });
});

describe("periodOf", () => {
  it.each<[string, Granularity, string]>([
    ["2026-01-01", "day", "2026-01-01"],
    // 2026-01-01 is a Thursday: its ISO week starts on Monday 2025-12-29.
    ["2026-01-01", "week", "2025-12-29"],
    ["2026-01-04", "week", "2025-12-29"],
    ["2026-01-05", "week", "2026-01-05"],
    ["2025-12-29", "week", "2025-12-29"],
    ["2026-03-01", "week", "2026-02-23"],
    ["2024-02-29", "week", "2024-02-26"],
    ["2026-01-01", "month", "2026-01"],
    ["2026-01-31", "month", "2026-01"],
    ["2026-02-01", "month", "2026-02"],
    ["2025-12-31", "month", "2025-12"],
  ])("%s by %s is %s", (day, granularity, expected) => {
    expect(periodOf(day, granularity)).toBe(expected);
  });

  it("refuses an invalid day or granularity", () => {
    expect(() => periodOf("2026-02-30", "day")).toThrow(RangeError);
    expect(() => periodOf("2026-02-01", "year" as Granularity)).toThrow(/granularity/);
    expect(() => periodOf("2026-02-01", "constructor" as Granularity)).toThrow(/granularity/);
  });

  it("names every week by a Monday that starts it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), (offset) => {
        const day = new Date(Date.UTC(2000, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
        const monday = periodOf(day, "week");
        expect(new Date(`${monday}T00:00:00Z`).getUTCDay()).toBe(1);
        expect(daysInRange(monday, day).length).toBeGreaterThanOrEqual(1);
        expect(daysInRange(monday, day).length).toBeLessThanOrEqual(7);
      }),
    );
  });
});

describe("daysInRange", () => {
  it.each([
    ["2026-03-10", "2026-03-10", ["2026-03-10"]],
    ["2026-02-27", "2026-03-02", ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]],
    ["2024-02-28", "2024-03-01", ["2024-02-28", "2024-02-29", "2024-03-01"]],
    ["2025-12-31", "2026-01-01", ["2025-12-31", "2026-01-01"]],
    // Calendar days do not care about DST: 2026-03-08 is a short day in New York, still one day.
    ["2026-03-07", "2026-03-09", ["2026-03-07", "2026-03-08", "2026-03-09"]],
  ])("%s..%s", (from, to, expected) => {
    expect(daysInRange(from, to)).toEqual(expected);
  });

  it.each([
    ["2026-01-01", "2026-12-31", 365],
    ["2024-01-01", "2024-12-31", 366],
    ["2026-10-01", "2026-11-30", 61],
  ])("%s..%s has %p days", (from, to, days) => {
    expect(daysInRange(from, to)).toHaveLength(days);
  });

  it.each([
    ["2026-01-02", "2026-01-01", /must not be after/],
    ["2026-02-30", "2026-03-01", /from/],
    ["2026-01-01", "2026-1-2", /to/],
  ])("refuses %s..%s", (from, to, message) => {
    expect(() => daysInRange(from, to)).toThrow(message);
    expect(() => periodsInRange(from, to, "month")).toThrow(RangeError);
  });
});

describe("periodsInRange", () => {
  it.each<[string, string, Granularity, string[]]>([
    ["2026-01-30", "2026-02-02", "day", ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]],
    ["2025-12-31", "2026-01-20", "week", ["2025-12-29", "2026-01-05", "2026-01-12", "2026-01-19"]],
    ["2026-01-05", "2026-01-11", "week", ["2026-01-05"]],
    ["2026-01-11", "2026-01-12", "week", ["2026-01-05", "2026-01-12"]],
    // Touching the edges of a month still includes the whole month, and the months between too.
    ["2026-01-31", "2026-04-01", "month", ["2026-01", "2026-02", "2026-03", "2026-04"]],
    ["2026-01-31", "2026-02-01", "month", ["2026-01", "2026-02"]],
    ["2025-11-15", "2026-01-15", "month", ["2025-11", "2025-12", "2026-01"]],
    ["2026-02-01", "2026-02-28", "month", ["2026-02"]],
  ])("%s..%s by %s", (from, to, granularity, expected) => {
    expect(periodsInRange(from, to, granularity)).toEqual(expected);
  });

  it("gives every period exactly once, in order, matching periodOf of each day", () => {
    const granularities: Granularity[] = ["day", "week", "month"];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.nat(400), fc.constantFrom(...granularities), (offset, length, granularity) => {
        const start = Date.UTC(2000, 0, 1) + offset * 86_400_000;
        const from = new Date(start).toISOString().slice(0, 10);
        const to = new Date(start + length * 86_400_000).toISOString().slice(0, 10);
        const expected = [...new Set(daysInRange(from, to).map((day) => periodOf(day, granularity)))];
        expect(periodsInRange(from, to, granularity)).toEqual(expected);
      }),
    );
  });
});

describe("nextLocalMidnight", () => {
  it.each([
    ["2026-12-01T21:30:00Z", "UTC", "2026-12-02T00:00:00.000Z"],
    ["2026-12-01T21:30:00Z", "Asia/Tehran", "2026-12-02T20:30:00.000Z"],
    ["2026-12-01T19:00:00Z", "Asia/Tehran", "2026-12-01T20:30:00.000Z"],
    // New York's DST end day lasts 25 hours.
    ["2026-11-01T04:30:00Z", "America/New_York", "2026-11-02T05:00:00.000Z"],
    // Santiago springs forward at midnight: the day starts at 01:00.
    ["2026-09-05T12:00:00Z", "America/Santiago", "2026-09-06T04:00:00.000Z"],
  ])("after %s in %s is %s", (at, tz, expected) => {
    expect(new Date(nextLocalMidnight(new Date(at), tz)).toISOString()).toBe(expected);
  });

  it("is always after the instant, at most 25 hours later, and starts the next local day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.constantFrom("UTC", "Europe/Paris", "Asia/Tehran", "America/New_York"),
        (at, tz) => {
          const next = nextLocalMidnight(at, tz);
          expect(next).toBeGreaterThan(at);
          expect(next - at).toBeLessThanOrEqual(25 * HOUR);
          expect(localDay(next, tz) > localDay(at, tz)).toBe(true);
          expect(localDay(next - 1, tz)).toBe(localDay(at, tz));
        },
      ),
    );
  });
});
