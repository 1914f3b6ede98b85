/**
 * sendMessage: claim the message, call the agent, price the usage, write one ledger row.
 * Exactly one row per (agent, conversation, messageId): retries replay the stored result and
 * concurrent duplicates wait for the one request that holds the claim.
 */
import type { SendMessageRequest, SendMessageResponse, SessionFigures } from "../contract/send-message";
import { DEFAULT_COMPLETION_TOKENS } from "../contract/send-message";
import { AgentFailure, type AgentReply } from "../agent/agent-client";
import { isSafeModelName, ledgerId, sessionId } from "../domain/ids";
import { LEDGER_WRITER, rowTokens, type LedgerRow } from "../domain/ledger";
import { signRow } from "../domain/ledger-signature";
import { microsToUsd } from "../base/money";
import { localDay } from "../base/periods";
import { costMicros, DEFAULT_MODEL, resolvePrice } from "../domain/pricing";
import { countChatTokens, countTextTokens, type ChatTurn } from "../domain/tokens";
import { hasUsage, normalizeUsage, type TokenUsage } from "../domain/usage";
import { failedPrecondition, unavailable } from "../errors";
import { agentTimezone, loadOwnedAgent } from "../store/agents";
import * as ledger from "../store/ledger";
import { readSessionFigures } from "../store/sessions";
import { failureIds, type Prepared, type SendMessageDeps } from "./send-message-context";
import { claimOrReplay, persistRow, releasingClaimOnError } from "./send-message-ledger";
import { holdSpend, releaseHold, settleHold, type Hold } from "./send-message-spend";

export type { SendMessageDeps } from "./send-message-context";

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
  // Counted once a new message is claimed: refused and replayed requests do not use up the limit.
  const hold = await releasingClaimOnError(deps, p, async () => {
    await deps.userLimits?.(req.testMode);
    return holdSpend(deps, p);
  });
  // Read before the row exists, so it cannot already include this message; awaited at the end.
  const sessionBefore = readSessionFigures(deps.db, sessionId(req.agentId, req.conversationId));
  sessionBefore.catch(() => undefined);
  const reply = await callAgent(deps, p, hold, onDelta);
  const row = buildRow(deps, p, reply);
  try {
    await persistRow(deps, p, row);
  } finally {
    await settleHold(deps, p, hold, row.costMicros);
  }
  return toResponse(row, false, addRow(await sessionBefore, row));
}

async function prepare(deps: SendMessageDeps, uid: string, req: SendMessageRequest): Promise<Prepared> {
  const agent = await loadOwnedAgent(deps.db, req.agentId, uid);
  if (agent.status === "paused") throw failedPrecondition(`Agent "${req.agentId}" is paused.`);
  const model = agent.model || DEFAULT_MODEL;
  if (!isSafeModelName(model)) throw failedPrecondition(`Agent "${req.agentId}" names no valid model.`);
  // An agent's own price is bound to the model it was set for: changing the model drops it.
  const price = resolvePrice(model, agent.pricing?.model === model ? agent.pricing : null);
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

type Reply = AgentReply & { messages: ChatTurn[] };

/**
 * Calls the agent. A failure before any text reached the caller bills nothing; a stream that broke
 * after text was delivered is billed for what was delivered (counted locally), never free.
 */
async function callAgent(deps: SendMessageDeps, p: Prepared, hold: Hold | null, onDelta?: (delta: string) => unknown): Promise<Reply> {
  try {
    const reply = await deps.agent.complete({ model: p.model, messages: p.messages, maxTokens: p.maxTokens, onDelta });
    return { ...reply, messages: p.messages };
  } catch (err) {
    const failure = err instanceof AgentFailure ? err : undefined;
    const reason = failure?.message ?? "agent call failed";
    const partial = failure?.partialText ?? "";
    await ledger.recordFailure(deps.db, { ...failureIds(p), stage: "agent-call", reason, charged: partial.length > 0 }, deps.now());
    if (partial) return { text: partial, usage: null, latencyMs: failure?.latencyMs ?? 0, messages: p.messages };
    await releaseHold(deps, p, hold);
    await ledger.releaseClaim(deps.db, p.id);
    throw unavailable(`The agent service failed (${reason}); nothing was billed.`);
  }
}

/** Provider usage when the agent reported it, else counted locally with the model's tokenizer. */
function measureUsage(reply: Reply, model: string): { usage: TokenUsage; source: LedgerRow["usageSource"] } {
  if (reply.usage && hasUsage(reply.usage)) return { usage: normalizeUsage(reply.usage), source: "provider" };
  const prompt = countChatTokens(reply.messages, model);
  const completion = countTextTokens(reply.text, model);
  return { usage: { prompt, completion, total: prompt + completion, cached: 0 }, source: "estimated" };
}

function buildRow(deps: SendMessageDeps, p: Prepared, reply: Reply): LedgerRow {
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
