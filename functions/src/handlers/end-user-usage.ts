/**
 * getEndUserUsage: an agent's per-end-user totals over a range of its local days (default: this
 * month to date), from the end users' days alone. Bounded: it reads the agent and at most
 * {@link MAX_END_USER_DAYS_READ} end-user days, and says when the range held more (`truncated`).
 */
import type { Firestore } from "firebase-admin/firestore";
import type { EndUserUsageItem, EndUserUsageRequest, EndUserUsageResponse } from "../contract/agent-api";
import { COLLECTIONS } from "../base/collections";
import { localDay } from "../base/periods";
import { addModes, emptyModes, readDayUsage, type ModeTotals } from "../domain/analytics";
import { agentTimezone, loadAgentFor } from "../store/agents";
import { readEndUserDays } from "../store/end-users";

/** The most end-user days one answer reads (one per end user per day with messages). */
export const MAX_END_USER_DAYS_READ = 2_000;

export async function handleEndUserUsage(db: Firestore, uid: string, req: EndUserUsageRequest, now: number): Promise<EndUserUsageResponse> {
  const agent = await loadAgentFor(db, req.agentId, uid, "seeCosts");
  const today = localDay(now, agentTimezone(agent, now));
  const to = req.to ?? today;
  const from = req.from ?? `${to.slice(0, 8)}01`;
  const days = await readEndUserDays(db, { agentId: req.agentId, userId: agent.userId, from, to }, MAX_END_USER_DAYS_READ + 1);
  const truncated = days.length > MAX_END_USER_DAYS_READ;
  const byUser = new Map<string, { endUser: string; endUserHash: string; totals: ModeTotals }>();
  for (const day of days.slice(0, MAX_END_USER_DAYS_READ)) {
    const user = byUser.get(day.endUserHash) ?? { endUser: day.endUser, endUserHash: day.endUserHash, totals: emptyModes() };
    // Validated as every daily bucket is (a corrupt figure throws rather than enter a total), and summed exactly.
    addModes(user.totals, readDayUsage(day.day, day, COLLECTIONS.endUserDaily));
    byUser.set(day.endUserHash, user);
  }
  const items = [...byUser.values()]
    .map(({ endUser, endUserHash, totals: { production: p } }): EndUserUsageItem => ({
      endUser,
      endUserHash,
      messages: p.messages,
      promptTokens: p.promptTokens,
      completionTokens: p.completionTokens,
      totalTokens: p.totalTokens,
      costMicros: p.costMicros,
    }))
    .sort((a, b) => b.costMicros - a.costMicros || (a.endUserHash < b.endUserHash ? -1 : 1));
  const totals = {
    endUsers: items.length,
    messages: items.reduce((n, i) => n + i.messages, 0),
    costMicros: items.reduce((n, i) => n + i.costMicros, 0),
  };
  // + 1: the agent document of the ownership check.
  return { agentId: req.agentId, from, to, items, totals, documentsRead: days.length + 1, truncated };
}
