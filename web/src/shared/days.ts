/** Calendar arithmetic on `YYYY-MM-DD` local days (the agent's), in UTC so no host timezone leaks in. */
const MS_PER_DAY = 86_400_000;

const toMs = (day: string) => Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export const addDays = (day: string, n: number) => toDay(toMs(day) + n * MS_PER_DAY);

/** Days in the month of `day`, and the day's number in it. */
export function monthPosition(day: string): { dayOfMonth: number; daysInMonth: number } {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  return { dayOfMonth: Number(day.slice(8, 10)), daysInMonth: new Date(Date.UTC(y, m, 0)).getUTCDate() };
}

/**
 * Month-to-date spend carried to the month's end at the same daily rate, in integer micros
 * (rounded half up once).
 */
export function projectToMonthEnd(monthToDateMicros: number, today: string): number {
  const { dayOfMonth, daysInMonth } = monthPosition(today);
  return Math.floor((monthToDateMicros * daysInMonth + Math.floor(dayOfMonth / 2)) / dayOfMonth);
}
