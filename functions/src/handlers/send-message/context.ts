/** What the parts of sendMessage share: its dependencies (and their one factory) and the prepared message. */
import { randomUUID } from "node:crypto";
import type { DocumentReference, DocumentSnapshot, Firestore, WriteBatch } from "firebase-admin/firestore";
import type { AgentClient } from "../../agent/agent-client";
import { CLAIM_TTL_MS } from "../../config";
import type { SendMessageRequest } from "../../contract/send-message";
import type { SpendWindowKeys } from "../../domain/admission";
import type { RowPrice } from "../../domain/ledger-row";
import type { RateLimits } from "../../domain/rate-limit";
import type { ChatTurn } from "../../domain/tokens";
import type { UsageBound } from "../../domain/usage-bounds";
import type { CreditGrant } from "../../domain/plans";
import { AgentCache, type AgentDoc } from "../../store/agents";
import { AccountCache } from "../../store/billing-accounts";
import { OrgBudgetCache } from "../../store/orgs";
import type { OrgBudgets } from "../../domain/orgs";
import type { BillingError } from "../../errors";
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
  /** The owners' accounts this instance read last (their credit grants), checked by version in the same read as the agents. */
  accounts: AccountCache;
  /** The orgs' budgets this instance read last, checked in the same read (an org agent's messages hold in them). */
  orgs: OrgBudgetCache;
}

/** One cache per instance: every sendMessage of the instance shares it. */
const INSTANCE_AGENTS = new AgentCache();
const INSTANCE_ACCOUNTS = new AccountCache();
const INSTANCE_ORGS = new OrgBudgetCache();

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
    accounts: INSTANCE_ACCOUNTS,
    orgs: INSTANCE_ORGS,
    ...required,
    ...overrides,
  };
}

/**
 * A message to meter: sendMessage's request, or the agent API's with the client's chat
 * (`chat`: the turns after the agent's system prompt; `message`, the last user turn, is what the
 * row records and a retry is compared by).
 */
export type MeteredRequest = SendMessageRequest & { chat?: ChatTurn[] };

/**
 * Who sends a message: sendMessage's signed-in owner, or an agent API key (handlers/agent-api),
 * whose messages are billed to the agent's owner all the same.
 */
export interface Sender {
  /** The agent's owner: billed for the message, and the agent must be theirs. */
  uid: string;
  /** Whose rate limit the message counts against: the owner's uid, or the key's scope. */
  rateKey: string;
  /** A message of the agent API: its key, its end user and their limits. */
  api?: ApiSender;
  /**
   * A message sent with sendMessage to an agent an org owns: the member sending it (billed to the
   * agent's owner, `uid`). Their membership is read again in the admission read (no round trip of
   * its own), and a role that may not send messages refuses the message there.
   */
  member?: { orgId: string; uid: string };
}

/** The agent API's part of a sender. */
export interface ApiSender {
  keyId: string;
  /** The request's `user`, when it named one. */
  endUser?: string;
  endUserHash?: string;
  /** The key's own daily limit (the agent's local day); null for none. */
  keyDailyLimitMicros: number | null;
  /** The daily limit of each end user through this key; null for none. */
  endUserDailyLimitMicros: number | null;
  /**
   * The key, read again in the admission read (no round trip of its own): a key revoked since this
   * instance's copy of it refuses the message there (`check`), before the agent is called.
   */
  confirm: { ref: DocumentReference; check: (snap: DocumentSnapshot) => BillingError | null };
  /** Writes that ride in the claim batch (the key's `lastUsedAt`, now and then). */
  claimWrites?: (batch: WriteBatch) => void;
}

/** sendMessage's sender: the signed-in owner, rate limited as themselves. */
export const ownerSender = (uid: string): Sender => ({ uid, rateKey: uid });

/**
 * Who sends `caller`'s message to `agent`: the caller, or for an org agent sent to with
 * sendMessage, its member `caller` billing the agent's owner (rate limited as themselves).
 */
export const senderFor = (caller: Sender, agent: AgentDoc): Sender =>
  agent.orgId === undefined || caller.api
    ? caller
    : { uid: agent.userId, rateKey: caller.rateKey, member: { orgId: agent.orgId, uid: caller.uid } };

/** An org agent's message: its org, the member who sent it (none for the agent API's), and the org's budgets it is admitted under. */
export interface OrgPart {
  orgId: string;
  senderUid?: string;
  /** This instance's copy of the budgets (none: no budgets); the admission read checks it. */
  budgets: OrgBudgets;
}

/** A validated request with everything looked up that the call needs. */
export interface PreparedMessage {
  req: MeteredRequest;
  sender: Sender;
  /** The agent's owner, billed (the sender's `uid`). */
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
  /**
   * The owner's grants the message holds in (domain/credits.ts creditCandidates: live at `at`, in
   * paying order, at most 3); none for a development message.
   */
  credits: CreditGrant[];
  /** Its org, when an org owns the agent. */
  org: OrgPart | null;
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
