/**
 * sendMessage: claim the message, call the agent, price the usage, write one ledger row.
 * Exactly one row per (agent, conversation, messageId): retries replay the stored result and
 * concurrent duplicates wait for the one request that holds the claim.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { SendMessageRequest, SendMessageResponse, SessionFigures } from "../contract/send-message";
import { DEFAULT_COMPLETION_TOKENS } from "../contract/send-message";
import { AgentFailure, type AgentClient, type AgentReply } from "../agent/agent-client";
import { ledgerId, sessionId } from "../domain/ids";
import { LEDGER_WRITER, rowTokens, type LedgerRow } from "../domain/ledger";
import { signRow } from "../domain/ledger-signature";
import { microsToUsd } from "../domain/money";
import { localDay, localMonth } from "../domain/periods";
import { costMicros, DEFAULT_MODEL, resolvePrice, worstCaseCostMicros, type ModelPrice } from "../domain/pricing";
import { countChatTokens, countTextTokens, type ChatTurn } from "../domain/tokens";
import { hasUsage, normalizeUsage, type TokenUsage } from "../domain/usage";
import { BillingError, failedPrecondition, invalidArgument, resourceExhausted, unavailable } from "../errors";
import { logFailure } from "../logs";
import { agentTimezone, loadOwnedAgent, type AgentDoc } from "../store/agents";
import * as ledger from "../store/ledger";
import { readSessionFigures } from "../store/sessions";
import { releaseSpend, reserveSpend, settleSpend, type SpendWindowKeys } from "../store/spend";

export interface SendMessageDeps {
  db: Firestore;
  agent: AgentClient;
  signingKey: string;
  now: () => number;
  newMessageId: () => string;
  /** A claim older than this belongs to a request that died; longer than the function timeout. */
  claimTtlMs: number;
  /** Development messages an agent may send per local day. */
  devDailyMessageCap: number;
  /** Counts the caller's call against their rate limit; throws resource-exhausted when over. */
  rateLimit?: () => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
}

interface Prepared {
  req: SendMessageRequest;
  uid: string;
  agent: AgentDoc;
  model: string;
  price: { price: ModelPrice; priceVersion: string } | null;
  messageId: string;
  id: string;
  messages: ChatTurn[];
  maxTokens: number;
}

/** What a message holds against the agent's spend windows while the agent runs. */
interface Hold {
  windows: SpendWindowKeys;
  reservedMicros: number;
}

/** Handles one sendMessage call for the signed-in `uid`; `onDelta` receives streamed text. */
export async function handleSendMessage(
  deps: SendMessageDeps,
  uid: string,
  req: SendMessageRequest,
  onDelta?: (delta: string) => unknown,
): Promise<SendMessageResponse> {
  const p = await prepare(deps, uid, req);
  await deps.rateLimit?.();
  const prior = await claimOrReplay(deps, p);
  if (prior) return toResponse(prior, true, await readSessionFigures(deps.db, prior.sessionId));
  const hold = await reserve(deps, p);
  const sessionBefore = readSessionFigures(deps.db, sessionId(req.agentId, req.conversationId));
  const reply = await callAgent(deps, p, hold, onDelta);
  const row = buildRow(deps, p, reply);
  try {
    await persistRow(deps, p.id, row);
  } finally {
    if (hold) await settleSpend(deps.db, { ...spendIds(p, hold), actualMicros: row.costMicros });
  }
  return toResponse(row, false, addRow(await sessionBefore, row));
}

async function prepare(deps: SendMessageDeps, uid: string, req: SendMessageRequest): Promise<Prepared> {
  const agent = await loadOwnedAgent(deps.db, req.agentId, uid);
  if (agent.status === "paused") throw failedPrecondition(`Agent "${req.agentId}" is paused.`);
  const model = agent.model || DEFAULT_MODEL;
  const price = resolvePrice(model, agent.pricing);
  if (!price && req.testMode === "production") {
    throw failedPrecondition(`Model "${model}" has no price, so production messages cannot be billed.`);
  }
  const messageId = req.messageId ?? deps.newMessageId();
  const messages: ChatTurn[] = [];
  if (agent.systemPrompt) messages.push({ role: "system", content: agent.systemPrompt });
  messages.push({ role: "user", content: req.message });
  const maxTokens = req.maxTokens ?? DEFAULT_COMPLETION_TOKENS;
  return { req, uid, agent, model, price, messageId, id: ledgerId(req.agentId, req.conversationId, messageId), messages, maxTokens };
}

