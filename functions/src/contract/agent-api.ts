/**
 * The agent API's contract: the owner's callables for its keys and end users (DESIGN.md "More
 * surface"), and the OpenAI-compatible chat-completions request the `agentApi` HTTP function
 * accepts. Money in requests is USD (converted exactly to micros); in responses, micros.
 */
import { z } from "zod";
import { isWellFormedText } from "../base/text";
import { checkRange, realDaySchema } from "./analytics";
import { countUpTo, idSchema } from "./common";
import { MAX_COMPLETION_TOKENS, MAX_MESSAGE_CHARS } from "./send-message";
import { usdAmount } from "./settings";

/** A key id: the public part of a key (`ak_<keyId>_<secret>`, domain/api-keys.ts). */
export const keyIdSchema = z.string({ error: "must be a string" }).regex(/^[a-z0-9]{20}$/, { error: "must be a key id (20 of a-z, 0-9)" });

const text = (max: number) =>
  z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` })
    .refine(isWellFormedText, { error: "must be well-formed Unicode text (it has a lone UTF-16 surrogate)" });

export const createAgentApiKeyRequestSchema = z.strictObject({
  agentId: idSchema,
  name: text(100),
  /** The key's own daily limit (the agent's local day), on top of the agent's limits. */
  dailyLimitUsd: usdAmount.nullable().optional(),
  /** The daily limit of each end user (the requests' `user`) through this key. */
  endUserDailyLimitUsd: usdAmount.nullable().optional(),
});
export type CreateAgentApiKeyRequest = z.output<typeof createAgentApiKeyRequestSchema>;

/** A key as its owner sees it: never its secret nor its hash. Times are ISO-8601. */
export interface AgentApiKeyView {
  keyId: string;
  agentId: string;
  name: string;
  /** How the key starts (`ak_<keyId>_`), to tell keys apart. */
  prefix: string;
  dailyLimitMicros: number | null;
  endUserDailyLimitMicros: number | null;
  createdAt: string;
  /** When it was last used, to within about a minute; null when never. */
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A new key: `key` is shown this once; the backend keeps only its hash. */
export interface CreateAgentApiKeyResponse extends AgentApiKeyView {
  key: string;
}

export const revokeAgentApiKeyRequestSchema = z.strictObject({ agentId: idSchema, keyId: keyIdSchema });
export type RevokeAgentApiKeyRequest = z.infer<typeof revokeAgentApiKeyRequestSchema>;
export interface RevokeAgentApiKeyResponse {
  revoked: true;
  revokedAt: string;
}

export const listAgentApiKeysRequestSchema = z.strictObject({ agentId: idSchema });
export interface ListAgentApiKeysResponse {
  /** Every key of the agent, revoked ones included, newest first (at most 100). */
  items: AgentApiKeyView[];
}

/** Longest range of getEndUserUsage, in days. */
export const MAX_END_USER_DAYS = 366;

export const endUserUsageRequestSchema = z
  .strictObject({ agentId: idSchema, from: realDaySchema.optional(), to: realDaySchema.optional() })
  .superRefine(checkRange(MAX_END_USER_DAYS));
export type EndUserUsageRequest = z.infer<typeof endUserUsageRequestSchema>;

/** One end user's figures over the range (billable usage: agent API messages are production). */
export interface EndUserUsageItem {
  endUser: string;
  endUserHash: string;
  messages: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costMicros: number;
}

export interface EndUserUsageResponse {
  agentId: string;
  /** The agent's local days of the range. */
  from: string;
  to: string;
  /** End users by cost, dearest first. */
  items: EndUserUsageItem[];
  totals: { endUsers: number; messages: number; costMicros: number };
  documentsRead: number;
  /** True when the range held more end-user days than one answer reads: the figures are partial. */
  truncated: boolean;
}

// ---- The OpenAI-compatible request ------------------------------------------------------------

/** At most this many messages in one chat, and characters over all of them. */
export const MAX_CHAT_MESSAGES = 256;
export const MAX_CHAT_CHARS = 4 * MAX_MESSAGE_CHARS;

const textPart = z.object({ type: z.literal("text", { error: 'only "text" parts are supported' }), text: z.string() });

const content = z.union([z.string(), z.array(textPart).min(1, { error: "must not be empty" })], {
  error: "must be a string or an array of text parts",
});

const chatMessage = z.object({
  role: z.enum(["system", "developer", "user", "assistant"], { error: 'must be "system", "developer", "user" or "assistant"' }),
  content,
});

/** Present and not empty: a feature the agent API does not offer. */
const unsupported = (what: string) =>
  z
    .unknown()
    .optional()
    .refine((v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0), { error: `${what} are not supported` });

/**
 * The chat-completions body: the fields the agent API reads are checked; sampling parameters
 * (temperature, top_p, stop, seed...) are accepted and not forwarded (the agent decides); tools
 * and several choices are refused.
 */
export const chatCompletionRequestSchema = z
  .object({
    model: z.string({ error: "must be a string" }).max(200, { error: "must be at most 200 characters" }).optional(),
    messages: z
      .array(chatMessage)
      .min(1, { error: "must not be empty" })
      .max(MAX_CHAT_MESSAGES, {
        error: `must have at most ${MAX_CHAT_MESSAGES} messages`,
      }),
    max_tokens: countUpTo(MAX_COMPLETION_TOKENS).nullable().optional(),
    max_completion_tokens: countUpTo(MAX_COMPLETION_TOKENS).nullable().optional(),
    stream: z.boolean({ error: "must be a boolean" }).nullable().optional(),
    stream_options: z
      .object({ include_usage: z.boolean({ error: "must be a boolean" }).optional() })
      .nullable()
      .optional(),
    user: text(256).optional(),
    n: z.literal(1, { error: "only 1 choice is supported" }).nullable().optional(),
    tools: unsupported("tools"),
    functions: unsupported("functions"),
  })
  .superRefine((body, ctx) => {
    const chars = body.messages.reduce((n, m) => n + textOf(m.content).length, 0);
    if (chars > MAX_CHAT_CHARS)
      ctx.addIssue({ code: "custom", path: ["messages"], message: `must hold at most ${MAX_CHAT_CHARS} characters in all` });
    body.messages.forEach((m, i) => {
      if (!isWellFormedText(textOf(m.content))) {
        ctx.addIssue({ code: "custom", path: ["messages", i, "content"], message: "must be well-formed Unicode text" });
      }
    });
    if (!body.messages.some((m) => m.role === "user"))
      ctx.addIssue({ code: "custom", path: ["messages"], message: "must hold a user message" });
  });
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** The text of a message's content: a string, or its text parts joined. */
export function textOf(content: string | { text: string }[]): string {
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}
