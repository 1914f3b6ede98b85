/**
 * getBillingInfo: an agent's live billing: its summary (billable totals, development apart), a
 * conversation's session when asked, and its limits with what is left of them.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { BillingLimits, BillingSummary, GetBillingInfoRequest, GetBillingInfoResponse } from "../contract/billing-info";
import { sessionId } from "../domain/ids";
import { microsToUsd } from "../base/money";
import { loadAgentFor, type AgentDoc } from "../store/agents";
import { readLimitWindows } from "../store/limit-windows";
import { readSummary, type RollupData } from "../store/rollup-reads";
import { getSession, isoOf, toBillingSession } from "../store/sessions";

const SUMMARY_COUNTS = [
  "totalMessages",
  "totalTokens",
  "totalPromptTokens",
  "totalCompletionTokens",
  "totalCachedTokens",
  "totalCostMicros",
  "devMessages",
  "devTokens",
  "devShadowCostMicros",
] as const;

/** The stored summary (main document and shards added up) with its display cost computed exactly from the micros. */
export function toSummary(agentId: string, data: RollupData | undefined): BillingSummary {
  const counts = Object.fromEntries(SUMMARY_COUNTS.map((f) => [f, (data?.[f] as number | undefined) ?? 0])) as Record<
    (typeof SUMMARY_COUNTS)[number],
    number
  >;
  return {
    agentId,
    ...counts,
    totalCost: microsToUsd(counts.totalCostMicros),
    lastActivity: isoOf(data?.lastActivity),
    createdAt: isoOf(data?.createdAt),
    updatedAt: isoOf(data?.updatedAt),
  };
}

async function limitsOf(db: Firestore, agentId: string, agent: AgentDoc, now: number, devCap: number): Promise<BillingLimits> {
  const { timezone, daily, monthly, usage } = await readLimitWindows(db, agentId, agent, now);
  return {
    timezone,
    daily,
    monthly,
    dailyAlertMicros: agent.billing?.dailyAlertMicros ?? null,
    devMessagesToday: usage.devMessagesToday,
    devDailyMessageCap: devCap,
  };
}

export async function handleGetBillingInfo(
  db: Firestore,
  uid: string,
  req: GetBillingInfoRequest,
  context: { now: number; devDailyMessageCap: number },
): Promise<GetBillingInfoResponse> {
  const agent = await loadAgentFor(db, req.agentId, uid, "seeCosts");
  const [summary, session, limits] = await Promise.all([
    readSummary(db, req.agentId),
    req.conversationId ? getSession(db, sessionId(req.agentId, req.conversationId)) : null,
    limitsOf(db, req.agentId, agent, context.now, context.devDailyMessageCap),
  ]);
  return { summary: toSummary(req.agentId, summary), session: session ? toBillingSession(session) : null, limits };
}