const spendIds = (p: Prepared, hold: Hold) => ({
  agentId: p.req.agentId,
  reservationId: p.id,
  mode: p.req.testMode,
  windows: hold.windows,
  reservedMicros: hold.reservedMicros,
});

/**
 * Holds the worst case of a production message against the agent's limits (and counts a
 * development message against the free cap) before the agent is called. Production messages of
 * an agent without limits skip this: nothing to enforce, and no transaction on the hot path.
 */
async function reserve(deps: SendMessageDeps, p: Prepared): Promise<Hold | null> {
  const billing = p.agent.billing ?? {};
  const limits = { dailyMicros: billing.dailyLimitMicros ?? null, monthlyMicros: billing.monthlyLimitMicros ?? null };
  const production = p.req.testMode === "production";
  if (production && limits.dailyMicros === null && limits.monthlyMicros === null) return null;
  const now = deps.now();
  const tz = agentTimezone(p.agent);
  const windows = { day: localDay(now, tz), month: localMonth(now, tz) };
  const promptTokens = countChatTokens(p.messages, p.model);
  const amountMicros = production && p.price ? worstCaseCostMicros(promptTokens, p.maxTokens, p.price.price) : 0;
  const outcome = await reserveSpend(deps.db, {
    agentId: p.req.agentId,
    reservationId: p.id,
    mode: p.req.testMode,
    amountMicros,
    limits,
    devDailyMessageCap: deps.devDailyMessageCap,
    windows,
    now,
    ttlMs: deps.claimTtlMs,
  });
  if (outcome.ok) return { windows, reservedMicros: amountMicros };
  await ledger.releaseClaim(deps.db, p.id);
  const what = { "daily-limit": "daily spending limit", "monthly-limit": "monthly spending limit", "dev-daily-cap": "daily development message cap" }[outcome.reason];
  throw resourceExhausted(`This message would exceed the agent's ${what}; the agent was not called.`, { ...outcome });
}

/** Claims the message, or returns its stored row (waiting while another request holds the claim). */
async function claimOrReplay(deps: SendMessageDeps, p: Prepared): Promise<LedgerRow | null> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const giveUpAt = deps.now() + deps.claimTtlMs;
  for (;;) {
    const at = deps.now();
    if (await ledger.claimMessage(deps.db, p.id, { userId: p.uid, agentId: p.req.agentId, at })) return null;
    const row = await ledger.getLedgerRow(deps.db, p.id);
    if (row) return sameRequest(row, p.req);
    const claimedAt = await ledger.claimTime(deps.db, p.id);
    if (claimedAt === null) continue;
    if (claimedAt < at - deps.claimTtlMs && (await ledger.takeOverStaleClaim(deps.db, p.id, at - deps.claimTtlMs, at))) return null;
    if (at > giveUpAt) throw unavailable("This message is still being processed; retry with the same messageId.");
    await sleep(200);
  }
}

/** A messageId is an idempotency key: reusing it for another message is a caller error. */
function sameRequest(row: LedgerRow, req: SendMessageRequest): LedgerRow {
  if (row.userMessage !== req.message || row.mode !== req.testMode) {
    throw invalidArgument(`messageId: "${row.messageId}" was already used for a different message.`);
  }
  return row;
}

async function callAgent(deps: SendMessageDeps, p: Prepared, hold: Hold | null, onDelta?: (delta: string) => unknown): Promise<AgentReply & { messages: ChatTurn[] }> {
  try {
    const reply = await deps.agent.complete({ model: p.model, messages: p.messages, maxTokens: p.maxTokens, onDelta });
    return { ...reply, messages: p.messages };
  } catch (err) {
    const reason = err instanceof AgentFailure ? err.message : "agent call failed";
    if (hold) await releaseSpend(deps.db, spendIds(p, hold));
    await ledger.releaseClaim(deps.db, p.id);
    await ledger.recordFailure(deps.db, { ...failureIds(p), stage: "agent-call", reason, charged: false }, deps.now());
    throw unavailable(`The agent service failed (${reason}); nothing was billed.`);
  }
}

