/** What the parts of sendMessage share: its dependencies and the prepared request. */
import type { Firestore } from "firebase-admin/firestore";
import type { AgentClient } from "../agent/agent-client";
import type { SendMessageRequest } from "../contract/send-message";
import type { ModelPrice } from "../domain/pricing";
import type { ChatTurn } from "../domain/tokens";
import type { AgentDoc } from "../store/agents";
import type { BillingFailure } from "../store/ledger";

export interface SendMessageDeps {
  db: Firestore;
  agent: AgentClient;
  signingKey: string;
  now: () => number;
  newMessageId: () => string;
  /** A claim older than this belongs to a request that died; longer than the function timeout. */
  claimTtlMs: number;
  /** How long a duplicate waits for the request holding the claim; shorter than the function timeout. */
  claimWaitMs?: number;
  /** Development messages an agent may send per local day. */
  devDailyMessageCap: number;
  /**
   * Counts a new message against the caller's own limits (rate limit; free development cap);
   * throws resource-exhausted when over.
   */
  userLimits?: (mode: SendMessageRequest["testMode"]) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
}

/** A validated request with everything looked up that the call needs. */
export interface Prepared {
  req: SendMessageRequest;
  uid: string;
  agent: AgentDoc;
  model: string;
  price: { price: ModelPrice; priceVersion: string } | null;
  messageId: string;
  /** The ledger id: the unit of idempotency. */
  id: string;
  messages: ChatTurn[];
  maxTokens: number;
}

export const sleeper = (deps: SendMessageDeps) => deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

/** The ids of a failure record of this message. */
export const failureIds = (p: Prepared): Pick<BillingFailure, "ledgerId" | "agentId" | "userId" | "messageId" | "conversationId"> => ({
  ledgerId: p.id,
  agentId: p.req.agentId,
  userId: p.uid,
  messageId: p.messageId,
  conversationId: p.req.conversationId,
});
