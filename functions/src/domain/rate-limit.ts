/**
 * Per-user rate limiting with fixed windows: at most `perMinute` calls in a calendar minute and at
 * most `burst` calls in any 5-second slot of it. A call first counts itself (a blind increment),
 * then reads the counters: since an admitted call's count never goes away, a call that reads a
 * count within the limits was itself within them, so the limit is never exceeded, even under
 * concurrency. (Only a call that was not admitted is ever taken back: sendMessage gives back the
 * count of a message it counts again at once.) Under a flood it may refuse a little more than
 * strictly needed, never less.
 */

export const BURST_SLOT_MS = 5_000;
const MINUTE_MS = 60_000;

export interface RateLimits {
  perMinute: number;
  burst: number;
}

/** The counters a call at `now` increments. */
export function rateWindows(now: number): { minute: number; slot: string } {
  return { minute: Math.floor(now / MINUTE_MS), slot: String(Math.floor((now % MINUTE_MS) / BURST_SLOT_MS)) };
}

/** Milliseconds until a refused call may succeed, or 0 when the counts are within the limits. */
export function retryAfterMs(counts: { minute: number; slot: number }, limits: RateLimits, now: number): number {
  if (counts.minute > limits.perMinute) return MINUTE_MS - (now % MINUTE_MS);
  if (counts.slot > limits.burst) return BURST_SLOT_MS - (now % BURST_SLOT_MS);
  return 0;
}
