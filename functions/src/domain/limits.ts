/**
 * Hard spending limits, as pure state transitions over one agent's spend document. The store
 * (store/spend.ts) reads the document, calls these functions inside a transaction and writes
 * the result back, so every rule here runs atomically.
 *
 * What is reserved is never stored as a counter: it is derived from the open reservation entries.
 * A reservation is then removed by deleting its entry, which is idempotent: a sweep and a late
 * settle of the same reservation cannot subtract it twice.
 */
import { assertMicros } from "../base/money";

/** The windows a message belongs to, in the agent's timezone. */
export interface SpendWindowKeys {
  /** Local day `YYYY-MM-DD`. */
  day: string;
  /** Local month `YYYY-MM`. */
  month: string;
}

/** Production is billed and limited in money; development is free and capped in messages. */
export type SpendMode = "production" | "development";

/** One message between its reservation and its settlement (or release, or expiry). */
export interface Reservation {
  day: string;
  month: string;
  mode: SpendMode;
  /** Worst-case cost held against the limits (0 for development). */
  amountMicros: number;
  /** Epoch ms after which a sweep may drop the entry: its request is long dead. */
  expiresAt: number;
}

/** Figures of one local day. */
export interface DayFigures {
  spentMicros: number;
  devMessages: number;
}

/** Figures of one local month. */
export interface MonthFigures {
  spentMicros: number;
}

/** The spend document of an agent, without its bookkeeping fields. */
export interface SpendState {
  days: Record<string, DayFigures>;
  months: Record<string, MonthFigures>;
  reservations: Record<string, Reservation>;
}

/** The limits that apply to a production message; null or absent means no limit. */
export interface SpendLimits {
  dailyMicros?: number | null;
  monthlyMicros?: number | null;
}

/** What the transaction knows when it decides. */
export interface ReserveDecisionInput {
  reservationId: string;
  mode: SpendMode;
  amountMicros: number;
  limits: SpendLimits;
  devDailyMessageCap: number;
  windows: SpendWindowKeys;
  now: number;
  ttlMs: number;
}

/** Which limit refused a message. */
/** Which limit refused a message. */
export type RefusalReason = "daily-limit" | "monthly-limit" | "dev-daily-cap";

/**
 * `limit` and `used` are micros for the money limits and messages for the development cap;
 * `used` counts what is spent plus what is reserved by requests still running.
 */
export type ReserveOutcome = { ok: true } | { ok: false; reason: RefusalReason; limit: number; used: number };

/** Usage of the current windows, as readSpend reports it. */
export interface SpendUsage {
  daySpentMicros: number;
  dayReservedMicros: number;
  monthSpentMicros: number;
  monthReservedMicros: number;
  devMessagesToday: number;
}

const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH_KEY = /^\d{4}-\d{2}$/;

/** A spend document that does not exist yet. */
export const emptySpendState = (): SpendState => ({ days: {}, months: {}, reservations: {} });

/** Throws unless the keys are a `YYYY-MM-DD` day inside a `YYYY-MM` month. */
export function checkWindows(windows: SpendWindowKeys): SpendWindowKeys {
  if (!DAY_KEY.test(windows.day) || !MONTH_KEY.test(windows.month) || !windows.day.startsWith(`${windows.month}-`)) {
    throw new RangeError(`spend windows must be a YYYY-MM-DD day in its YYYY-MM month, got ${JSON.stringify(windows)}`);
  }
  return windows;
}

/** Drops the reservations whose request must have died; returns the ids dropped. */
export function sweepExpired(state: SpendState, now: number): { state: SpendState; swept: string[] } {
  const reservations: Record<string, Reservation> = {};
  const swept: string[] = [];
  for (const [id, r] of Object.entries(state.reservations)) {
    if (r.expiresAt <= now) swept.push(id);
    else reservations[id] = r;
  }
  return { state: { ...state, reservations }, swept };
}

/**
 * Drops days before the current day and months before the current month, so the document stays
 * small. Later keys are kept: a timezone change can make the current day go back by one.
 * Keys compare as strings because they are zero-padded calendar dates.
 */
export function pruneWindows(state: SpendState, windows: SpendWindowKeys): SpendState {
  const keep = <T>(map: Record<string, T>, current: string) => Object.fromEntries(Object.entries(map).filter(([key]) => key >= current));
  return { ...state, days: keep(state.days, windows.day), months: keep(state.months, windows.month) };
}

