/**
 * The month-end forecast: this month's spend to date, projected linearly over the whole month, and
 * the day that pace reaches a limit. Pure and exact (BigInt); the account view's insight and the
 * forecast alert both use it, so the console and the alert never disagree on the projection.
 */
import { divRoundHalfUp } from "../base/money";

/** Where the month's spend is heading, against a monthly limit. */
export interface MonthForecast {
  /** spent × daysInMonth / dayOfMonth, rounded half up. */
  projectedMicros: number;
  /** The first day of the month on which the pace reaches the limit (1 when already reached). */
  limitReachedDay: number;
}

/**
 * The forecast when the month's pace passes the limit, else null (nothing spent, or a projection
 * at or under the limit). `dayOfMonth` counts today as a whole day, so the pace is never inflated
 * by a partial day's division.
 */
export function monthForecast(spentMicros: number, limitMicros: number, dayOfMonth: number, daysInMonth: number): MonthForecast | null {
  if (!(spentMicros > 0) || !(dayOfMonth >= 1) || daysInMonth < dayOfMonth) return null;
  const spent = BigInt(spentMicros);
  const projectedMicros = Number(divRoundHalfUp(spent * BigInt(daysInMonth), BigInt(dayOfMonth)));
  if (projectedMicros <= limitMicros) return null;
  // The first d with spent × d / dayOfMonth >= limit, i.e. ceil(limit × dayOfMonth / spent).
  const firstDay = (BigInt(limitMicros) * BigInt(dayOfMonth) + spent - 1n) / spent;
  return { projectedMicros, limitReachedDay: Math.max(1, Math.min(daysInMonth, Number(firstDay))) };
}
