/**
 * sendMessage over HTTP against the Functions emulator, with the local agent behind it.
 */
import { countChatTokens, countTextTokens } from "../../src/domain/tokens";
import { resolvePrice } from "../../src/domain/pricing";
import type { SendMessageResponse } from "../../src/contract/send-message";
import {
  adminDb,
  agentCompletions,
  call,
  callStreaming,
  countWhere,
  createUser,
  seedAgent,
  waitFor,
  type TestUser,
  functionUrl,
} from "../helpers/emulator";

type Send = SendMessageResponse;
let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  stranger = await createUser("stranger");
  // Warm the Functions emulator's worker so later timings are not a cold start.
  await call("sendMessage", {}, stranger.idToken);
});

// A new owner for every test: the per-user rate limit (30 messages in any 5-second slot) is
// rate-limit.emulator.test.ts's to test. One owner for the whole file sends 32 counted messages,
// and when the file ran inside one slot its last two were refused with resource-exhausted.
beforeEach(async () => {
  owner = await createUser("owner");
});

const promptTokens = (text: string, model = "gpt-4") => countChatTokens([{ role: "user", content: text }], model);
const ledgerRows = (agentId: string) => countWhere("billable_conversations", "agentId", agentId);
const failures = (agentId: string) => countWhere("billing_failures", "agentId", agentId);

