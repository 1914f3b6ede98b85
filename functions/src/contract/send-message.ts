import { z } from "zod";
import { isWellFormedText } from "../base/text";
import { countUpTo, idSchema, testModeSchema, type TestMode, type Tokens } from "./common";

export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_COMPLETION_TOKENS = 4_096;
export const DEFAULT_COMPLETION_TOKENS = 1_024;

export const sendMessageRequestSchema = z.strictObject({
  agentId: idSchema,
  conversationId: idSchema,
  message: z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be empty" })
    .max(MAX_MESSAGE_CHARS, { error: `must be at most ${MAX_MESSAGE_CHARS} characters` })
    .refine(isWellFormedText, { error: "must be well-formed Unicode text (it has a lone UTF-16 surrogate)" }),
  testMode: testModeSchema,
  messageId: idSchema.optional(),
  maxTokens: countUpTo(MAX_COMPLETION_TOKENS).optional(),
});
export type SendMessageRequest = z.infer<typeof sendMessageRequestSchema>;

/**
 * Live figures of the conversation: its session document as rolled up when the message was
 * admitted, plus this message. Earlier messages whose rollup has not landed yet (a second or so
 * behind, more under a burst) and messages of the same conversation answered meanwhile are not in
 * it, so it can undercount, never overcount; a replay returns the session as rolled up now. The
 * exact figures are the session document and `saveBillingSession`, which sums the ledger.
 */
export interface SessionFigures {
  messageCount: number;
  totalTokens: number;
  totalCostMicros: number;
}

export interface SendMessageResponse {
  messageId: string;
  conversationId: string;
  response: string;
  tokens: Tokens;
  /** Display number: costMicros / 1e6. */
  cost: number;
  costMicros: number;
  /** What the message would cost in production; equals costMicros for production messages. */
  shadowCostMicros: number;
  billable: boolean;
  testMode: TestMode;
  model: string;
  usageSource: "provider" | "estimated";
  priceVersion: string;
  /**
   * True when the agent's stream broke after some text reached the caller: `response` is that text,
   * cut short, and the message is billed for it alone (`usageSource: "estimated"`).
   */
  partial: boolean;
  replayed: boolean;
  session: SessionFigures;
}

/** A streamed chunk: a text delta of the agent's answer. */
export interface SendMessageChunk {
  delta: string;
}
