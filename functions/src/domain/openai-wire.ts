/**
 * OpenAI's wire shapes for the agent API, pure: the chat completion, its streamed chunks (SSE), the
 * model list and the error body, so that `new OpenAI({ baseURL, apiKey })` reads them unchanged.
 * The billing figures ride along as an extra `billing` field (a client that does not know it
 * ignores it), and in headers where headers can still carry them.
 */

/** The usage of one completion, as the ledger row counted it. */
export interface WireUsage {
  prompt: number;
  completion: number;
  total: number;
  cached: number;
}

/** What the response says of the bill: the row's figures. */
export interface WireBilling {
  cost_micros: number;
  ledger_id: string;
  replayed: boolean;
  usage_source: "provider" | "estimated";
  price_version: string;
  /** The agent's stream broke after this text: billed for it alone. */
  partial: boolean;
}

/** What every chunk of one streamed completion, and the completion itself, share. */
export interface CompletionHead {
  /** `chatcmpl-<messageId>`: the same for a replay. */
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

export type FinishReason = "stop" | "length";

/** A completion finished at its token cap says "length", as OpenAI's does. */
export const finishReasonOf = (completionTokens: number, maxTokens: number): FinishReason =>
  completionTokens >= maxTokens ? "length" : "stop";

const usageOf = (u: WireUsage) => ({
  prompt_tokens: u.prompt,
  completion_tokens: u.completion,
  total_tokens: u.total,
  prompt_tokens_details: { cached_tokens: u.cached },
});

/** A whole `chat.completion`. */
export function completionBody(head: CompletionHead, content: string, finish: FinishReason, usage: WireUsage, billing: WireBilling) {
  return {
    ...head,
    object: "chat.completion" as const,
    choices: [{ index: 0, message: { role: "assistant" as const, content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage: usageOf(usage),
    system_fingerprint: null,
    billing,
  };
}

/** One `chat.completion.chunk` with a delta (`usage: null` on every chunk but the last when usage was asked for). */
export function chunkBody(
  head: CompletionHead,
  delta: { role?: "assistant"; content?: string },
  finish: FinishReason | null,
  includeUsage: boolean,
) {
  return {
    ...head,
    object: "chat.completion.chunk" as const,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    system_fingerprint: null,
    ...(includeUsage ? { usage: null } : {}),
  };
}

/**
 * The last chunk of a stream: no choices, the usage when the client asked for it
 * (`stream_options.include_usage`), and always the billing figures, which headers (sent first)
 * cannot carry.
 */
export function finalChunkBody(head: CompletionHead, usage: WireUsage | null, billing: WireBilling) {
  return {
    ...head,
    object: "chat.completion.chunk" as const,
    choices: [],
    system_fingerprint: null,
    usage: usage && usageOf(usage),
    billing,
  };
}

/** One server-sent event carrying `data` as JSON. */
export const sseEvent = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

/** The event that ends a stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** The one model an agent serves, as `GET /v1/models` lists it. */
export const modelObject = (model: string, created: number, agentId: string) => ({
  id: model,
  object: "model" as const,
  created,
  owned_by: `agent:${agentId}`,
});

export const modelListBody = (models: ReturnType<typeof modelObject>[]) => ({ object: "list" as const, data: models });

/** An error as OpenAI sends it. */
export interface WireError {
  status: number;
  message: string;
  type: string;
  code: string;
  param: string | null;
}

export const errorBody = (e: WireError) => ({ error: { message: e.message, type: e.type, param: e.param, code: e.code } });
