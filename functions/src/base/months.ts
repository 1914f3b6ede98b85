/**
 * UTC calendar months (`YYYY-MM`): statements are per UTC month, over the account's UTC days.
 * Pure integer arithmetic on the month index, so no timezone or DST is involved.
 */

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True for `YYYY-MM` with a month 01-12. */
export const isValidMonth = (month: string) => typeof month === "string" && MONTH_PATTERN.test(month);

/** Months since year 0: `2026-03` -> 2026 × 12 + 2. @throws RangeError for a malformed month. */
function monthIndex(month: string): number {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new RangeError(`month must be YYYY-MM (01-12), got ${JSON.stringify(month)}`);
  return Number(match[1]) * 12 + Number(match[2]) - 1;
}

function monthOfIndex(index: number): string {
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** The month `n` months after `month` (before it for a negative n). */
export const addMonths = (month: string, n: number) => monthOfIndex(monthIndex(month) + n);

/** How many months `b` is after `a` (negative when before). */
export const monthsBetween = (a: string, b: string) => monthIndex(b) - monthIndex(a);

/** The UTC month of an instant (epoch ms). */
export const monthOf = (at: number) => new Date(at).toISOString().slice(0, 7);

/** The first instant (epoch ms) of the month, UTC. */
export function monthStartMillis(month: string): number {
  const index = monthIndex(month);
  return Date.UTC(Math.floor(index / 12), index % 12, 1);
}

/** The first instant after the month (the next month's start), UTC. */
export const monthEndMillis = (month: string) => monthStartMillis(addMonths(month, 1));

/** Every day `YYYY-MM-DD` of the month. */
export function daysOfMonth(month: string): string[] {
  const count = (monthEndMillis(month) - monthStartMillis(month)) / 86_400_000;
  return Array.from({ length: count }, (_, i) => `${month}-${String(i + 1).padStart(2, "0")}`);
}

/** Every month from `from` to `to`, both included, in order (empty when `from` is after `to`). */
export function monthsInRange(from: string, to: string): string[] {
  const n = monthsBetween(from, to);
  return Array.from({ length: Math.max(0, n + 1) }, (_, i) => addMonths(from, i));
}
