/**
 * Analytics, history and export: request schemas (strict, shared with the client SDK as types) and
 * the shapes of their answers. Days are `YYYY-MM-DD` local days of the agent's timezone; money is
 * integer micro-USD, with `cost`-style display numbers equal to micros / 1e6.
 */
import { z } from "zod";
import { dayStartMillis } from "../base/periods";
import { countUpTo, daySchema, idSchema, type TestMode } from "./common";

/** Longest range getUsageAnalytics accepts, in days (a leap year). */
export const MAX_ANALYTICS_DAYS = 366;
/** The longest export: ten years of days (its JSON report has one series point per day); page longer history by range. */
export const MAX_EXPORT_DAYS = 3_660;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Generous for the tokens this backend issues (~200 characters), small enough to refuse junk. */
export const MAX_PAGE_TOKEN_CHARS = 1_024;

const MS_PER_DAY = 86_400_000;
const dayMillis = dayStartMillis;

/** A `YYYY-MM-DD` that names a real calendar date. */
export const realDaySchema = daySchema.refine((day) => dayMillis(day) !== null, { error: "must be a real calendar date" });

/** Checks `from <= to` (and optionally the range's length); the issue names `to`. */
export function checkRange(maxDays?: number) {
  return (range: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
    if (range.from === undefined || range.to === undefined) return;
    const days = ((dayMillis(range.to) ?? 0) - (dayMillis(range.from) ?? 0)) / MS_PER_DAY + 1;
    if (days < 1) ctx.addIssue({ code: "custom", path: ["to"], message: `must not be before from (${range.from})` });
    else if (maxDays !== undefined && days > maxDays) {
      ctx.addIssue({
        code: "custom",
        path: ["to"],
        message: `the range from ${range.from} must span at most ${maxDays} days, got ${days}`,
      });
    }
  };
}

export const granularitySchema = z.enum(["day", "week", "month"], { error: 'must be "day", "week" or "month"' });
export type Granularity = z.infer<typeof granularitySchema>;

export const usageAnalyticsRequestSchema = z
  .strictObject({ agentId: idSchema, granularity: granularitySchema, from: realDaySchema, to: realDaySchema })
  .superRefine(checkRange(MAX_ANALYTICS_DAYS));
export type UsageAnalyticsRequest = z.infer<typeof usageAnalyticsRequestSchema>;

export const listConversationsRequestSchema = z
  .strictObject({
    agentId: idSchema,
    from: realDaySchema.optional(),
    to: realDaySchema.optional(),
    billable: z.boolean({ error: "must be true or false" }).optional(),
    pageSize: countUpTo(MAX_PAGE_SIZE).optional(),
    pageToken: z
      .string({ error: "must be a string" })
      .min(1, { error: "must not be empty" })
      .max(MAX_PAGE_TOKEN_CHARS, { error: "is not a token issued by this backend" })
      .optional(),
  })
  .superRefine(checkRange());
export type ListConversationsRequest = z.infer<typeof listConversationsRequestSchema>;

export const exportFormatSchema = z.enum(["json", "csv", "ndjson"], { error: 'must be "json", "csv" or "ndjson"' });
export type ExportFormat = z.infer<typeof exportFormatSchema>;

/** Query parameters of exportBillingReport (strings, as they arrive in a URL); at most {@link MAX_EXPORT_DAYS} days. */
export const exportQuerySchema = z
  .strictObject({ agentId: idSchema, from: realDaySchema, to: realDaySchema, format: exportFormatSchema.default("json") })
  .superRefine(checkRange(MAX_EXPORT_DAYS));
export type ExportQuery = z.infer<typeof exportQuerySchema>;

/** What development (free) usage amounted to: it is never billed, `shadowCost` is its list price. */
export interface DevelopmentFigures {
  messages: number;
  totalTokens: number;
  shadowCostMicros: number;
  shadowCost: number;
}

/** Billable (production) usage of a period, with development usage apart. */
export interface UsageFigures {
  messages: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costMicros: number;
  /** Display number: costMicros / 1e6. */
  cost: number;
  development: DevelopmentFigures;
}

/** One model's cost in one period: billed (production) and what development would have cost. */
export interface ModelCost {
  model: string;
  costMicros: number;
  shadowCostMicros: number;
}

/** One period of a series: a day `YYYY-MM-DD`, an ISO week named by its Monday, or a month `YYYY-MM`. */
export interface SeriesPoint extends UsageFigures {
  period: string;
  /** The period's cost by model (models used in the period only, by name); adds up to its cost. */
  byModel: ModelCost[];
}

/** The integer figures of one mode (as the daily buckets hold them). `costMicros` is 0 for development; `shadowCostMicros` is the list price. */
export interface Figures {
  messages: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  costMicros: number;
  shadowCostMicros: number;
}

/** Every figure of one mode, with display numbers (micros / 1e6). */
export interface ModeFigures extends Figures {
  cost: number;
  shadowCost: number;
}

export interface ModelBreakdown {
  model: string;
  production: ModeFigures;
  development: ModeFigures;
}

export interface UsageBreakdown {
  /** Models used in the range, dearest (billed micros) first, then by name. */
  byModel: ModelBreakdown[];
  byMode: Record<TestMode, ModeFigures>;
}

/**
 * Efficiency of billable usage over the range. Money figures are integer micros rounded half up;
 * ratios are plain numbers. Figures whose denominator is zero (no messages, no tokens) are null.
 */
export interface UsageEfficiency {
  costPerMessageMicros: number | null;
  costPerMessage: number | null;
  tokensPerMessage: number | null;
  /** completionTokens / promptTokens. */
  completionPromptRatio: number | null;
  costPer1kTokensMicros: number | null;
  costPer1kTokens: number | null;
  /** What the range's development usage would have cost in production. */
  developmentShadowCostMicros: number;
  developmentShadowCost: number;
}

export interface UsageAnalyticsResponse {
  agentId: string;
  granularity: Granularity;
  from: string;
  to: string;
  timezone: string;
  series: SeriesPoint[];
  totals: UsageFigures;
  breakdown: UsageBreakdown;
  efficiency: UsageEfficiency;
  /** Firestore documents read to answer (the agent and one daily bucket per day), never the ledger. */
  documentsRead: number;
}

/** One ledger row as clients see it (no signature, no internal bookkeeping). */
export interface ConversationItem {
  id: string;
  agentId: string;
  conversationId: string;
  messageId: string;
  sessionId: string;
  userMessage: string;
  agentResponse: string;
  tokens: { prompt: number; completion: number; total: number; cached: number };
  cost: number;
  costMicros: number;
  shadowCostMicros: number;
  billable: boolean;
  mode: TestMode;
  model: string;
  /** ISO-8601 instant of the exchange. */
  timestamp: string;
  localDay: string;
  usageSource: "provider" | "estimated";
  priceVersion: string;
  latencyMs: number;
}

export interface ListConversationsResponse {
  items: ConversationItem[];
  /** Pass back unchanged, with the same filters, for the next page; null on the last page. */
  nextPageToken: string | null;
}
