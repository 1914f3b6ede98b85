import { z } from "zod";
import { idSchema } from "./common";
import type { BillingSession } from "./sessions";

export const getBillingInfoRequestSchema = z.strictObject({
  agentId: idSchema,
  conversationId: idSchema.optional(),
});
export type GetBillingInfoRequest = z.infer<typeof getBillingInfoRequestSchema>;

/** Billable (production) totals of an agent; development usage apart. */
export interface BillingSummary {
  agentId: string;
  totalMessages: number;
  totalTokens: number;
  totalPromptTokens: number;
  totalCompletionTokens: number;
  totalCachedTokens: number;
  totalCostMicros: number;
  /** Display number: totalCostMicros / 1e6. */
  totalCost: number;
  devMessages: number;
  devTokens: number;
  devShadowCostMicros: number;
  lastActivity: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

/** A spending window: its limit, what is spent and reserved in it, and what is left. */
export interface LimitWindow {
  window: string;
  limitMicros: number | null;
  spentMicros: number;
  reservedMicros: number;
  /** null when there is no limit. */
  remainingMicros: number | null;
}

export interface BillingLimits {
  timezone: string;
  daily: LimitWindow;
  monthly: LimitWindow;
  dailyAlertMicros: number | null;
  devMessagesToday: number;
  devDailyMessageCap: number;
}

export interface GetBillingInfoResponse {
  summary: BillingSummary;
  session: BillingSession | null;
  limits: BillingLimits;
}
