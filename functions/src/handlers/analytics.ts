/**
 * getUsageAnalytics: usage of one agent over a range of its local days, from the daily buckets
 * alone. It reads the agent, one bucket id per day (at most 366) and the shards of the days not yet
 * folded (16 each: normally only today's, see store/fold.ts), never the ledger, so its cost does
 * not grow with traffic.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { UsageAnalyticsRequest, UsageAnalyticsResponse } from "../contract/analytics";
import { buildAnalytics } from "../domain/analytics";
import { daysInRange } from "../base/periods";
import { agentTimezone, loadAgentFor } from "../store/agents";
import { readDailyBuckets } from "../store/daily";

/** Handles one call for the signed-in `uid` (the request is already parsed by its schema). */
export async function handleUsageAnalytics(db: Firestore, uid: string, req: UsageAnalyticsRequest): Promise<UsageAnalyticsResponse> {
  const agent = await loadAgentFor(db, req.agentId, uid, "seeCosts");
  const { usage, documentsRead } = await readDailyBuckets(db, req.agentId, daysInRange(req.from, req.to));
  return {
    agentId: req.agentId,
    granularity: req.granularity,
    from: req.from,
    to: req.to,
    timezone: agentTimezone(agent, Date.now()),
    ...buildAnalytics(usage, req.from, req.to, req.granularity),
    // + 1: the agent document of the ownership check.
    documentsRead: documentsRead + 1,
  };
}
