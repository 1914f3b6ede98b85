/**
 * The alert rules, pure: which figures of an agent's daily buckets cross which line. The
 * scheduler (handlers/alerts.ts) feeds them daily buckets and failure records, never the ledger.
 * Every comparison is in integers (micros, tokens), so a rule never flips on float noise.
 */
import { DateTime } from "luxon";
import { divRoundHalfUp } from "../base/money";
import { isValidDay } from "../base/periods";
import { monthForecast } from "./forecast";

/** The kinds of alert; each is raised once per agent and window. */
export type AlertKind = "daily-cost" | "usage-anomaly" | "billing-failure" | "monthly-forecast";

/** The scheduler runs every 15 minutes; a billing-failure alert covers one such slot. */
export const ALERT_SLOT_MINUTES = 15;

/**
 * The usage-anomaly rule: today's tokens (both modes) against the mean of the agent's active days
 * among the `baselineDays` local days before today. It fires when today is more than
 * `multiplier` times that mean, today has at least `minTodayTokens` (the scheduler passes the
 * ALERT_ANOMALY_MIN_TOKENS param) and the baseline holds at least `minActiveDays` days with usage.
 * The mean is over active days only, so an agent used on weekdays is not judged against its
 * empty weekends; the minimums keep a quiet or brand-new agent from alerting on noise.
 */
export const ANOMALY_RULE = {
  baselineDays: 14,
  multiplier: 3,
  minActiveDays: 3,
  minTodayTokens: 10_000,
} as const;

/** The anomaly rule with its figures as plain numbers (the minimum volume comes from a param). */
export type AnomalyRule = { [K in keyof typeof ANOMALY_RULE]: number };

/** What the rules read from one daily bucket. */
export interface DayUsage {
  day: string;
  /** Billable cost of the day (production). */
  costMicros: number;
  /** Tokens of the day, production and development. */
  totalTokens: number;
}

/** The figures of a daily-cost alert. */
export interface DailyCostFigures {
  day: string;
  costMicros: number;
  thresholdMicros: number;
}

/** The figures of a usage-anomaly alert. */
export interface AnomalyFigures {
  day: string;
  todayTokens: number;
  /** Mean tokens of the active baseline days, rounded half up (display; the rule compares exactly). */
  baselineMeanTokens: number;
  baselineTotalTokens: number;
  baselineActiveDays: number;
  multiplier: number;
  minTodayTokens: number;
}

type Figures = { [field: string]: number };

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Reads a daily bucket document (see domain/rollups.ts `dailyDeltas`) into the rules' figures. */
export function bucketUsage(day: string, data: { production?: Figures; development?: Figures } | undefined): DayUsage {
  return {
    day,
    costMicros: num(data?.production?.costMicros),
    totalTokens: num(data?.production?.totalTokens) + num(data?.development?.totalTokens),
  };
}

/** The day's billable cost is strictly over the owner's threshold. */
export function dailyCostCrossing(usage: DayUsage, thresholdMicros: number | null | undefined): DailyCostFigures | null {
  if (typeof thresholdMicros !== "number" || !(usage.costMicros > thresholdMicros)) return null;
  return { day: usage.day, costMicros: usage.costMicros, thresholdMicros };
}

