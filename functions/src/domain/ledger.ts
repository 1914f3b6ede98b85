/** The ledger row of one metered message, as stored in `billable_conversations` (built in ledger-row.ts). */
import type { TestMode } from "../contract/common";

export type UsageSource = "provider" | "estimated";

/** Who wrote a row: the rollup counts only rows that carry the backend's mark and signature. */
export const LEDGER_WRITER = "billing-backend";

/** A row of `billable_conversations`, as stored (createdAt is added by the store as a Timestamp). */
export interface LedgerRow {
  agentId: string;
  conversationId: string;
  userMessage: string;
  agentResponse: string;
  tokens: { prompt: number; completion: number; total: number; cached: number };
  /** Display number: costMicros / 1e6. */
  cost: number;
  /** ISO-8601 instant of the exchange (the seed's string timestamp). */
  timestamp: string;
  billable: boolean;
  /** The seed's flag: true for development (free) messages. */
  testMode: boolean;
  userId: string;
  messageId: string;
  sessionId: string;
  mode: TestMode;
  model: string;
  costMicros: number;
  shadowCostMicros: number;
  usageSource: UsageSource;
  priceVersion: string;
  localDay: string;
  latencyMs: number;
  /**
   * Present (true) when the agent's stream broke after text reached the caller: the row bills that
   * text only (counted locally), and the answer is cut short. Not signed: it bills nothing.
   */
  partial?: true;
  /**
   * Present on a message sent through the agent API (handlers/agent-api): the key it was sent
   * with. Billed to the owner (`userId`) all the same; signed.
   */
  apiKeyId?: string;
  /** The request's `user` (the end user it is attributed to), as sent; at most 256 characters. */
  endUser?: string;
  /** The end user's id in document ids (domain/api-keys.ts endUserHashOf); signed. */
  endUserHash?: string;
  /**
   * Present when one of the owner's credit grants paid for the row (burnt down at admission,
   * domain/credits.ts): its `grantId`. Signed when present, so rows without it verify as before.
   */
  creditGrantId?: string;
  /**
   * Present on a message of an agent owned by an organisation (issue #18): the org. Billed to the
   * agent's owner (`userId`) all the same; signed with `senderUid`.
   */
  orgId?: string;
  /**
   * The org member who sent it through sendMessage (the cost allocation's member); absent for the
   * agent API's messages, which its end users send (the org's shared cost). Only with `orgId`.
   */
  senderUid?: string;
  writer: typeof LEDGER_WRITER;
  /** The id of the key that signed the row; absent on rows from before key ids (ledger-signature.ts). */
  kid?: string;
  /** HMAC of the row's billing fields (see ledger-signature.ts). */
  sig: string;
}
