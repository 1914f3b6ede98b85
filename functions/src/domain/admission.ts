/**
 * Hard limits that hold for a burst of messages to one agent without a transaction: ordered holds
 * on sharded spend documents. Pure: the store (store/spend.ts) writes and reads the shards.
 *
 * An agent's spend is spread over {@link SPEND_SHARDS} documents; a message's shard is a hash of its
 * ledger id. A shard holds, per local day and month, the money already spent (added in the same
 * batch that creates the ledger row, so it is exactly the sum of the rows) and the development
 * messages counted, plus one entry per message in flight: its hold (the worst case), stamped by the
 * server with the time its write committed (`at`).
 *
 * Admission is a blind write, then a read: the message writes its hold to its shard, then reads all
 * shards and is admitted when the spend of the window, plus every open hold ordered up to and
 * including its own (by commit time, then id), stays within the limit. A refused message deletes its
 * hold. A settle deletes the hold and adds the real cost to spent in one write, so a hold turns into
 * its cost atomically, inside one document, and a reader never sees both or neither.
 *
 * Why no interleaving overspends: let m be the admitted message whose hold is ordered last among all
 * admitted messages of a window. m read after its own hold committed, so it saw every hold that
 * committed before it (a read after a commit sees all earlier commits), and therefore every other
 * admitted message: each one was either still holding (counted among m's predecessors at its worst
 * case) or settled (counted in spent at its real cost, which the usage bound keeps at most its
 * worst case). m was admitted, so all of them together fit the limit; no admitted message comes
 * after m. Holds of refused messages ordered before m only made m's sum larger.
 *
 * Why what fits is not refused: a message is refused only for the holds ordered before it. In a
 * burst the messages that fit are admitted in commit order until the next one would pass the limit,
 * so the limit is used to within one message's worst case. (A refused hold ordered before a later
 * message still counts against it until it is deleted, milliseconds later; under a flood that may
 * refuse slightly more than needed, never less.)
 *
 * Holds of requests that died expire (`expiresAt`, set past the function timeout) and stop counting;
 * the sweeper deletes them. Development messages are counted, not held in money: the day's counter
 * includes the message from its hold on, and a released one is given back.
 */
import { assertMicros } from "../base/money";
import { shardOf } from "../base/shard-of";

/**
 * The window keys of a scope counted over its whole life (a credit grant's, domain/credits.ts): a
 * valid day in its month before any real one, which the sweeper never prunes.
 */
export const LIFETIME_DAY = "0000-01-01";
export const LIFETIME_MONTH = "0000-01";

/**
 * Shards of an agent's spend. Each message writes its shard twice (hold, settle); Firestore sustains
 * about one write per second on a document, so 16 shards absorb about 8 messages a second
 * sustained, and bursts far above it. Admission reads all 16 in one round trip.
 */
export const SPEND_SHARDS = 16;

/** The windows a message belongs to, in the agent's timezone. */
export interface SpendWindowKeys {
  /** Local day `YYYY-MM-DD`. */
  day: string;
  /** Local month `YYYY-MM`. */
  month: string;
}

/** Production is billed and limited in money; development is free and capped in messages. */
export type SpendMode = "production" | "development";

/** One message in flight, as its shard stores it. */
export interface HoldEntry {
  day: string;
  month: string;
  mode: SpendMode;
  /** Worst-case cost held against the limits (0 for development). */
  amountMicros: number;
  /** When the hold's write committed, in microseconds since the epoch (the server's timestamp). */
  atMicros: number;
  /** Epoch ms after which the hold no longer counts: its request is long dead. */
  expiresAt: number;
}

/** One spend shard, as the store reads it. */
export interface SpendShard {
  days: Record<string, { spentMicros: number; devMessages: number }>;
  months: Record<string, { spentMicros: number }>;
  holds: Record<string, HoldEntry>;
}

/** The limits that apply to a production message; null or absent means no limit. */
export interface SpendLimits {
  dailyMicros?: number | null;
  monthlyMicros?: number | null;
}

/** What a message asks to be admitted with. */
export interface AdmissionRequest {
  reservationId: string;
  mode: SpendMode;
  amountMicros: number;
  limits: SpendLimits;
  devDailyMessageCap: number;
  windows: SpendWindowKeys;
  now: number;
}

/** Which limit refused a message. */
export type RefusalReason = "daily-limit" | "monthly-limit" | "dev-daily-cap";

/**
 * `limit` and `used` are micros for the money limits and messages for the development cap; `used`
 * counts what is spent plus what is held ahead of the message.
 */
export type AdmissionOutcome = { ok: true } | { ok: false; reason: RefusalReason; limit: number; used: number };

/** Figures of the current windows, as getBillingInfo reports them. */
export interface SpendUsage {
  daySpentMicros: number;
  dayReservedMicros: number;
  monthSpentMicros: number;
  monthReservedMicros: number;
  devMessagesToday: number;
}

const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH_KEY = /^\d{4}-\d{2}$/;

/** Throws unless the keys are a `YYYY-MM-DD` day inside a `YYYY-MM` month. */
export function checkWindows(windows: SpendWindowKeys): SpendWindowKeys {
  if (!DAY_KEY.test(windows.day) || !MONTH_KEY.test(windows.month) || !windows.day.startsWith(`${windows.month}-`)) {
    throw new RangeError(`spend windows must be a YYYY-MM-DD day in its YYYY-MM month, got ${JSON.stringify(windows)}`);
  }
  return windows;
}

/** The shard of a message: FNV-1a of its ledger id, so a retry lands on the same shard. */
export function spendShardOf(reservationId: string, shards: number = SPEND_SHARDS): number {
  return shardOf(reservationId, shards);
}

