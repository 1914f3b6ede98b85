/** The account's ranges: UTC days (`YYYY-MM-DD`), by default this month to date, as the backend's. */
export interface DayRange {
  from: string;
  to: string;
}

/** The UTC day of an instant. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** The first of this UTC month to today (UTC). */
export function monthToDate(now: Date): DayRange {
  const to = utcDay(now);
  return { from: `${to.slice(0, 8)}01`, to };
}

/** The range with one end changed; an emptied date input leaves it as it was. */
export function withDay(range: DayRange, end: keyof DayRange, day: string): DayRange {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? { ...range, [end]: day } : range;
}