describe("pricing and recording", () => {
  it("bills a production message in exact micro-USD and records the ledger row", async () => {
    const agentId = await seedAgent(owner.uid);
    const message = "What is the weather? [[tokens:50]]";
    const res = await call<Send>(
      "sendMessage",
      { agentId, conversationId: "c1", message, testMode: "production", messageId: "m-1" },
      owner.idToken,
    );
    expect(res.error).toBeUndefined();
    const prompt = promptTokens(message);
    const expectedMicros = prompt * 30 + 50 * 60; // gpt-4: $30 and $60 per 1M tokens
    expect(res.result).toMatchObject({
      messageId: "m-1",
      conversationId: "c1",
      tokens: { prompt, completion: 50, total: prompt + 50 },
      costMicros: expectedMicros,
      cost: expectedMicros / 1e6,
      billable: true,
      testMode: "production",
      model: "gpt-4",
      usageSource: "provider",
      priceVersion: resolvePrice("gpt-4")!.priceVersion,
      replayed: false,
      session: { messageCount: 1, totalTokens: prompt + 50, totalCostMicros: expectedMicros },
    });
    const row = (await adminDb().doc(`billable_conversations/${agentId}:c1:m-1`).get()).data()!;
    expect(row).toMatchObject({
      agentId,
      userId: owner.uid,
      conversationId: "c1",
      messageId: "m-1",
      userMessage: message,
      agentResponse: res.result!.response,
      costMicros: expectedMicros,
      shadowCostMicros: expectedMicros,
      billable: true,
      testMode: false,
      mode: "production",
      localDay: new Date().toISOString().slice(0, 10),
    });
    expect(row.createdAt.toDate()).toBeInstanceOf(Date);
  });

  it("records development messages as free, with what they would have cost", async () => {
    const agentId = await seedAgent(owner.uid);
    const message = "Try this for free [[tokens:20]]";
    const res = await call<Send>("sendMessage", { agentId, conversationId: "c1", message, testMode: "development" }, owner.idToken);
    const listPrice = promptTokens(message) * 30 + 20 * 60;
    expect(res.result).toMatchObject({ billable: false, testMode: "development", costMicros: 0, cost: 0, shadowCostMicros: listPrice });
    expect(res.result!.messageId).toMatch(/^[0-9a-f-]{36}$/);
    const row = (await adminDb().doc(`billable_conversations/${agentId}:c1:${res.result!.messageId}`).get()).data()!;
    expect(row).toMatchObject({ billable: false, testMode: true, costMicros: 0, shadowCostMicros: listPrice });
  });

  it("prices cached prompt tokens at the cached rate, never twice", async () => {
    const agentId = await seedAgent(owner.uid, { model: "gpt-4o" });
    const message = "Long shared context [[cached:4]] [[tokens:10]]";
    const res = await call<Send>("sendMessage", { agentId, conversationId: "c1", message, testMode: "production" }, owner.idToken);
    const price = resolvePrice("gpt-4o")!.price;
    const prompt = promptTokens(message, "gpt-4o");
    const numerator = (prompt - 4) * price.inputMicrosPerMTok + 4 * price.cachedInputMicrosPerMTok + 10 * price.outputMicrosPerMTok;
    expect(price.cachedInputMicrosPerMTok).toBeLessThan(price.inputMicrosPerMTok);
    expect(res.result!.tokens).toEqual({ prompt, completion: 10, total: prompt + 10, cached: 4 });
    expect(res.result!.costMicros).toBe(Math.floor((numerator + 500_000) / 1_000_000));
  });

  it("counts tokens locally when the agent reports no usage", async () => {
    const agentId = await seedAgent(owner.uid);
    const message = "No usage please [[no-usage]] [[tokens:12]]";
    const res = await call<Send>("sendMessage", { agentId, conversationId: "c1", message, testMode: "production" }, owner.idToken);
    expect(res.result).toMatchObject({ usageSource: "estimated", tokens: { prompt: promptTokens(message), completion: 12 } });
    expect(res.result!.costMicros).toBe(promptTokens(message) * 30 + 12 * 60);
  });

  it("uses the agent's own price over the price book", async () => {
    const pricing = {
      model: "house-model",
      inputMicrosPerMTok: 1_000_000,
      cachedInputMicrosPerMTok: 1_000_000,
      outputMicrosPerMTok: 2_000_000,
    };
    const agentId = await seedAgent(owner.uid, { model: "house-model", pricing });
    const message = "Custom price [[tokens:3]]";
    const res = await call<Send>("sendMessage", { agentId, conversationId: "c1", message, testMode: "production" }, owner.idToken);
    const prompt = promptTokens(message, "house-model");
    expect(res.result!.costMicros).toBe(prompt * 1 + 3 * 2);
    expect(res.result!.priceVersion).toMatch(/^agent:/);
  });

  it("drops the agent's own price when the agent's model is changed", async () => {
    const pricing = { model: "gpt-4o-mini", inputMicrosPerMTok: 1, cachedInputMicrosPerMTok: 1, outputMicrosPerMTok: 1 };
    const agentId = await seedAgent(owner.uid, { model: "gpt-4", pricing });
    const message = "Swapped model [[tokens:4]]";
    const res = await call<Send>("sendMessage", { agentId, conversationId: "c1", message, testMode: "production" }, owner.idToken);
    expect(res.result!.costMicros).toBe(promptTokens(message) * 30 + 4 * 60);
    expect(res.result!.priceVersion).toBe(resolvePrice("gpt-4")!.priceVersion);
  });

  it("refuses a model name that cannot be a rollup key", async () => {
    const agentId = await seedAgent(owner.uid, { model: "__reserved__" });
    const res = await call("sendMessage", { agentId, conversationId: "c1", message: "hi", testMode: "development" }, owner.idToken);
    expect(res.error?.status).toBe("FAILED_PRECONDITION");
    expect(await ledgerRows(agentId)).toBe(0);
  });

  it("bills the text already streamed when the agent's stream breaks, counted locally", async () => {
    const agentId = await seedAgent(owner.uid);
    const message = "Break midway [[tokens:40]] [[cut:2]]";
    const res = await callStreaming<Send, { delta: string }>(
      "sendMessage",
      { agentId, conversationId: "cut", message, testMode: "production" },
      owner.idToken,
    );
    const delivered = res.chunks.map((c) => c.delta).join("");
    expect(delivered.length).toBeGreaterThan(0);
    expect(res.result).toMatchObject({ response: delivered, usageSource: "estimated", billable: true, partial: true });
    const completion = countTextTokens(delivered, "gpt-4");
    expect(completion).toBeLessThan(40);
    expect(res.result!.costMicros).toBe(promptTokens(message) * 30 + completion * 60);
    const failure = (await adminDb().doc(`billing_failures/${agentId}:cut:${res.result!.messageId}:agent-call`).get()).data();
    expect(failure).toMatchObject({ stage: "agent-call", charged: true });
    // The replay says so too; an answer that was not cut says partial: false.
    const replay = await call<Send>(
      "sendMessage",
      { agentId, conversationId: "cut", message, testMode: "production", messageId: res.result!.messageId },
      owner.idToken,
    );
    expect(replay.result).toMatchObject({ replayed: true, partial: true, response: delivered });
    const whole = await call<Send>(
      "sendMessage",
      { agentId, conversationId: "whole", message: "whole [[tokens:5]]", testMode: "production" },
      owner.idToken,
    );
    expect(whole.result).toMatchObject({ replayed: false, partial: false });
  });
});

