/** What the parts of sendMessage share: its dependencies (and their one factory) and the prepared message. */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import type { AgentClient } from "../../agent/agent-client";
import { CLAIM_TTL_MS } from "../../config";
import type { SendMessageRequest } from "../../contract/send-message";
import type { SpendWindowKeys } from "../../domain/admission";
import type { RowPrice } from "../../domain/ledger-row";
import type { RateLimits } from "../../domain/rate-limit";
import type { ChatTurn } from "../../domain/tokens";
import type { UsageBound } from "../../domain/usage-bounds";
import { AgentCache, type AgentDoc } from "../../store/agents";
import type { BillingFailure } from "../../store/ledger";

/** The caller's own limits, counted for every new message (the params RATE_LIMIT_* and DEV_DAILY_USER_MESSAGE_CAP). */
export interface UserLimits extends RateLimits {
  /** Development (free) messages one user may send per UTC day, across all their agents. */
  devDailyUserCap: number;
}

export interface SendMessageDeps {
  db: Firestore;
  agent: AgentClient;
  signingKey: string;
  now: () => number;
  newMessageId: () => string;
  /** A claim older than this belongs to a request that died; longer than the function timeout. */
  claimTtlMs: number;
  /** How long a duplicate waits for the request holding the claim; shorter than the function timeout. */
  claimWaitMs: number;
  /** Development messages an agent may send per local day. */
  devDailyMessageCap: number;
  /** The caller's own limits; null for none (in-process tests and the bench, which are not rate limited). */
  userLimits: UserLimits | null;
  /** Waits between retries and while a duplicate waits for the claim. */
  sleep: (ms: number) => Promise<void>;
  /** The agents this instance read last: each copy is checked by a read beside the claim (index.ts). */
  agents: AgentCache;
}

/** One cache per instance: every sendMessage of the instance shares it. */
const INSTANCE_AGENTS = new AgentCache();

/**
 * The dependencies of sendMessage: the required ones, then the defaults, then `overrides`. The
 * limits are required rather than defaulted, so their figures have one home (the params, which
 * only the trigger reads).
 */
export function sendMessageDeps(
  required: Pick<SendMessageDeps, "db" | "agent" | "signingKey" | "devDailyMessageCap" | "userLimits">,
  overrides: Partial<SendMessageDeps> = {},
): SendMessageDeps {
  return {
    now: Date.now,
    newMessageId: randomUUID,
    claimTtlMs: CLAIM_TTL_MS,
    claimWaitMs: 90_000,
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    agents: INSTANCE_AGENTS,
    ...required,
    ...overrides,
  };
}

/** A validated request with everything looked up that the call needs. */
export interface PreparedMessage {
  req: SendMessageRequest;
  uid: string;
  agent: AgentDoc;
  model: string;
  price: RowPrice | null;
  messageId: string;
  /** The ledger id: the unit of idempotency. */
  id: string;
  messages: ChatTurn[];
  maxTokens: number;
  /** When the message was admitted (epoch ms): the row's instant, so its local day is the day it was held in. */
  at: number;
  /** The agent's timezone in effect at `at`. */
  timezone: string;
  /** The local day and month of `at`: the spend windows it is held in and the row's `localDay`. */
  windows: SpendWindowKeys;
  /** The most it may be billed for: the bound its worst case is held at (domain/usage-bounds.ts). */
  bound: UsageBound;
}

/** The ids of a failure record of this message. */
export const failureIds = (
  message: PreparedMessage,
): Pick<BillingFailure, "ledgerId" | "agentId" | "userId" | "messageId" | "conversationId"> => ({
  ledgerId: message.id,
  agentId: message.req.agentId,
  userId: message.uid,
  messageId: message.messageId,
  conversationId: message.req.conversationId,
});
