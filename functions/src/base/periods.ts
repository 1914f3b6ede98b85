/**
 * Calendar periods for rollups and analytics. A usage row belongs to the local day of the agent's
 * timezone; days, ISO weeks and months are then pure calendar arithmetic, done in UTC so that no
 * DST transition can add or lose a day.
 */
import { DateTime, IANAZone, type DurationLikeObject } from "luxon";

/** How analytics group days. */
export type Granularity = "day" | "week" | "month";

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

interface PeriodStep {
  unit: "day" | "week" | "month";
  plus: DurationLikeObject;
  format: string;
}

/** How to walk each granularity: where a period starts, how far the next is, and its name. */
const PERIOD_STEPS: Readonly<Record<Granularity, PeriodStep>> = {
  day: { unit: "day", plus: { days: 1 }, format: "yyyy-MM-dd" },
  week: { unit: "week", plus: { weeks: 1 }, format: "yyyy-MM-dd" },
  month: { unit: "month", plus: { months: 1 }, format: "yyyy-MM" },
};

/**
 * Zone names as IANA spells them (`Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`,
 * `UTC`). Rules out offsets like `+05:00` that newer ICU versions accept as time zones: a fixed
 * offset ignores DST, which is never what a user choosing "my timezone" means.
 */
const ZONE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** True for IANA zone names known to the runtime's tz database, including `UTC`. */
export function isValidTimezone(tz: string): boolean {
  if (typeof tz !== "string" || tz.length > 64 || !ZONE_NAME_PATTERN.test(tz)) return false;
  // Asking Intl builds a formatter (about 1 ms, on every message's day and month): asked once per zone.
  let valid = KNOWN_ZONES.get(tz);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(tz);
    if (KNOWN_ZONES.size < MAX_KNOWN_ZONES) KNOWN_ZONES.set(tz, valid);
  }
  return valid;
}

/** Zone names already checked (well-formed names only, so at most a few hundred real ones are kept). */
const KNOWN_ZONES = new Map<string, boolean>();
const MAX_KNOWN_ZONES = 2_000;

/** The local calendar day (`YYYY-MM-DD`) of an instant in `timezone`. */
export function localDay(at: Date | number, timezone: string): string {
  return zoned(at, timezone).toFormat("yyyy-MM-dd");
}

/** The local calendar month (`YYYY-MM`) of an instant in `timezone`. */
export function localMonth(at: Date | number, timezone: string): string {
  return zoned(at, timezone).toFormat("yyyy-MM");
}

/**
 * The first instant (epoch ms) of the local day after the one `at` falls in, in `timezone`. Where
 * the clocks jump at midnight, the day starts at the first instant that exists (Luxon moves a
 * non-existent 00:00 forward).
 */
/** The UTC day and month of an instant: the windows of scopes that span timezones (an org's budgets, the sweeper's horizon). */
export function utcWindows(at: Date | number): { day: string; month: string } {
  const day = new Date(at).toISOString().slice(0, 10);
  return { day, month: day.slice(0, 7) };
}

export function nextLocalMidnight(at: Date | number, timezone: string): number {
  const next = zoned(at, timezone).plus({ days: 1 }).startOf("day");
  return next.toMillis();
}

/** Epoch ms of a real calendar day's UTC midnight, or null (`2026-02-30` is not a day). */
export function dayStartMillis(day: string): number | null {
  return isValidDay(day) ? DateTime.fromISO(day, { zone: "utc" }).toMillis() : null;
}

/** True for a strict `YYYY-MM-DD` that names a real calendar date (no `2026-02-30`). */
export function isValidDay(day: string): boolean {
  return typeof day === "string" && DAY_PATTERN.test(day) && DateTime.fromISO(day, { zone: "utc" }).isValid;
}

/**
 * The period a day falls in: the day itself, the Monday (`YYYY-MM-DD`) of its ISO week, or its
 * month (`YYYY-MM`). Weeks are named by their Monday, not `2026-W01`, so they sort and filter
 * like days and a week spanning New Year has one unambiguous name.
 */
export function periodOf(day: string, granularity: Granularity): string {
  const date = calendarDay(day, "day");
  // Luxon's weeks are ISO weeks (Monday first) unless locale weeks are asked for.
  const step = periodStep(granularity);
  return date.startOf(step.unit).toFormat(step.format);
}

/**
 * Every calendar day from `from` to `to`, both included.
 *
 * @throws RangeError when a day is invalid or `from` is after `to`.
 */
export function daysInRange(from: string, to: string): string[] {
  const [start, end] = calendarRange(from, to);
  const days: string[] = [];
  for (let day = start; day.toMillis() <= end.toMillis(); day = day.plus({ days: 1 })) {
    days.push(day.toFormat("yyyy-MM-dd"));
  }
  return days;
}

/**
 * Every period the inclusive range touches, in order, including periods with no usage (a series
 * needs its gaps). The first and last periods may be partial: week `2025-12-29` for a range
 * starting on 2026-01-01.
 *
 * @throws RangeError when a day is invalid or `from` is after `to`.
 */
export function periodsInRange(from: string, to: string, granularity: Granularity): string[] {
  const [start, end] = calendarRange(from, to);
  const step = periodStep(granularity);
  const periods: string[] = [];
  for (let period = start.startOf(step.unit); period.toMillis() <= end.toMillis(); period = period.plus(step.plus)) {
    periods.push(period.toFormat(step.format));
  }
  return periods;
}

/** A validated day as a UTC-midnight DateTime: calendar arithmetic with no DST in the way. */
function calendarDay(day: string, field: string): DateTime {
  if (!isValidDay(day)) {
    throw new RangeError(`${field} must be a real calendar date as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  return DateTime.fromISO(day, { zone: "utc" });
}

function calendarRange(from: string, to: string): [DateTime, DateTime] {
  const start = calendarDay(from, "from");
  const end = calendarDay(to, "to");
  if (start.toMillis() > end.toMillis()) {
    throw new RangeError(`from (${from}) must not be after to (${to})`);
  }
  return [start, end];
}

function periodStep(granularity: Granularity): PeriodStep {
  // Own keys only, as the granularity may come straight from a request.
  if (typeof granularity !== "string" || !Object.hasOwn(PERIOD_STEPS, granularity)) {
    throw new RangeError(`granularity must be "day", "week" or "month", got ${JSON.stringify(granularity)}`);
  }
  return PERIOD_STEPS[granularity];
}

function checkedZone(timezone: string): string {
  if (!isValidTimezone(timezone)) {
    throw new RangeError(`timezone must be an IANA zone name such as "Europe/Paris" or "UTC", got ${JSON.stringify(timezone)}`);
  }
  return timezone;
}

function zoned(at: Date | number, timezone: string): DateTime {
  const millis = at instanceof Date ? at.getTime() : at;
  if (typeof millis !== "number" || !Number.isFinite(millis)) {
    throw new RangeError(`instant must be a valid Date or epoch milliseconds, got ${String(at)}`);
  }
  const dateTime = DateTime.fromMillis(millis, { zone: checkedZone(timezone) });
  if (!dateTime.isValid) {
    throw new RangeError(`instant ${millis} is outside the supported date range`);
  }
  return dateTime;
}
