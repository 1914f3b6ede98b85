import { z } from "zod";
import { idSchema, testModeSchema, type TestMode } from "./common";

const count = z.number({ error: "must be a number" }).int({ error: "must be an integer" }).nonnegative({ error: "must not be negative" });

/** The seed's request shape; the client's figures are only compared with the ledger. */
export const saveBillingSessionRequestSchema = z.strictObject({
  agentId: idSchema,
  conversationId: idSchema,
  messages: count.max(1_000_000_000).optional(),
  totalTokens: count.max(Number.MAX_SAFE_INTEGER).optional(),
  totalCost: z.number({ error: "must be a number" }).nonnegative({ error: "must not be negative" }).max(1e9).optional(),
  testMode: testModeSchema,
  endedAt: z.iso.datetime({ error: "must be an ISO-8601 date-time" }).optional(),
});
export type SaveBillingSessionRequest = z.infer<typeof saveBillingSessionRequestSchema>;

/** A conversation's figures as the ledger has them. */
export interface SessionTotals {
  messageCount: number;
  totalTokens: number;
  totalCostMicros: number;
  /** Display number: totalCostMicros / 1e6. */
  totalCost: number;
  shadowCostMicros: number;
}

export interface BillingSession extends SessionTotals {
  sessionId: string;
  agentId: string;
  conversationId: string;
  testMode: TestMode;
  endedAt: string | null;
  createdAt: string | null;
}

export interface SaveBillingSessionResponse {
  session: BillingSession;
  /** Fields where the client's figures differ from the ledger (the ledger wins). */
  mismatches: { field: "messages" | "totalTokens" | "totalCost"; client: number; ledger: number }[];
}
