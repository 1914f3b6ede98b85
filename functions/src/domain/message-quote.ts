/**
 * The worst case of a message before it is sent, computed as sendMessage's hold computes it: the
 * chat the agent would receive (system prompt, then the message), its prompt counted with the
 * model's tokenizer (`countChatTokens`), bounded (`usageBound`: the count plus a tenth, and
 * `maxTokens`), and priced at the agent's own price for its model or the price book's
 * (`resolvePrice`) by `worstCaseCostMicros`. The console shows it before production billing starts.
 */
import { DEFAULT_COMPLETION_TOKENS } from "../contract/send-message";
import { DEFAULT_MODEL, resolveAgentPrice, worstCaseCostMicros, type ModelPrice } from "./pricing";
import { countChatTokens, type ChatTurn } from "./tokens";
import { usageBound, type UsageBound } from "./usage-bounds";

/** What the quote needs of an agent. */
export interface QuotedAgent {
  model?: string;
  systemPrompt?: string;
  pricing?: ModelPrice & { model: string };
}

/** A message's worst case; `price` null when the model is unpriced (production refuses it). */
export interface MessageQuote {
  model: string;
  price: ModelPrice | null;
  priceVersion: string | null;
  promptTokens: number;
  bound: UsageBound;
  worstCaseMicros: number | null;
}

/** The chat sendMessage sends the agent for `message` (the same order and roles). */
export function chatOf(agent: QuotedAgent, message: string): ChatTurn[] {
  return apiChatOf(agent, [{ role: "user", content: message }]);
}

/** The chat the agent API sends the agent: the agent's system prompt, then the client's turns as given. */
export function apiChatOf(agent: QuotedAgent, turns: readonly ChatTurn[]): ChatTurn[] {
  return [...(agent.systemPrompt ? [{ role: "system" as const, content: agent.systemPrompt }] : []), ...turns];
}

/** The worst case of sending `message` with `maxTokens` (default: sendMessage's) to `agent`. */
export function quoteMessage(agent: QuotedAgent, message: string, maxTokens: number = DEFAULT_COMPLETION_TOKENS): MessageQuote {
  const model = agent.model || DEFAULT_MODEL;
  const resolved = resolveAgentPrice(model, agent.pricing);
  const promptTokens = countChatTokens(chatOf(agent, message), model);
  const bound = usageBound(promptTokens, maxTokens);
  const worstCaseMicros = resolved ? worstCaseCostMicros(bound.promptTokens, bound.completionTokens, resolved.price) : null;
  return { model, price: resolved?.price ?? null, priceVersion: resolved?.priceVersion ?? null, promptTokens, bound, worstCaseMicros };
}
