/**
 * The account view (getAccountOverview): every agent of the caller at once. An account's days are
 * UTC days, whatever its agents' timezones (an agent's own analytics keep its local days), so a
 * range of the account is one stretch of time and its totals are the sums of the ledger rows whose
 * instant falls in it.
 */
import { z } from "zod";
import type { ModelBreakdown } from "./analytics";
import { checkRange, realDaySchema } from "./analytics";

/** Longest range of the overview, in UTC days (a leap year). */
export const MAX_ACCOUNT_DAYS = 366;
/** Agents listed by name, dearest first; the rest are summed in `otherAgents`. */
export const MAX_RANKED_AGENTS = 50;
/** Most insights returned, largest estimated saving first. */
export const MAX_INSIGHTS = 20;

export const accountOverviewRequestSchema = z
  .strictObject({ from: realDaySchema.optional(), to: realDaySchema.optional() })
  .superRefine(checkRange(MAX_ACCOUNT_DAYS));
export type AccountOverviewRequest = z.infer<typeof accountOverviewRequestSchema>;

/** Production (billed) figures with development (free, shadow-priced) apart. */
export interface AccountFigures {
  costMicros: number;
  /** Display number: costMicros / 1e6. */
  cost: number;
  messages: number;
  tokens: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  devMessages: number;
  devTokens: number;
  devShadowCostMicros: number;
}

export interface RankedAgent extends AccountFigures {
  agentId: string;
  /** Null when the agent no longer exists (its usage stays in the totals). */
  name: string | null;
  model: string | null;
  status: "active" | "paused" | null;
  /** The agent's part of the account's production cost, 0..1 (0 when the account cost nothing). */
  costShare: number;
}

/** One UTC day of the account. */
export interface AccountDayPoint {
  day: string;
  costMicros: number;
  messages: number;
  devMessages: number;
  devShadowCostMicros: number;
}

export interface Engagement {
  /** Conversations whose first message falls in the range (any agent, either mode). */
  sessions: number;
  /** Their messages (all of them, also those after the range) per session; null without sessions. */
  messagesPerSession: number | null;
  /** Their mean length, first message to last, in seconds; null without sessions. */
  avgSessionSeconds: number | null;
  sessionsPerDay: number;
  /** Development messages over all messages in the range, 0..1; null without messages. */
  developmentShare: number | null;
}

export type InsightKind = "cheaper-model" | "low-cache-share" | "development-heavy" | "cost-per-message-rising" | "forecast-over-limit";

/** A suggestion from the owner's own figures: what it saw (`figures`) and, where one exists, what it would save in a 30-day month. */
export interface Insight {
  kind: InsightKind;
  agentId?: string;
  message: string;
  figures: Record<string, number | string>;
  estimatedSavingsMicros?: number;
}

export interface AccountOverviewResponse {
  from: string;
  to: string;
  /** Always "UTC": the account's days. */
  timezone: "UTC";
  totals: AccountFigures;
  /** Agents with usage in the range, dearest first (then by development list price, then id), at most MAX_RANKED_AGENTS. */
  agents: RankedAgent[];
  /** The agents with usage beyond the ranked ones, summed. */
  otherAgents: AccountFigures & { agents: number };
  byModel: ModelBreakdown[];
  /** One point per UTC day of the range, empty days included. */
  days: AccountDayPoint[];
  engagement: Engagement;
  insights: Insight[];
  /** Documents the call read (days, open shards, agents, session aggregation): an upper bound on its billed reads. */
  documentsRead: number;
}