/** The `count` local days before `day`, oldest first. */
export function daysBefore(day: string, count: number): string[] {
  if (!isValidDay(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const start = DateTime.fromISO(day, { zone: "utc" });
  return Array.from({ length: count }, (_, i) => start.minus({ days: count - i }).toFormat("yyyy-MM-dd"));
}

/**
 * Today's usage far above the agent's own baseline (see {@link ANOMALY_RULE}).
 *
 * @param baseline - buckets of the days before today (missing days simply absent); days outside
 *   the rule's window are ignored.
 */
export function usageAnomaly(today: DayUsage, baseline: DayUsage[], rule: AnomalyRule = ANOMALY_RULE): AnomalyFigures | null {
  if (today.totalTokens < rule.minTodayTokens) return null;
  const window = new Set(daysBefore(today.day, rule.baselineDays));
  const active = baseline.filter((d) => window.has(d.day) && d.totalTokens > 0);
  if (active.length < rule.minActiveDays) return null;
  const total = active.reduce((sum, d) => sum + d.totalTokens, 0);
  // today > multiplier * (total / n)  <=>  today * n > multiplier * total, exactly in BigInt.
  const n = BigInt(active.length);
  if (BigInt(today.totalTokens) * n <= BigInt(rule.multiplier) * BigInt(total)) return null;
  return {
    day: today.day,
    todayTokens: today.totalTokens,
    baselineMeanTokens: Number(divRoundHalfUp(BigInt(total), n)),
    baselineTotalTokens: total,
    baselineActiveDays: active.length,
    multiplier: rule.multiplier,
    minTodayTokens: rule.minTodayTokens,
  };
}

/**
 * The monthly-forecast rule: the month's settled spend to date, projected linearly to month end
 * (domain/forecast.ts), passes the monthly limit. Early in a month a pace is mostly noise, so the
 * rule waits until `minDayOfMonth` days of the month have begun, unless the spend already
 * reaches `1 / earlyShareDivisor` of the limit (then the owner hears of it at once).
 */
export const FORECAST_RULE = { minDayOfMonth: 3, earlyShareDivisor: 2 } as const;

/** The figures of a monthly-forecast alert. */
export interface ForecastFigures {
  /** The agent's local month, `YYYY-MM`. */
  month: string;
  monthToDateMicros: number;
  projectedMicros: number;
  monthlyLimitMicros: number;
  limitReachedDay: number;
  dayOfMonth: number;
  daysInMonth: number;
}

/** What the forecast rule reads: the month so far and where in it `now` is. */
export interface MonthToDate {
  month: string;
  spentMicros: number;
  dayOfMonth: number;
  daysInMonth: number;
}

/** The month-to-date figures of a local day: its month, and where in the month the day is. */
export function monthToDate(day: string, spentMicros: number): MonthToDate {
  if (!isValidDay(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const date = DateTime.fromISO(day, { zone: "utc" });
  return { month: day.slice(0, 7), spentMicros, dayOfMonth: date.day, daysInMonth: date.daysInMonth as number };
}

/** The month-end projection over the monthly limit (see {@link FORECAST_RULE}). */
export function forecastCrossing(mtd: MonthToDate, limitMicros: number | null | undefined): ForecastFigures | null {
  const rule = FORECAST_RULE;
  if (typeof limitMicros !== "number") return null;
  const forecast = monthForecast(mtd.spentMicros, limitMicros, mtd.dayOfMonth, mtd.daysInMonth);
  if (!forecast) return null;
  const early = mtd.dayOfMonth < rule.minDayOfMonth;
  if (early && BigInt(mtd.spentMicros) * BigInt(rule.earlyShareDivisor) < BigInt(limitMicros)) return null;
  return {
    month: mtd.month,
    monthToDateMicros: mtd.spentMicros,
    projectedMicros: forecast.projectedMicros,
    monthlyLimitMicros: limitMicros,
    limitReachedDay: forecast.limitReachedDay,
    dayOfMonth: mtd.dayOfMonth,
    daysInMonth: mtd.daysInMonth,
  };
}

/** The start (epoch ms) of the scheduler slot that contains `at`. */
export function slotStart(at: number, minutes: number = ALERT_SLOT_MINUTES): number {
  const size = minutes * 60_000;
  return Math.floor(at / size) * size;
}

/** The window name of a slot, `YYYYMMDDTHHmmZ` in UTC: compact, sortable, no `:` or `.`. */
export function slotWindow(at: number, minutes: number = ALERT_SLOT_MINUTES): string {
  return DateTime.fromMillis(slotStart(at, minutes), { zone: "utc" }).toFormat("yyyyMMdd'T'HHmm'Z'");
}
