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
import { localDay } from "../domain/periods";
import { costMicros, DEFAULT_MODEL, resolvePrice, type ModelPrice } from "../domain/pricing";
import { countChatTokens, countTextTokens, type ChatTurn } from "../domain/tokens";
import { hasUsage, normalizeUsage, type TokenUsage } from "../domain/usage";
import { BillingError, failedPrecondition, invalidArgument, unavailable } from "../errors";
import { logFailure } from "../logs";
import { agentTimezone, loadOwnedAgent, type AgentDoc } from "../store/agents";
import * as ledger from "../store/ledger";
import { readSessionFigures } from "../store/sessions";

export interface SendMessageDeps {
  db: Firestore;
  agent: AgentClient;
  signingKey: string;
  now: () => number;
  newMessageId: () => string;
  /** A claim older than this belongs to a request that died; longer than the function timeout. */
  claimTtlMs: number;
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
}

/** Handles one sendMessage call for the signed-in `uid`; `onDelta` receives streamed text. */
export async function handleSendMessage(
  deps: SendMessageDeps,
  uid: string,
  req: SendMessageRequest,
  onDelta?: (delta: string) => unknown,
): Promise<SendMessageResponse> {
  const p = await prepare(deps, uid, req);
  const prior = await claimOrReplay(deps, p);
  if (prior) return toResponse(prior, true, await readSessionFigures(deps.db, prior.sessionId));
  const sessionBefore = readSessionFigures(deps.db, sessionId(req.agentId, req.conversationId));
  const reply = await callAgent(deps, p, onDelta);
  const row = buildRow(deps, p, reply);
  await persistRow(deps, p.id, row);
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
  return { req, uid, agent, model, price, messageId, id: ledgerId(req.agentId, req.conversationId, messageId) };
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

async function callAgent(deps: SendMessageDeps, p: Prepared, onDelta?: (delta: string) => unknown): Promise<AgentReply & { messages: ChatTurn[] }> {
  const messages: ChatTurn[] = [];
  if (p.agent.systemPrompt) messages.push({ role: "system", content: p.agent.systemPrompt });
  messages.push({ role: "user", content: p.req.message });
  try {
    const reply = await deps.agent.complete({ model: p.model, messages, maxTokens: p.req.maxTokens ?? DEFAULT_COMPLETION_TOKENS, onDelta });
    return { ...reply, messages };
  } catch (err) {
    const reason = err instanceof AgentFailure ? err.message : "agent call failed";
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