const failureIds = (p: Prepared) => ({
  ledgerId: p.id,
  agentId: p.req.agentId,
  userId: p.uid,
  messageId: p.messageId,
  conversationId: p.req.conversationId,
});

/** Provider usage when the agent reported it, else counted locally with the model's tokenizer. */
function measureUsage(reply: AgentReply & { messages: ChatTurn[] }, model: string): { usage: TokenUsage; source: LedgerRow["usageSource"] } {
  if (reply.usage && hasUsage(reply.usage)) return { usage: normalizeUsage(reply.usage), source: "provider" };
  const prompt = countChatTokens(reply.messages, model);
  const completion = countTextTokens(reply.text, model);
  return { usage: { prompt, completion, total: prompt + completion, cached: 0 }, source: "estimated" };
}

function buildRow(deps: SendMessageDeps, p: Prepared, reply: AgentReply & { messages: ChatTurn[] }): LedgerRow {
  const { usage, source } = measureUsage(reply, p.model);
  const listCost = p.price ? costMicros(usage, p.price.price) : 0;
  const production = p.req.testMode === "production";
  const now = deps.now();
  const charged = production ? listCost : 0;
  const unsigned: Omit<LedgerRow, "sig"> = {
    agentId: p.req.agentId,
    conversationId: p.req.conversationId,
    userMessage: p.req.message,
    agentResponse: reply.text,
    tokens: rowTokens(usage),
    cost: microsToUsd(charged),
    timestamp: new Date(now).toISOString(),
    billable: production,
    testMode: !production,
    userId: p.uid,
    messageId: p.messageId,
    sessionId: sessionId(p.req.agentId, p.req.conversationId),
    mode: p.req.testMode,
    model: p.model,
    costMicros: charged,
    shadowCostMicros: listCost,
    usageSource: source,
    priceVersion: p.price?.priceVersion ?? "unpriced",
    localDay: localDay(now, agentTimezone(p.agent)),
    latencyMs: reply.latencyMs,
    writer: LEDGER_WRITER,
  };
  return { ...unsigned, sig: signRow(unsigned, deps.signingKey) };
}

const LEDGER_WRITE_ATTEMPTS = 3;

/** Writes the row, retrying; a row that cannot be written is kept in billing_failures to bill later. */
async function persistRow(deps: SendMessageDeps, id: string, row: LedgerRow): Promise<void> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let last: unknown;
  for (let attempt = 1; attempt <= LEDGER_WRITE_ATTEMPTS; attempt++) {
    try {
      return await ledger.writeLedgerRow(deps.db, id, row);
    } catch (err) {
      last = err;
      await sleep(100 * 2 ** attempt);
    }
  }
  const failure: ledger.BillingFailure = {
    ledgerId: id,
    agentId: row.agentId,
    userId: row.userId,
    messageId: row.messageId,
    conversationId: row.conversationId,
    stage: "ledger-write",
    reason: `ledger write failed after ${LEDGER_WRITE_ATTEMPTS} attempts`,
    charged: false,
    usage: row.tokens,
    costMicros: row.costMicros,
    row,
  };
  logFailure("ledger-write", failure, last);
  await ledger.recordFailure(deps.db, failure, deps.now());
  throw new BillingError("internal", "The message could not be recorded.");
}

function addRow(before: SessionFigures, row: LedgerRow): SessionFigures {
  return {
    messageCount: before.messageCount + 1,
    totalTokens: before.totalTokens + row.tokens.total,
    totalCostMicros: before.totalCostMicros + row.costMicros,
  };
}

/** The callable's answer for a stored or new row. */
export function toResponse(row: LedgerRow, replayed: boolean, session: SessionFigures): SendMessageResponse {
  return {
    messageId: row.messageId,
    conversationId: row.conversationId,
    response: row.agentResponse,
    tokens: { ...row.tokens },
    cost: row.cost,
    costMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
    billable: row.billable,
    testMode: row.mode,
    model: row.model,
    usageSource: row.usageSource,
    priceVersion: row.priceVersion,
    replayed,
    session,
  };
}
