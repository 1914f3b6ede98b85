/**
 * getAccountOverview: every agent of the caller at once, over a range of UTC days (default: this
 * month to date). It reads one account document per day (at most 366) and the shards of the days
 * not yet folded (16 each: normally today's and, until noon UTC, yesterday's), the documents of the
 * ranked agents (at most 50) and one session aggregation (one read per 1,000 sessions): bounded by
 * the range, never by the number of agents or ledger rows.
 */
import type { Firestore } from "firebase-admin/firestore";
import {
  MAX_ACCOUNT_DAYS,
  MAX_INSIGHTS,
  MAX_RANKED_AGENTS,
  type AccountOverviewRequest,
  type AccountOverviewResponse,
} from "../contract/account";
import { buildAccountOverview, agentTotals } from "../domain/account";
import { PRICE_BOOK } from "../domain/pricing";
import { dayStartMillis, daysInRange, localDay } from "../base/periods";
import { invalidArgument } from "../errors";
import { aggregateSessions, readAccountDays, readAgentInfos } from "../store/account";

const MS_PER_DAY = 86_400_000;

/**
 * The range asked for with its defaults: `to` today (UTC), `from` the first of `to`'s month.
 *
 * @throws BillingError invalid-argument for a `from` after today with no `to`, or a range longer than MAX_ACCOUNT_DAYS.
 */
export function accountRange(req: AccountOverviewRequest, now: number): { from: string; to: string; today: string } {
  const today = localDay(now, "UTC");
  if (req.from !== undefined && req.to === undefined && req.from > today) {
    throw invalidArgument(`from: must not be after today (${today}, UTC) when to is not given`);
  }
  const to = req.to ?? today;
  const from = req.from ?? `${to.slice(0, 8)}01`;
  const days = ((dayStartMillis(to) ?? 0) - (dayStartMillis(from) ?? 0)) / MS_PER_DAY + 1;
  if (days > MAX_ACCOUNT_DAYS) {
    throw invalidArgument(`from: the range to ${to} must span at most ${MAX_ACCOUNT_DAYS} days, got ${days}`);
  }
  return { from, to, today };
}

export async function handleAccountOverview(
  db: Firestore,
  uid: string,
  req: AccountOverviewRequest,
  now: number,
): Promise<AccountOverviewResponse> {
  const { from, to, today } = accountRange(req, now);
  const range = daysInRange(from, to);
  const [read, sessions] = await Promise.all([
    readAccountDays(db, uid, range),
    aggregateSessions(db, uid, dayStartMillis(from)!, dayStartMillis(to)! + MS_PER_DAY),
  ]);
  const ranked = agentTotals(read.days)
    .slice(0, MAX_RANKED_AGENTS)
    .map(([id]) => id);
  const agents = await readAgentInfos(db, uid, ranked);
  return buildAccountOverview({
    from,
    to,
    today,
    days: read.days,
    agents,
    maxRanked: MAX_RANKED_AGENTS,
    maxInsights: MAX_INSIGHTS,
    sessions: sessions.sessions,
    documentsRead: read.documentsRead + sessions.documentsRead + ranked.length,
    book: PRICE_BOOK,
  });
}
