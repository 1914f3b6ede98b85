/**
 * `POST /v1/chat/completions`: the OpenAI request parsed (400 and nothing written when it is bad),
 * mapped onto the metering pipeline, and answered as a `chat.completion` or a stream of
 * `chat.completion.chunk` events.
 *
 * Mapping: the client's messages are sent as given after the agent's system prompt (`developer`
 * as `system`); the row records the last user message. The conversation is one per key and end
 * user (`user`); the messageId is derived from the `Idempotency-Key` header (a retry with the same
 * key replays the stored completion, billed once), else fresh. The request's `model` is not used:
 * the agent answers with its own model, which the response names. Sampling parameters are not
 * forwarded.
 */
import { DEFAULT_COMPLETION_TOKENS } from "../../contract/send-message";
import { chatCompletionRequestSchema, textOf, type ChatCompletionRequest } from "../../contract/agent-api";
import { apiConversationId, apiMessageId } from "../../domain/api-keys";
import { ledgerId } from "../../domain/ids";
import type { LedgerRow } from "../../domain/ledger";
import {
  chunkBody,
  completionBody,
  errorBody,
  finalChunkBody,
  finishReasonOf,
  sseEvent,
  SSE_DONE,
  type CompletionHead,
  type WireBilling,
} from "../../domain/openai-wire";
import type { ChatTurn } from "../../domain/tokens";
import { describeIssue } from "../../validation";
import { meterMessage, type MeteredRequest, type Metered } from "../send-message";
import { apiSender, authenticate } from "./auth";
import { logUnexpected } from "../../logs";
import { apiErrorOf, invalidRequest, isUnexpectedApiError } from "./errors";
import type { AgentApiDeps, ApiRequest, ApiResponse } from "./index";

/** The longest Idempotency-Key accepted. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

/** Parses the body: the first problem becomes a 400 naming its field (`param`). */
export function parseCompletionRequest(body: unknown): ChatCompletionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object (Content-Type: application/json).", null);
  }
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const path = parsed.error.issues[0]?.path ?? [];
  throw invalidRequest(describeIssue(parsed.error), path.length ? path.join(".") : null);
}

/** The client's chat as the agent receives it (after the agent's system prompt). */
export const chatTurnsOf = (req: ChatCompletionRequest): ChatTurn[] =>
  req.messages.map((m) => ({ role: m.role === "developer" ? "system" : m.role, content: textOf(m.content) }));

function idempotencyKeyOf(req: ApiRequest): string | undefined {
  const key = req.header("idempotency-key");
  if (key === undefined) return undefined;
  if (!key.trim() || key.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    throw invalidRequest(`Idempotency-Key: must be 1-${MAX_IDEMPOTENCY_KEY_CHARS} characters.`, "Idempotency-Key");
  }
  return key;
}

const billingOf = (row: LedgerRow, id: string, replayed: boolean): WireBilling => ({
  cost_micros: row.costMicros,
  ledger_id: id,
  replayed,
  usage_source: row.usageSource,
  price_version: row.priceVersion,
  partial: row.partial === true,
});

const billingHeaders = (b: WireBilling): Record<string, string> => ({
  "x-billing-cost-micros": String(b.cost_micros),
  "x-billing-ledger-id": b.ledger_id,
  "x-billing-replayed": String(b.replayed),
});

/** Handles one completion request. */
export async function handleChatCompletion(deps: AgentApiDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const db = deps.meter.db;
  const key = await authenticate(db, deps.keys, req.header("authorization"));
  const body = parseCompletionRequest(req.body);
  const idempotencyKey = idempotencyKeyOf(req);
  const now = deps.meter.now();
  const sender = apiSender(db, deps.keys, key, body.user, now);
  const turns = chatTurnsOf(body);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_COMPLETION_TOKENS;
  const metered: MeteredRequest = {
    agentId: key.agentId,
    conversationId: apiConversationId(key.keyId, sender.api?.endUserHash),
    message: [...turns].reverse().find((t) => t.role === "user")!.content,
    testMode: "production",
    messageId: idempotencyKey === undefined ? deps.meter.newMessageId() : apiMessageId(idempotencyKey),
    maxTokens,
    chat: turns,
  };
  const id = ledgerId(metered.agentId, metered.conversationId, metered.messageId!);
  const replayedKeyCheck = async (m: Metered) => {
    // A replay reads no counters, so the key is read afresh: a revoked key gets no stored answer either.
    if (m.replayed) await authenticate(db, deps.keys, req.header("authorization"), { fresh: true });
    return m;
  };
  if (!body.stream) {
    const m = await replayedKeyCheck(await meterMessage(deps.meter, sender, metered));
    const billing = billingOf(m.row, id, m.replayed);
    const head = { id: `chatcmpl-${m.row.messageId}`, created: Math.floor(Date.parse(m.row.timestamp) / 1000), model: m.row.model };
    const finish = finishReasonOf(m.row.tokens.completion, maxTokens);
    return res.json(200, billingHeaders(billing), completionBody(head, m.row.agentResponse, finish, m.row.tokens, billing));
  }
  await streamCompletion(
    deps,
    res,
    { sender, metered, id, maxTokens, now, includeUsage: body.stream_options?.include_usage === true },
    replayedKeyCheck,
  );
}

interface StreamPlan {
  sender: ReturnType<typeof apiSender>;
  metered: MeteredRequest;
  id: string;
  maxTokens: number;
  now: number;
  includeUsage: boolean;
}

/**
 * Streams a completion: the status and headers go out with the first delta (so a refusal before
 * the agent is called is still a plain 4xx), each delta as a chunk, then the finishing chunk, the
 * last chunk with the usage (when asked) and the bill, and `[DONE]`. A failure after the stream
 * started is sent as an error event.
 */
async function streamCompletion(deps: AgentApiDeps, res: ApiResponse, plan: StreamPlan, check: (m: Metered) => Promise<Metered>) {
  let head: CompletionHead | null = null;
  const start = (model: string, created: number) => {
    head = { id: `chatcmpl-${plan.metered.messageId}`, created, model };
    res.startStream({ "x-billing-ledger-id": plan.id });
    res.write(sseEvent(chunkBody(head, { role: "assistant", content: "" }, null, plan.includeUsage)));
    return head;
  };
  try {
    const m = await check(
      await meterMessage(deps.meter, plan.sender, plan.metered, (delta, model) => {
        const h = head ?? start(model, Math.floor(plan.now / 1000));
        res.write(sseEvent(chunkBody(h, { content: delta }, null, plan.includeUsage)));
      }),
    );
    const row = m.row;
    const h: CompletionHead = head ?? start(row.model, Math.floor(Date.parse(row.timestamp) / 1000));
    // A replay (or an answer with no text) sent nothing yet: its stored text goes as one chunk.
    if (m.replayed && row.agentResponse) res.write(sseEvent(chunkBody(h, { content: row.agentResponse }, null, plan.includeUsage)));
    res.write(sseEvent(chunkBody(h, {}, finishReasonOf(row.tokens.completion, plan.maxTokens), plan.includeUsage)));
    res.write(sseEvent(finalChunkBody(h, plan.includeUsage ? row.tokens : null, billingOf(row, plan.id, m.replayed))));
    res.write(SSE_DONE);
    res.end();
  } catch (err) {
    if (!head) throw err;
    if (isUnexpectedApiError(err)) logUnexpected("agentApi", err);
    res.write(sseEvent(errorBody(apiErrorOf(err).wire)));
    res.end();
  }
}
