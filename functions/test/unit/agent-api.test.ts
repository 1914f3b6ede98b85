/**
 * The agent API's pure parts: keys (format, parsing, hash, constant-time check), the chat
 * completions request schema, the wire shapes (completion, chunks, SSE) and the error mapping.
 */
import { createHash } from "node:crypto";
import { chatCompletionRequestSchema, createAgentApiKeyRequestSchema, MAX_CHAT_CHARS } from "../../src/contract/agent-api";
import {
  apiConversationId,
  apiMessageId,
  apiSpendScopes,
  endUserHashOf,
  issueKey,
  parseKey,
  secretHashOf,
  secretMatches,
} from "../../src/domain/api-keys";
import { idSchema } from "../../src/contract/common";
import { buildLedgerRow } from "../../src/domain/ledger-row";
import { rowProblem } from "../../src/domain/ledger-schema";
import { verifyRow } from "../../src/domain/ledger-signature";
import { chunkBody, completionBody, finalChunkBody, finishReasonOf, sseEvent, SSE_DONE } from "../../src/domain/openai-wire";
import { resolvePrice } from "../../src/domain/pricing";
import { apiErrorOf } from "../../src/handlers/agent-api/errors";
import { parseCompletionRequest } from "../../src/handlers/agent-api/completions";
import { BillingError, resourceExhausted, unavailable } from "../../src/errors";