/** Spent, reserved and development figures of the given windows. */
export function windowUsage(state: SpendState, windows: SpendWindowKeys): SpendUsage {
  let dayReservedMicros = 0;
  let monthReservedMicros = 0;
  for (const r of Object.values(state.reservations)) {
    if (r.day === windows.day) dayReservedMicros += r.amountMicros;
    if (r.month === windows.month) monthReservedMicros += r.amountMicros;
  }
  const day = state.days[windows.day];
  return {
    daySpentMicros: day?.spentMicros ?? 0,
    dayReservedMicros,
    monthSpentMicros: state.months[windows.month]?.spentMicros ?? 0,
    monthReservedMicros,
    devMessagesToday: day?.devMessages ?? 0,
  };
}

/**
 * Checks one money limit. A limit of 0 refuses every billable message, even one priced at 0;
 * otherwise a message is admitted while spent + reserved + its worst case stays within the limit.
 */
function overLimit(limit: number | null | undefined, used: number, amount: number): boolean {
  if (limit === null || limit === undefined) return false;
  return limit === 0 || used + amount > limit;
}

/** The refusal of a production message, or null when both windows admit it. */
function productionRefusal(usage: SpendUsage, input: ReserveDecisionInput): ReserveOutcome | null {
  const { dailyMicros, monthlyMicros } = input.limits;
  const dayUsed = usage.daySpentMicros + usage.dayReservedMicros;
  if (overLimit(dailyMicros, dayUsed, input.amountMicros)) {
    return { ok: false, reason: "daily-limit", limit: dailyMicros as number, used: dayUsed };
  }
  const monthUsed = usage.monthSpentMicros + usage.monthReservedMicros;
  if (overLimit(monthlyMicros, monthUsed, input.amountMicros)) {
    return { ok: false, reason: "monthly-limit", limit: monthlyMicros as number, used: monthUsed };
  }
  return null;
}

function checkInput(input: ReserveDecisionInput): void {
  checkWindows(input.windows);
  assertMicros(input.amountMicros, "amountMicros");
  if (input.limits.dailyMicros != null) assertMicros(input.limits.dailyMicros, "limits.dailyMicros");
  if (input.limits.monthlyMicros != null) assertMicros(input.limits.monthlyMicros, "limits.monthlyMicros");
  if (!Number.isSafeInteger(input.devDailyMessageCap) || input.devDailyMessageCap < 0) {
    throw new RangeError(`devDailyMessageCap must be a non-negative integer, got ${input.devDailyMessageCap}`);
  }
  if (!(input.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${input.ttlMs}`);
}

/**
 * The whole reservation rule: sweep expired entries, prune old windows, then admit or refuse.
 * Production holds `amountMicros` against the daily and the monthly limit; development counts one
 * message against the daily cap right away (a released one is given back). Reserving an id that
 * is already open changes nothing and succeeds, so a retried reservation never counts twice.
 *
 * @returns the outcome and the state to write (unchanged figures when refused, but still swept).
 */
export function decideReservation(current: SpendState, input: ReserveDecisionInput): { outcome: ReserveOutcome; state: SpendState } {
  checkInput(input);
  const state = pruneWindows(sweepExpired(current, input.now).state, input.windows);
  if (Object.hasOwn(state.reservations, input.reservationId)) return { outcome: { ok: true }, state };
  const usage = windowUsage(state, input.windows);
  const production = input.mode === "production";
  const refusal = production
    ? productionRefusal(usage, input)
    : usage.devMessagesToday >= input.devDailyMessageCap
      ? ({ ok: false, reason: "dev-daily-cap", limit: input.devDailyMessageCap, used: usage.devMessagesToday } as const)
      : null;
  if (refusal) return { outcome: refusal, state };
  const { day, month } = input.windows;
  const figures = state.days[day] ?? { spentMicros: 0, devMessages: 0 };
  const reservation: Reservation = {
    day,
    month,
    mode: input.mode,
    amountMicros: production ? input.amountMicros : 0,
    expiresAt: input.now + input.ttlMs,
  };
  return {
    outcome: { ok: true },
    state: {
      days: { ...state.days, [day]: production ? figures : { ...figures, devMessages: figures.devMessages + 1 } },
      months: { ...state.months, [month]: state.months[month] ?? { spentMicros: 0 } },
      reservations: { ...state.reservations, [input.reservationId]: reservation },
    },
  };
}

/** When the next reservation expires (epoch ms), or null when none is open. */
export function nextExpiry(state: SpendState): number | null {
  const times = Object.values(state.reservations).map((r) => r.expiresAt);
  return times.length ? Math.min(...times) : null;
}