interface OrderedHold extends HoldEntry {
  id: string;
}

/** Open holds of every shard, in commit order (ties broken by id, so every reader agrees). */
function orderedHolds(shards: readonly SpendShard[]): OrderedHold[] {
  const all = shards.flatMap((s) => Object.entries(s.holds).map(([id, h]) => ({ ...h, id })));
  return all.sort((a, b) => a.atMicros - b.atMicros || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

function spentOf(shards: readonly SpendShard[], windows: SpendWindowKeys) {
  return {
    day: sum(shards.map((s) => s.days[windows.day]?.spentMicros ?? 0)),
    month: sum(shards.map((s) => s.months[windows.month]?.spentMicros ?? 0)),
    devMessages: sum(shards.map((s) => s.days[windows.day]?.devMessages ?? 0)),
  };
}

/** A money limit: 0 refuses every billable message; otherwise used (own hold included) must fit. */
const overLimit = (limit: number | null | undefined, used: number) =>
  limit !== null && limit !== undefined && (limit === 0 || used > limit);

function checkRequest(req: AdmissionRequest): void {
  checkWindows(req.windows);
  assertMicros(req.amountMicros, "amountMicros");
  if (req.limits.dailyMicros != null) assertMicros(req.limits.dailyMicros, "limits.dailyMicros");
  if (req.limits.monthlyMicros != null) assertMicros(req.limits.monthlyMicros, "limits.monthlyMicros");
  if (!Number.isSafeInteger(req.devDailyMessageCap) || req.devDailyMessageCap < 0) {
    throw new RangeError(`devDailyMessageCap must be a non-negative integer, got ${req.devDailyMessageCap}`);
  }
}

/**
 * Decides a message whose hold is already written, from all shards read after that write. Throws
 * when the message's own hold is not among them (it must be: the read came after the write).
 */
export function decideAdmission(shards: readonly SpendShard[], req: AdmissionRequest): AdmissionOutcome {
  checkRequest(req);
  const holds = orderedHolds(shards);
  const own = holds.findIndex((h) => h.id === req.reservationId);
  if (own < 0) throw new Error(`hold ${req.reservationId} is not in the shards read after it was written`);
  const ahead = holds.slice(0, own + 1);
  const spent = spentOf(shards, req.windows);
  if (req.mode === "development") {
    const devHolds = holds.filter((h) => h.mode === "development" && h.day === req.windows.day);
    const settled = spent.devMessages - devHolds.length;
    const used = settled + ahead.filter((h) => h.mode === "development" && h.day === req.windows.day).length;
    return used > req.devDailyMessageCap
      ? { ok: false, reason: "dev-daily-cap", limit: req.devDailyMessageCap, used: used - 1 }
      : { ok: true };
  }
  const live = ahead.filter((h) => h.mode === "production" && h.expiresAt > req.now);
  const dayUsed = spent.day + sum(live.filter((h) => h.day === req.windows.day).map((h) => h.amountMicros));
  if (overLimit(req.limits.dailyMicros, dayUsed)) {
    return { ok: false, reason: "daily-limit", limit: req.limits.dailyMicros as number, used: dayUsed - req.amountMicros };
  }
  const monthUsed = spent.month + sum(live.filter((h) => h.month === req.windows.month).map((h) => h.amountMicros));
  if (overLimit(req.limits.monthlyMicros, monthUsed)) {
    return { ok: false, reason: "monthly-limit", limit: req.limits.monthlyMicros as number, used: monthUsed - req.amountMicros };
  }
  return { ok: true };
}

/** Spent, held and development figures of the given windows (holds expired at `now` not counted). */
export function windowUsage(shards: readonly SpendShard[], windows: SpendWindowKeys, now: number): SpendUsage {
  checkWindows(windows);
  const spent = spentOf(shards, windows);
  const live = orderedHolds(shards).filter((h) => h.mode === "production" && h.expiresAt > now);
  return {
    daySpentMicros: spent.day,
    dayReservedMicros: sum(live.filter((h) => h.day === windows.day).map((h) => h.amountMicros)),
    monthSpentMicros: spent.month,
    monthReservedMicros: sum(live.filter((h) => h.month === windows.month).map((h) => h.amountMicros)),
    devMessagesToday: spent.devMessages,
  };
}

/**
 * What a sweep of one shard removes: expired holds, and windows older than the day and month
 * before the current ones (kept a little longer so a timezone change or a late settle still finds
 * them; keys compare as strings because they are zero-padded dates). The lifetime window
 * ({@link LIFETIME_DAY}, {@link LIFETIME_MONTH}: a credit grant's) is never removed.
 */
export function sweepPlan(shard: SpendShard, current: SpendWindowKeys, now: number): { holds: string[]; days: string[]; months: string[] } {
  const previousDay = new Date(Date.parse(`${current.day}T00:00:00Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
  const [y, m] = current.month.split("-").map(Number);
  const previousMonth = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7);
  return {
    holds: Object.entries(shard.holds)
      .filter(([, h]) => h.expiresAt <= now)
      .map(([id]) => id),
    days: Object.keys(shard.days).filter((d) => d < previousDay && d !== LIFETIME_DAY),
    months: Object.keys(shard.months).filter((mo) => mo < previousMonth && mo !== LIFETIME_MONTH),
  };
}

/** The earliest expiry among a shard's holds (epoch ms), or null when none is open. */
export function nextExpiry(shard: SpendShard): number | null {
  const times = Object.values(shard.holds).map((h) => h.expiresAt);
  return times.length ? Math.min(...times) : null;
}
