/**
 * The callables the owner's web console needs beyond the original ones: pausing and resuming an
 * agent (the rules keep `status` backend-only), quoting the worst case of the next message (the
 * figure its hold would reserve), and listing the agent's raised alerts (DESIGN.md "More surface").
 */
import { z } from "zod";
import { countUpTo, idSchema, testModeSchema, type TestMode } from "./common";
import type { LimitWindow } from "./billing-info";
import { MAX_COMPLETION_TOKENS, MAX_MESSAGE_CHARS } from "./send-message";

/** An agent's status: a paused agent takes no new message. */
export const agentStatusSchema = z.enum(["active", "paused"], { error: 'must be "active" or "paused"' });
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export const setAgentStatusRequestSchema = z.strictObject({ agentId: idSchema, status: agentStatusSchema });
export type SetAgentStatusRequest = z.infer<typeof setAgentStatusRequestSchema>;

export interface SetAgentStatusResponse {
  agentId: string;
  status: AgentStatus;
  /** The status before the call (equal to `status` when nothing changed). */
  previousStatus: AgentStatus;
}

export const quoteMessageRequestSchema = z.strictObject({
  agentId: idSchema,
  /** The message about to be sent; its prompt tokens are counted as sendMessage counts them. Empty: the bare prompt. */
  message: z
    .string({ error: "must be a string" })
    .max(MAX_MESSAGE_CHARS, { error: `must be at most ${MAX_MESSAGE_CHARS} characters` })
    .optional(),
  maxTokens: countUpTo(MAX_COMPLETION_TOKENS).optional(),
  testMode: testModeSchema.optional(),
});
export type QuoteMessageRequest = z.infer<typeof quoteMessageRequestSchema>;

/** A model's prices in integer micro-USD per million tokens. */
export interface PriceView {
  inputMicrosPerMTok: number;
  cachedInputMicrosPerMTok: number;
  outputMicrosPerMTok: number;
}

/**
 * What the next message would hold: its worst case priced exactly as sendMessage's hold prices it
 * (the counted prompt plus a tenth, `maxTokens`, the model's or the agent's own price), and what is
 * left of the agent's limits now. `worstCaseMicros` is null when the model has no price: production
 * refuses such a message (`failed-precondition`).
 */
export interface QuoteMessageResponse {
  agentId: string;
  model: string;
  status: AgentStatus;
  testMode: TestMode;
  /** Null when neither the price book nor the agent prices the model. */
  price: PriceView | null;
  priceVersion: string | null;
  /** Prompt tokens counted locally (system prompt and message, with the chat format's overhead). */
  promptTokens: number;
  /** The most the message may be billed for, in tokens (domain/usage-bounds.ts). */
  bound: { promptTokens: number; completionTokens: number };
  /** The worst-case cost of the message in production; null when unpriced. */
  worstCaseMicros: number | null;
  /** What a production message would hold: the worst case (0 in development, which is free). */
  holdMicros: number;
  timezone: string;
  daily: LimitWindow;
  monthly: LimitWindow;
  /** Whether a production message with this worst case fits the limits left now. */
  fits: boolean;
}

/** Longest page of alerts. */
export const MAX_ALERTS_PAGE = 100;
export const DEFAULT_ALERTS_PAGE = 20;

export const listBillingAlertsRequestSchema = z.strictObject({
  agentId: idSchema.optional(),
  pageSize: countUpTo(MAX_ALERTS_PAGE).optional(),
  pageToken: z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be empty" })
    .max(512, { error: "is not a token issued by this backend" })
    .optional(),
});
export type ListBillingAlertsRequest = z.infer<typeof listBillingAlertsRequestSchema>;

/** A raised alert as the owner sees it (delivery state and figures included, never a recipient address). */
export interface AlertItem {
  alertId: string;
  agentId: string;
  kind: string;
  window: string;
  /** ISO-8601. */
  createdAt: string | null;
  figures: Record<string, unknown>;
  delivery: { mail: string; webhook: string } | null;
}

export interface ListBillingAlertsResponse {
  items: AlertItem[];
  nextPageToken: string | null;
}
