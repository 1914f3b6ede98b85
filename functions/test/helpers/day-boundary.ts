/**
 * The emulator and browser tests send messages and then check the day's figures, limits and caps:
 * they assume both fall on one day of the windows they use. A test that started in the last
 * seconds before such a midnight would see the day change under it. The midnights guarded are
 * UTC's (agents default to UTC; months change then too) and Asia/Tokyo's (15:00 UTC, no daylight
 * saving), whose daily limit limits.emulator.test.ts bursts against. Other zones in the tests use
 * fixed clocks or pick a zone far from its midnight.
 */
const DAY_MS = 86_400_000;
/** The guarded midnights, as hours of the UTC day. */
const GUARDED_UTC_HOURS = [0, 15];
/** How long before a guarded midnight a test waits for it instead of starting: longer than any one test runs here. */
export const DAY_BOUNDARY_GUARD_MS = 90_000;
/** How far past the midnight it starts, so the servers' clocks are past it too. */
const PAST_MIDNIGHT_MS = 2_000;

/** How long a test starting at `now` waits: until {@link PAST_MIDNIGHT_MS} past a guarded midnight within the guard before it, else 0. */
export function dayBoundaryWaitMs(now: number): number {
  const sinceUtcMidnight = ((now % DAY_MS) + DAY_MS) % DAY_MS;
  for (const hour of GUARDED_UTC_HOURS) {
    // Signed distance from that midnight, in (-half a day, half a day].
    let fromMidnight = (sinceUtcMidnight - hour * 3_600_000 + DAY_MS) % DAY_MS;
    if (fromMidnight > DAY_MS / 2) fromMidnight -= DAY_MS;
    if (fromMidnight >= -DAY_BOUNDARY_GUARD_MS && fromMidnight < PAST_MIDNIGHT_MS) return PAST_MIDNIGHT_MS - fromMidnight;
  }
  return 0;
}
