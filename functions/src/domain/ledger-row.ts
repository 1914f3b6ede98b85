/**
 * The one builder of a ledger row. sendMessage, the seeded demo and bench traffic, and the tests all
 * build rows here, so a row in a test or a benchmark is exactly the row the backend writes.
 */
import { microsToUsd } from "../base/money";
import { localDay } from "../base/periods";
import { wellFormedText } from "../base/text";
import type { TestMode } from "../contract/common";
import { endUserHashOf } from "./api-keys";
import { sessionId } from "./ids";
import { LEDGER_WRITER, type LedgerRow, type UsageSource } from "./ledger";
import { currentKey, signRow } from "./ledger-signature";
import { costMicros, type ModelPrice } from "./pricing";
import type { TokenUsage } from "./usage";

/** The price a row is billed at, as `resolvePrice` gives it. */
export interface RowPrice {
  price: ModelPrice;
  priceVersion: string;
}

/** The `priceVersion` of a development row of a model that has no price. */
export const UNPRICED = "unpriced";

/** Everything that decides a row; the rest (cost, display fields, sessionId, signature) is derived. */
export interface LedgerRowInput {
  agentId: string;
  conversationId: string;
  messageId: string;
  /** The agent's owner, who is billed. */
  userId: string;
  mode: TestMode;
  model: string;
  userMessage: string;
  agentResponse: string;
  /** Normalised usage (`total` is `prompt + completion`, `cached` is part of `prompt`). */
  usage: TokenUsage;
  usageSource: UsageSource;
  /** Null only for a development message of an unpriced model: metered, never billed. */
  price: RowPrice | null;
  /** The instant of the exchange, epoch ms. */
  at: number;
  /** The agent's timezone: the row's `localDay` is the day of `at` there. */
  timezone: string;
  latencyMs: number;
  /** The agent's stream broke after some text: the row is marked `partial`. */
  partial?: boolean;
  /** Who sent it through the agent API: the key, and the end user (`user`) when the request named one. */
  attribution?: Attribution;
  /** The owner's credit grant that pays for a production row (decided at admission); absent: the owner pays. */
  creditGrantId?: string;
  /** The org of an org agent's message, and the member who sent it (absent for the agent API's). */
  org?: { orgId: string; senderUid?: string };
}

/** The key and end user of a message sent through the agent API. */
export interface Attribution {
  apiKeyId: string;
  endUser?: string;
}

/** The row fields of an attribution: the end user's text and its hash, never one without the other. */
const attributionFields = (agentId: string, a: Attribution | undefined) =>
  a === undefined
    ? {}
    : {
        apiKeyId: a.apiKeyId,
        ...(a.endUser === undefined ? {} : { endUser: a.endUser, endUserHash: endUserHashOf(agentId, a.endUser) }),
      };

/**
 * The signed row of one message exchange. Priced exactly (domain/pricing); a development row
 * charges nothing and keeps what it would have cost in `shadowCostMicros`.
 *
 * @throws RangeError for a production row without a price (never billed at $0), and whatever
 *   `costMicros` refuses (token counts or a cost out of range).
 */
export function buildLedgerRow(input: LedgerRowInput, signingKey: string): LedgerRow {
  const production = input.mode === "production";
  if (production && !input.price) throw new RangeError(`model "${input.model}" has no price, so a production row cannot be built`);
  if (!production && input.creditGrantId !== undefined) throw new RangeError("a development row is never paid by a credit grant");
  const tokens = { prompt: input.usage.prompt, completion: input.usage.completion, total: input.usage.total, cached: input.usage.cached };
  const listMicros = input.price ? costMicros(tokens, input.price.price) : 0;
  const chargedMicros = production ? listMicros : 0;
  const unsigned: Omit<LedgerRow, "sig"> = {
    agentId: input.agentId,
    conversationId: input.conversationId,
    // Stored text must be well-formed (base/text.ts): the message is checked at the boundary, the answer is not the caller's.
    userMessage: wellFormedText(input.userMessage),
    agentResponse: wellFormedText(input.agentResponse),
    tokens,
    cost: microsToUsd(chargedMicros),
    timestamp: new Date(input.at).toISOString(),
    billable: production,
    testMode: !production,
    userId: input.userId,
    messageId: input.messageId,
    sessionId: sessionId(input.agentId, input.conversationId),
    mode: input.mode,
    model: input.model,
    costMicros: chargedMicros,
    shadowCostMicros: listMicros,
    usageSource: input.usageSource,
    priceVersion: input.price?.priceVersion ?? UNPRICED,
    localDay: localDay(input.at, input.timezone),
    latencyMs: input.latencyMs,
    ...(input.partial ? { partial: true as const } : {}),
    ...attributionFields(input.agentId, input.attribution),
    ...(input.creditGrantId === undefined ? {} : { creditGrantId: input.creditGrantId }),
    ...(input.org === undefined
      ? {}
      : { orgId: input.org.orgId, ...(input.org.senderUid === undefined ? {} : { senderUid: input.org.senderUid }) }),
    writer: LEDGER_WRITER,
    kid: currentKey(signingKey).kid,
  };
  return { ...unsigned, sig: signRow(unsigned, signingKey) };
}
