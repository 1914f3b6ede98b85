/**
 * Local token counting with a real BPE tokenizer (gpt-tokenizer: same tokens as tiktoken).
 * Used when the agent service reports no usage, and by the local agent to report real counts.
 */
import * as cl100k from "gpt-tokenizer/cjs/encoding/cl100k_base";
import * as o200k from "gpt-tokenizer/cjs/encoding/o200k_base";

/** A chat message as the agent receives it. */
export interface ChatTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

type Encoding = { family: typeof cl100k; chatModel: "gpt-4" | "gpt-4o" };

/** GPT-4 / GPT-3.5 families use cl100k_base; newer OpenAI models (and unknown ones) use o200k_base. */
function encodingFor(model: string): Encoding {
  return /^gpt-(3\.5|4)(?!o|\.)/.test(model)
    ? { family: cl100k, chatModel: "gpt-4" }
    : { family: o200k as unknown as typeof cl100k, chatModel: "gpt-4o" };
}

/** Number of tokens in a plain text for the given model's encoding. */
export function countTextTokens(text: string, model: string): number {
  return encodingFor(model).family.encode(text).length;
}

/** Number of prompt tokens of a chat, including the chat format's per-message overhead. */
export function countChatTokens(messages: readonly ChatTurn[], model: string): number {
  const { family, chatModel } = encodingFor(model);
  return family.encodeChat(messages, chatModel).length;
}

/** The longest prefix of `text` that is at most `maxTokens` tokens (whole tokens only). */
export function truncateToTokens(text: string, maxTokens: number, model: string): string {
  const { family } = encodingFor(model);
  const tokens = family.encode(text);
  return tokens.length <= maxTokens ? text : family.decode(tokens.slice(0, maxTokens));
}
