/**
 * The agent service, called through the `openai` SDK as an OpenAI-compatible chat-completions
 * endpoint. Always streams from the agent (one code path) and asks for usage in the final chunk;
 * deltas are handed to the caller as they arrive. The stream is read to its end even when the
 * caller has gone away, so the tokens the agent produced are known and billed.
 */
import OpenAI from "openai";
import type { ChatTurn } from "../domain/tokens";
import type { ProviderUsage } from "../domain/usage";

export interface AgentRequest {
  model: string;
  messages: ChatTurn[];
  maxTokens: number;
  /** Receives each text delta; may be slow (it is awaited) and may throw (it is then ignored). */
  onDelta?: (delta: string) => unknown;
}

export interface AgentReply {
  text: string;
  /** The provider's usage, or null when it sent none. */
  usage: ProviderUsage | null;
  latencyMs: number;
  /** True when the stream broke after this text was delivered: the answer is cut short. */
  partial?: boolean;
}

/** Why an agent call failed, in words safe to store (no secrets, no response bodies). */
export class AgentFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** Text already handed to the caller before the failure (it was delivered, so it is billed). */
    readonly partialText = "",
    readonly latencyMs = 0,
  ) {
    super(message);
    this.name = "AgentFailure";
  }
}

export interface AgentClient {
  complete(request: AgentRequest): Promise<AgentReply>;
}

export interface AgentClientOptions {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
  now?: () => number;
}

/** An AgentClient over the `openai` SDK. */
export function openAiAgentClient(options: AgentClientOptions): AgentClient {
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    maxRetries: options.maxRetries,
    timeout: options.timeoutMs,
  });
  const now = options.now ?? Date.now;
  return {
    async complete(request) {
      const started = now();
      const deadline = AbortSignal.timeout(options.timeoutMs);
      let text = "";
      try {
        const stream = await client.chat.completions.create(
          {
            model: request.model,
            messages: request.messages,
            max_completion_tokens: request.maxTokens,
            stream: true,
            stream_options: { include_usage: true },
          },
          { signal: deadline },
        );
        let usage: ProviderUsage | null = null;
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta?.content ?? "";
          if (chunk.usage) usage = chunk.usage;
          if (!delta) continue;
          text += delta;
          await Promise.resolve(request.onDelta?.(delta)).catch(() => undefined);
        }
        return { text, usage, latencyMs: now() - started };
      } catch (err) {
        const failure = describeFailure(err, deadline.aborted, options.timeoutMs);
        throw new AgentFailure(failure.message, failure.status, text, now() - started);
      }
    },
  };
}

function describeFailure(err: unknown, timedOut: boolean, timeoutMs: number): AgentFailure {
  if (timedOut || err instanceof OpenAI.APIConnectionTimeoutError) return new AgentFailure(`agent timed out after ${timeoutMs} ms`);
  if (err instanceof OpenAI.APIError && err.status) return new AgentFailure(`agent answered HTTP ${err.status}`, err.status);
  if (err instanceof OpenAI.APIConnectionError) return new AgentFailure("agent unreachable");
  return new AgentFailure(`agent call failed: ${(err as Error)?.name ?? "error"}`);
}