describe("agent API keys", () => {
  it("issues ak_<keyId>_<secret> with 32 random bytes, stored as the secret's SHA-256", () => {
    const issued = issueKey();
    const parsed = parseKey(issued.key)!;
    expect(parsed.keyId).toBe(issued.keyId);
    expect(Buffer.from(parsed.secret, "base64url")).toHaveLength(32);
    expect(issued.secretHash).toBe(createHash("sha256").update(parsed.secret).digest("hex"));
    expect(issued.key).not.toContain(issued.secretHash);
    expect(issueKey().keyId).not.toBe(issued.keyId);
  });

  it("derives the key from injected randomness (tests can pin it)", () => {
    const fixed = (n: number) => Buffer.alloc(n, 7);
    expect(issueKey(fixed)).toEqual(issueKey(fixed));
  });

  it.each([
    "",
    "ak_",
    "sk-abc",
    `ak_${"a".repeat(20)}`,
    `ak_${"a".repeat(20)}_short`,
    `ak_${"A".repeat(20)}_${"b".repeat(43)}`,
    `ak_${"a".repeat(20)}-${"b".repeat(43)}`,
  ])("refuses the malformed key %j", (key) => expect(parseKey(key)).toBeNull());

  it("checks a secret against its hash, and refuses any other", () => {
    const { key, secretHash } = issueKey();
    const { secret } = parseKey(key)!;
    expect(secretMatches(secret, secretHash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`, secretHash)).toBe(false);
    expect(secretMatches(secret, "not hex")).toBe(false);
    expect(secretHashOf(secret)).toBe(secretHash);
  });

  it("names end users by hash (per agent), never by their text, and makes ids that reach document paths", () => {
    const hash = endUserHashOf("agent-1", "alice/../../etc");
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(endUserHashOf("agent-2", "alice/../../etc")).not.toBe(hash);
    expect(idSchema.safeParse(apiConversationId("k".repeat(20), hash)).success).toBe(true);
    expect(idSchema.safeParse(apiConversationId("k".repeat(20), undefined)).success).toBe(true);
    expect(idSchema.safeParse(apiMessageId("any text at all / with : colons")).success).toBe(true);
    expect(apiMessageId("retry-1")).toBe(apiMessageId("retry-1"));
    expect(apiSpendScopes("k".repeat(20), hash)).toEqual([`apikey:${"k".repeat(20)}`, `apikey:${"k".repeat(20)}:${hash}`]);
    expect(apiSpendScopes(undefined, undefined)).toEqual([]);
  });

  it("takes limits in USD as exact micros, and refuses bad names and amounts", () => {
    expect(
      createAgentApiKeyRequestSchema.parse({ agentId: "a", name: "app", dailyLimitUsd: 1.25, endUserDailyLimitUsd: 0.000001 }),
    ).toMatchObject({
      dailyLimitUsd: 1_250_000,
      endUserDailyLimitUsd: 1,
    });
    for (const bad of [
      { agentId: "a", name: "" },
      { agentId: "a", name: "x", dailyLimitUsd: -1 },
      { agentId: "a", name: "x", dailyLimitUsd: 0.0000001 },
    ]) {
      expect(createAgentApiKeyRequestSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe("attributed ledger rows", () => {
  const input = {
    agentId: "agent-1",
    conversationId: "c",
    messageId: "m",
    userId: "owner",
    mode: "production" as const,
    model: "gpt-4",
    userMessage: "hi",
    agentResponse: "hello",
    usage: { prompt: 10, completion: 5, total: 15, cached: 0 },
    usageSource: "provider" as const,
    price: resolvePrice("gpt-4"),
    at: Date.UTC(2026, 0, 5),
    timezone: "UTC",
    latencyMs: 3,
  };

  it("signs the key and the end user, so neither can be changed without the rollup refusing the row", () => {
    const row = buildLedgerRow({ ...input, attribution: { apiKeyId: "k".repeat(20), endUser: "alice" } }, "secret");
    expect(row).toMatchObject({
      userId: "owner",
      apiKeyId: "k".repeat(20),
      endUser: "alice",
      endUserHash: endUserHashOf("agent-1", "alice"),
    });
    expect(rowProblem("agent-1:c:m", row, "secret")).toBeNull();
    expect(verifyRow({ ...row, apiKeyId: "j".repeat(20) }, "secret")).toBe(false);
    const moved = { ...row, endUser: "bob", endUserHash: endUserHashOf("agent-1", "bob") };
    expect(rowProblem("agent-1:c:m", moved, "secret")).toBe("signature does not verify");
    expect(rowProblem("agent-1:c:m", { ...row, endUser: "bob" }, "secret")).toMatch(/does not match its hash/);
  });

  it("signs an org agent's org and sender, so a message cannot be moved to another member or org", () => {
    const row = buildLedgerRow({ ...input, org: { orgId: "org-1", senderUid: "member-1" } }, "secret");
    expect(row).toMatchObject({ userId: "owner", orgId: "org-1", senderUid: "member-1" });
    expect(rowProblem("agent-1:c:m", row, "secret")).toBeNull();
    expect(rowProblem("agent-1:c:m", { ...row, senderUid: "member-2" }, "secret")).toBe("signature does not verify");
    expect(rowProblem("agent-1:c:m", { ...row, orgId: "org-2" }, "secret")).toBe("signature does not verify");
    const { orgId: _org, ...orphan } = row;
    expect(rowProblem("agent-1:c:m", orphan, "secret")).toBe("sender without an organisation");
    // The agent API's messages to an org agent: the org's shared cost, signed without a sender.
    const shared = buildLedgerRow({ ...input, org: { orgId: "org-1" } }, "secret");
    expect(shared.senderUid).toBeUndefined();
    expect(rowProblem("agent-1:c:m", shared, "secret")).toBeNull();
    expect(verifyRow({ ...shared, senderUid: "member-1" }, "secret")).toBe(false);
  });

  it("keeps rows without an attribution signed exactly as before (old rows still verify)", () => {
    const row = buildLedgerRow(input, "secret");
    expect(row.apiKeyId).toBeUndefined();
    expect(rowProblem("agent-1:c:m", row, "secret")).toBeNull();
  });
});

describe("the chat completions request", () => {
  const ok = { model: "gpt-4", messages: [{ role: "user", content: "hi" }] };

  it("accepts the openai SDK's shapes: text parts, developer turns, sampling fields (ignored)", () => {
    const parsed = chatCompletionRequestSchema.parse({
      ...ok,
      messages: [
        { role: "developer", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
        },
      ],
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 50,
      user: "alice",
      tools: [],
    });
    expect(parsed).toMatchObject({ stream: true, max_completion_tokens: 50, user: "alice" });
    expect(parsed).not.toHaveProperty("temperature");
  });

  it.each([
    [{ ...ok, messages: [] }, "messages"],
    [{ ...ok, max_tokens: 0 }, "max_tokens"],
    [{ ...ok, messages: [{ role: "system", content: "only a prompt" }] }, "messages"],
    [{ ...ok, messages: [{ role: "user", content: "x".repeat(MAX_CHAT_CHARS + 1) }] }, "messages"],
    [{ ...ok, messages: [{ role: "user", content: "\uD800" }] }, "messages.0.content"],
    [{ ...ok, tools: [{ type: "function" }] }, "tools"],
    [{ ...ok, stream: "yes" }, "stream"],
  ])("refuses %j naming %s", (body, param) => {
    let caught: unknown;
    try {
      parseCompletionRequest(body);
    } catch (err) {
      caught = err;
    }
    expect(apiErrorOf(caught).wire).toMatchObject({ status: 400, param, type: "invalid_request_error" });
  });

  it("refuses a body that is not a JSON object", () => {
    expect(() => parseCompletionRequest("text")).toThrow(/JSON object/);
  });
});

describe("the wire shapes", () => {
  const head = { id: "chatcmpl-m", created: 1_700_000_000, model: "gpt-4" };
  const usage = { prompt: 10, completion: 5, total: 15, cached: 2 };
  const billing = {
    cost_micros: 600,
    ledger_id: "a:c:m",
    replayed: false,
    usage_source: "provider" as const,
    price_version: "v",
    partial: false,
  };

  it("builds a chat.completion the openai SDK reads, with the bill alongside", () => {
    expect(completionBody(head, "hello", "stop", usage, billing)).toMatchObject({
      id: "chatcmpl-m",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 2 } },
      billing,
    });
    expect(finishReasonOf(20, 20)).toBe("length");
    expect(finishReasonOf(19, 20)).toBe("stop");
  });

  it("streams chunks as server-sent events, usage: null until the last when usage was asked for", () => {
    expect(sseEvent(chunkBody(head, { content: "hi" }, null, true))).toBe(
      `data: ${JSON.stringify({ ...head, object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "hi" }, logprobs: null, finish_reason: null }], system_fingerprint: null, usage: null })}\n\n`,
    );
    expect(chunkBody(head, {}, "stop", false)).not.toHaveProperty("usage");
    expect(finalChunkBody(head, usage, billing)).toMatchObject({ choices: [], usage: { total_tokens: 15 }, billing });
    expect(finalChunkBody(head, null, billing).usage).toBeNull();
    expect(SSE_DONE).toBe("data: [DONE]\n\n");
  });
});

describe("the error mapping", () => {
  it.each([
    ["the rate limit", 429, "rate_limit", resourceExhausted("slow down", { retryAfterMs: 2_500 }), { "retry-after": "3" }],
    [
      "the agent's daily limit",
      429,
      "agent_daily_limit",
      resourceExhausted("x", { scope: "agent", reason: "daily-limit" }),
      { "x-should-retry": "false" },
    ],
    ["the agent's monthly limit", 429, "agent_monthly_limit", resourceExhausted("x", { scope: "agent", reason: "monthly-limit" }), {}],
    ["a key's daily limit", 429, "key_daily_limit", resourceExhausted("x", { scope: "key", reason: "daily-limit" }), {}],
    ["an end user's daily limit", 429, "end_user_daily_limit", resourceExhausted("x", { scope: "end-user", reason: "daily-limit" }), {}],
    ["a revoked key", 401, "invalid_api_key", new BillingError("unauthenticated", "revoked"), {}],
    ["a key whose agent is gone", 401, "invalid_api_key", new BillingError("not-found", "Agent gone"), {}],
    ["a paused agent", 503, "agent_unavailable", new BillingError("failed-precondition", "paused"), {}],
    ["an agent failure", 503, "agent_error", unavailable("agent failed"), {}],
    ["anything unexpected", 500, "internal_error", new Error("a secret detail"), {}],
  ] as const)("%s answers %i %s", (_label, status, code, err, headers) => {
    const mapped = apiErrorOf(err);
    expect(mapped.wire).toMatchObject({ status, code });
    expect(mapped.headers).toMatchObject(headers);
    if (status === 500) expect(mapped.wire.message).toBe("Internal error.");
  });

  it("gives one body for every bad key", () => {
    const bodies = [new BillingError("unauthenticated", "a"), new BillingError("permission-denied", "b")].map((e) =>
      JSON.stringify(apiErrorOf(e).wire),
    );
    expect(new Set(bodies).size).toBe(1);
  });
});
