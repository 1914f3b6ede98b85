/**
 * The timezone an agent's local days and months are counted in, and how a change takes effect.
 *
 * A change never gives the same real instant two days: the timezone in effect keeps counting until
 * the next midnight of the new timezone, and only from then on does the new one apply. So "today"
 * never jumps to a day key with no spend (a second daily limit the same real day), and today's
 * spend never moves into tomorrow's window. Where the new timezone's first day has the same key as
 * a day already counted under the old one, both share one window: stricter, never looser.
 */
import { nextLocalMidnight } from "../base/periods";

export const DEFAULT_TIMEZONE = "UTC";

/** The timezone fields of an agent's `billing` settings. */
export interface TimezoneSettings {
  /** The timezone chosen last (in effect from `timezoneFrom` when that is set). */
  timezone?: string;
  /** The timezone in effect before `timezoneFrom`. */
  previousTimezone?: string;
  /** Epoch ms from which `timezone` applies; absent when no change is pending. */
  timezoneFrom?: number;
}

/** The timezone in effect at `now`. */
export function effectiveTimezone(settings: TimezoneSettings | undefined, now: number): string {
  const s = settings ?? {};
  if (s.previousTimezone && typeof s.timezoneFrom === "number" && now < s.timezoneFrom) return s.previousTimezone;
  return s.timezone || DEFAULT_TIMEZONE;
}

/** The timezone fields to store; null deletes a field. */
export interface TimezoneChange {
  timezone: string;
  previousTimezone: string | null;
  timezoneFrom: number | null;
}

/**
 * The settings after the owner chose `next` (null: back to UTC) at `now`: in effect at once when it
 * is the timezone already in effect (a pending change is cancelled), else from the new timezone's
 * next midnight.
 */
export function changeTimezone(settings: TimezoneSettings | undefined, next: string | null, now: number): TimezoneChange {
  const target = next || DEFAULT_TIMEZONE;
  const current = effectiveTimezone(settings, now);
  if (target === current) return { timezone: target, previousTimezone: null, timezoneFrom: null };
  return { timezone: target, previousTimezone: current, timezoneFrom: nextLocalMidnight(now, target) };
}