describe("streaming", () => {
  it("streams text deltas as chunks and ends with the billed result", async () => {
    const agentId = await seedAgent(owner.uid);
    const message = "Stream this answer to me word by word please";
    const res = await callStreaming<Send, { delta: string }>(
      "sendMessage",
      { agentId, conversationId: "s1", message, testMode: "production" },
      owner.idToken,
    );
    expect(res.error).toBeUndefined();
    expect(res.chunks.length).toBeGreaterThan(1);
    expect(res.chunks.map((c) => c.delta).join("")).toBe(res.result!.response);
    expect(res.result!.costMicros).toBeGreaterThan(0);
    expect(await ledgerRows(agentId)).toBe(1);
  });

  it("still records the message when the caller goes away mid-stream", async () => {
    const agentId = await seedAgent(owner.uid);
    const message = "Slow answer [[sleep:800]] [[tokens:30]]";
    const abort = new AbortController();
    const request = fetch(functionUrl("sendMessage"), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${owner.idToken}` },
      body: JSON.stringify({ data: { agentId, conversationId: "gone", message, testMode: "production", messageId: "gone-1" } }),
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 300);
    await expect(request.then((r) => r.text())).rejects.toThrow();
    const row = await waitFor(
      async () => (await adminDb().doc(`billable_conversations/${agentId}:gone:gone-1`).get()).data(),
      "the ledger row",
    );
    expect(row.tokens).toMatchObject({ prompt: promptTokens(message), completion: 30 });
    expect(row.costMicros).toBe(promptTokens(message) * 30 + 30 * 60);
  });
});

describe("idempotency", () => {
  it("replays a retried message without calling the agent again", async () => {
    const agentId = await seedAgent(owner.uid);
    const request = { agentId, conversationId: "c1", message: "Hello once [[tokens:5]]", testMode: "production", messageId: "retry-1" };
    const first = await call<Send>("sendMessage", request, owner.idToken);
    const before = await agentCompletions();
    const second = await call<Send>("sendMessage", request, owner.idToken);
    expect(await agentCompletions()).toBe(before);
    expect(second.result).toMatchObject({ replayed: true, response: first.result!.response, costMicros: first.result!.costMicros });
    expect(await ledgerRows(agentId)).toBe(1);
  });

  it("calls the agent at most once for concurrent duplicates and writes one row", async () => {
    const agentId = await seedAgent(owner.uid);
    const request = {
      agentId,
      conversationId: "c1",
      message: "Concurrent [[sleep:400]] [[tokens:8]]",
      testMode: "production",
      messageId: "dup-1",
    };
    const before = await agentCompletions();
    const results = await Promise.all(Array.from({ length: 6 }, () => call<Send>("sendMessage", request, owner.idToken)));
    expect(results.map((r) => r.error)).toEqual(Array(6).fill(undefined));
    expect(new Set(results.map((r) => r.result!.response)).size).toBe(1);
    expect(results.filter((r) => !r.result!.replayed)).toHaveLength(1);
    expect((await agentCompletions()) - before).toBe(1);
    expect(await ledgerRows(agentId)).toBe(1);
  });

  it("refuses to reuse a messageId for a different message", async () => {
    const agentId = await seedAgent(owner.uid);
    const base = { agentId, conversationId: "c1", testMode: "production", messageId: "same-id" };
    await call("sendMessage", { ...base, message: "first" }, owner.idToken);
    const res = await call("sendMessage", { ...base, message: "second" }, owner.idToken);
    expect(res.error).toMatchObject({ status: "INVALID_ARGUMENT", message: expect.stringContaining("messageId") });
    expect(await ledgerRows(agentId)).toBe(1);
  });
});

describe("errors write nothing", () => {
  const valid = { conversationId: "c1", message: "hi", testMode: "production" };

  it.each([
    ["no token", undefined, "UNAUTHENTICATED"],
    ["a forged token", "not-a-real-token", "UNAUTHENTICATED"],
  ])("rejects %s", async (_what, token, status) => {
    const agentId = await seedAgent(owner.uid);
    const res = await call("sendMessage", { ...valid, agentId }, token);
    expect(res.error?.status).toBe(status);
    expect(await ledgerRows(agentId)).toBe(0);
  });

  it.each([
    ["a path-like agentId", { agentId: "../x" }, "agentId"],
    ["an unknown field", { extra: 1 }, "extra"],
    ["a missing message", { message: undefined }, "message"],
    ["an empty message", { message: "" }, "message"],
    ["a huge message", { message: "x".repeat(32_001) }, "message"],
    ["a bad testMode", { testMode: "free" }, "testMode"],
    ["a fractional maxTokens", { maxTokens: 1.5 }, "maxTokens"],
    ["a maxTokens over the cap", { maxTokens: 100_000 }, "maxTokens"],
    ["a messageId with a slash", { messageId: "a/b" }, "messageId"],
  ])("answers invalid-argument naming the field for %s", async (_what, patch, field) => {
    const agentId = await seedAgent(owner.uid);
    const res = await call("sendMessage", { ...valid, agentId, ...patch }, owner.idToken);
    expect(res.error?.status).toBe("INVALID_ARGUMENT");
    expect(res.error?.message).toContain(field);
    expect(await ledgerRows(agentId)).toBe(0);
  });

  it("answers not-found for an unknown agent", async () => {
    const res = await call("sendMessage", { ...valid, agentId: "no-such-agent" }, owner.idToken);
    expect(res.error?.status).toBe("NOT_FOUND");
    expect(await ledgerRows("no-such-agent")).toBe(0);
  });

  it("answers permission-denied for someone else's agent, without calling it", async () => {
    const agentId = await seedAgent(owner.uid);
    const before = await agentCompletions();
    const res = await call("sendMessage", { ...valid, agentId }, stranger.idToken);
    expect(res.error?.status).toBe("PERMISSION_DENIED");
    expect(await agentCompletions()).toBe(before);
    expect(await ledgerRows(agentId)).toBe(0);
  });

  it("answers failed-precondition for a paused agent", async () => {
    const agentId = await seedAgent(owner.uid, { status: "paused" });
    const res = await call("sendMessage", { ...valid, agentId }, owner.idToken);
    expect(res.error?.status).toBe("FAILED_PRECONDITION");
    expect(await ledgerRows(agentId)).toBe(0);
  });

  it.each([
    ["paused", { status: "paused" }],
    ["switched to an unpriced model", { model: "mystery-model-9000" }],
    ["switched to a model the rollups cannot key by", { model: "constructor" }],
  ])("replays a billed message after its agent was %s, and refuses a new one", async (_what, change) => {
    const agentId = await seedAgent(owner.uid);
    const first = await call<Send>("sendMessage", { ...valid, agentId, messageId: "before-change" }, owner.idToken);
    expect(first.result?.replayed).toBe(false);
    await adminDb().doc(`alchemist_agents/${agentId}`).update(change);
    const before = await agentCompletions();
    const retry = await call<Send>("sendMessage", { ...valid, agentId, messageId: "before-change" }, owner.idToken);
    // The session figures come from the rollup, which may not have landed yet: the row's are what must match.
    expect({ ...retry.result, session: null }).toEqual({ ...first.result, replayed: true, session: null });
    const fresh = await call("sendMessage", { ...valid, agentId, messageId: "after-change" }, owner.idToken);
    expect(fresh.error?.status).toBe("FAILED_PRECONDITION");
    expect(await agentCompletions()).toBe(before);
    expect(await ledgerRows(agentId)).toBe(1);
  });

  it("refuses an unpriced model in production but meters it in development", async () => {
    const agentId = await seedAgent(owner.uid, { model: "mystery-model-9000" });
    const prod = await call("sendMessage", { ...valid, agentId }, owner.idToken);
    expect(prod.error).toMatchObject({ status: "FAILED_PRECONDITION", message: expect.stringContaining("mystery-model-9000") });
    expect(await ledgerRows(agentId)).toBe(0);
    const dev = await call<Send>("sendMessage", { ...valid, agentId, testMode: "development" }, owner.idToken);
    expect(dev.result).toMatchObject({ billable: false, costMicros: 0, priceVersion: "unpriced" });
  });

  it("answers unavailable when the agent fails, bills nothing and records the failure", async () => {
    const agentId = await seedAgent(owner.uid);
    const res = await call("sendMessage", { ...valid, agentId, message: "break [[fail:500]]", messageId: "f-1" }, owner.idToken);
    expect(res.error?.status).toBe("UNAVAILABLE");
    expect(await ledgerRows(agentId)).toBe(0);
    const failure = await waitFor(
      async () => (await adminDb().doc(`billing_failures/${agentId}:c1:f-1:agent-call`).get()).data(),
      "failure row",
    );
    expect(failure).toMatchObject({
      agentId,
      userId: owner.uid,
      messageId: "f-1",
      stage: "agent-call",
      charged: false,
      reason: "agent answered HTTP 500",
    });
    expect(await failures(agentId)).toBe(1);
  });
});
