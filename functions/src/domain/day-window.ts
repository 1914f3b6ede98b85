/**
 * Local-day ranges as instants and as lazy day sequences. Pure; calendar arithmetic in UTC, so
 * no DST transition can add or lose a day.
 */
import { dayStartMillis } from "../base/periods";

const MS_PER_DAY = 86_400_000;

/**
 * More than any UTC offset a timezone has ever had (today -12:00..+14:00; a few historic local mean
 * times reached about ±15:30): a local day D always lies within D 00:00Z ± this margin.
 */
const OFFSET_MARGIN_MS = MS_PER_DAY;

/** Epoch ms of a real day's UTC midnight. @throws RangeError for anything else. */
function utcMidnight(day: string, field: string): number {
  const millis = dayStartMillis(day);
  if (millis === null) throw new RangeError(`${field} must be a real calendar date as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  return millis;
}

/**
 * Instants `[start, end)` that contain every instant whose local day, in any timezone, is within
 * `from..to` (both optional). Rows carry their local day in the agent's timezone at write time,
 * which may since have changed; this window bounds a ledger range scan on `createdAt` whatever the
 * zone, and the exact filter is then on `localDay`.
 */
export function instantWindow(from?: string, to?: string): { start?: Date; end?: Date } {
  return {
    start: from === undefined ? undefined : new Date(utcMidnight(from, "from") - OFFSET_MARGIN_MS),
    end: to === undefined ? undefined : new Date(utcMidnight(to, "to") + MS_PER_DAY + OFFSET_MARGIN_MS),
  };
}

/**
 * Every day from `from` to `to`, both included, generated lazily so a range of decades costs no
 * memory up front.
 *
 * @throws RangeError when a day is invalid (on the first step) or `from` is after `to`.
 */
export function* eachDay(from: string, to: string): Generator<string> {
  const start = utcMidnight(from, "from");
  const end = utcMidnight(to, "to");
  if (start > end) throw new RangeError(`from (${from}) must not be after to (${to})`);
  for (let millis = start; millis <= end; millis += MS_PER_DAY) {
    yield new Date(millis).toISOString().slice(0, 10);
  }
}
