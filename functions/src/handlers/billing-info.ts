/**
 * getBillingInfo: an agent's live billing: its summary (billable totals, development apart), a
 * conversation's session when asked, and its limits with what is left of them.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { BillingLimits, BillingSummary, GetBillingInfoRequest, GetBillingInfoResponse, LimitWindow } from "../contract/billing-info";
import { sessionId } from "../domain/ids";
import { microsToUsd } from "../base/money";
import { localDay, localMonth } from "../base/periods";
import { agentTimezone, loadOwnedAgent, type AgentDoc } from "../store/agents";
import { readSummary, type RollupData } from "../store/rollup-reads";
import { getSession, isoOf, toBillingSession } from "../store/sessions";
import { readSpend } from "../store/spend";

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

function limitWindow(window: string, limit: number | null | undefined, spent: number, reserved: number): LimitWindow {
  const limitMicros = limit ?? null;
  const remainingMicros = limitMicros === null ? null : Math.max(0, limitMicros - spent - reserved);
  return { window, limitMicros, spentMicros: spent, reservedMicros: reserved, remainingMicros };
}

async function limitsOf(db: Firestore, agentId: string, agent: AgentDoc, now: number, devCap: number): Promise<BillingLimits> {
  const timezone = agentTimezone(agent, now);
  const windows = { day: localDay(now, timezone), month: localMonth(now, timezone) };
  const usage = await readSpend(db, agentId, windows, now);
  const billing = agent.billing ?? {};
  return {
    timezone,
    daily: limitWindow(windows.day, billing.dailyLimitMicros, usage.daySpentMicros, usage.dayReservedMicros),
    monthly: limitWindow(windows.month, billing.monthlyLimitMicros, usage.monthSpentMicros, usage.monthReservedMicros),
    dailyAlertMicros: billing.dailyAlertMicros ?? null,
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
  const agent = await loadOwnedAgent(db, req.agentId, uid);
  const [summary, session, limits] = await Promise.all([
    readSummary(db, req.agentId),
    req.conversationId ? getSession(db, sessionId(req.agentId, req.conversationId)) : null,
    limitsOf(db, req.agentId, agent, context.now, context.devDailyMessageCap),
  ]);
  return { summary: toSummary(req.agentId, summary), session: session ? toBillingSession(session) : null, limits };
}
