/**
 * How much usage one message may be billed for: the bound its hold was computed with. Provider
 * usage past it (a usage glitch, a provider counting a very different prompt) is billed up to the
 * bound, never silently beyond it, and reported for review: without a bound, one row could bill any
 * amount and pass every limit.
 *
 * - Completion tokens: at most the `maxTokens` the agent was asked for (the local agent and real
 *   models stop there).
 * - Prompt tokens: at most the locally counted prompt plus a tenth (rounded up). The local count uses
 *   OpenAI's tokenizers and chat overhead, so an OpenAI-compatible provider reports the same number;
 *   the tenth covers one whose tokenizer or template counts slightly differently, while keeping the
 *   hold (priced at the bound) close to the real cost.
 * - Cached tokens: at most the bounded prompt.
 *
 * The worst case held against the limits is priced at this bound, so the billed cost of an admitted
 * message never exceeds what it held: the argument of domain/admission.ts needs exactly that.
 */
import type { TokenUsage } from "./usage";

/** The prompt tokens a message may be billed for, given the prompt counted locally. */
export function promptTokenBound(countedPrompt: number): number {
  return countedPrompt + Math.ceil(countedPrompt / 10);
}

/** The most a message may be billed for, in tokens. */
export interface UsageBound {
  promptTokens: number;
  completionTokens: number;
}

/** The bound of a message with this counted prompt and `maxTokens`. */
export const usageBound = (countedPrompt: number, maxTokens: number): UsageBound => ({
  promptTokens: promptTokenBound(countedPrompt),
  completionTokens: maxTokens,
});

/**
 * The usage to bill: `usage` clamped to the bound. `reported` is the provider's usage when it was
 * past the bound (to record for review), else null.
 */
export function boundUsage(usage: TokenUsage, bound: UsageBound): { usage: TokenUsage; reported: TokenUsage | null } {
  const prompt = Math.min(usage.prompt, bound.promptTokens);
  const completion = Math.min(usage.completion, bound.completionTokens);
  const cached = Math.min(usage.cached, prompt);
  const within = prompt === usage.prompt && completion === usage.completion && cached === usage.cached;
  return within ? { usage, reported: null } : { usage: { prompt, completion, total: prompt + completion, cached }, reported: usage };
}
