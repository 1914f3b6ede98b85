/**
 * The client SDK sending messages as a real app would: idempotency keys, streaming, retries with
 * the same key, typed errors and debug logging, against the emulators and the local agent.
 */
import {
  BillingClientError,
  configureBillingClient,
  getBillingInfo,
  sendMessageToDeployedAgent,
  streamMessageToDeployedAgent,
  type SendMessageResponse,
} from "../src";
import { adminDb, agentCompletions, countWhere, seedAgent, waitFor } from "../../functions/test/helpers/emulator";
import { deleteApps, signUp, type WebUser } from "./helpers/web-client";

jest.setTimeout(120_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let owner: WebUser;
let agentId: string;

beforeAll(async () => {
  owner = await signUp("sdk-owner");
  agentId = await seedAgent(owner.uid);
  // The first calls start the Functions emulator's workers: keep them out of the timings below.
  await owner.client.getBillingInfo(agentId);
});

afterAll(deleteApps);

const ledgerRow = (result: SendMessageResponse, conversationId: string) =>
  adminDb().doc(`billable_conversations/${agentId}:${conversationId}:${result.messageId}`).get();

describe("sendMessage", () => {
  it("bills a production message and meters a development one for free, each under a generated key", async () => {
    const production = await owner.client.sendMessage({
      agentId,
      conversationId: "modes",
      message: "Hello [[tokens:20]]",
      testMode: "production",
    });
    const development = await owner.client.sendMessage({
      agentId,
      conversationId: "modes",
      message: "Hello again",
      testMode: "development",
    });

    expect(production).toMatchObject({ billable: true, testMode: "production", replayed: false, model: "gpt-4", usageSource: "provider" });
    expect(production.tokens.completion).toBe(20);
    expect(production.costMicros).toBeGreaterThan(0);
    expect(production.cost).toBe(production.costMicros / 1e6);
    expect(development).toMatchObject({ billable: false, testMode: "development", costMicros: 0, cost: 0 });
    expect(development.shadowCostMicros).toBeGreaterThan(0);
    expect(production.messageId).toMatch(UUID);
    expect(development.messageId).toMatch(UUID);
    expect(development.messageId).not.toBe(production.messageId);
    expect((await ledgerRow(production, "modes")).get("costMicros")).toBe(production.costMicros);
    expect((await ledgerRow(development, "modes")).get("billable")).toBe(false);
  });

  it("streams the answer: the deltas add up to the billed response", async () => {
    const deltas: string[] = [];
    const message = "Tell me a long story about billing in exact integer micro-USD, please";
    const result = await owner.client.streamMessage({ agentId, conversationId: "stream", message, testMode: "production" }, (d) =>
      deltas.push(d),
    );

    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(result.response);
    expect(result.response).toContain("billing in exact integer");
    expect(result).toMatchObject({ billable: true, replayed: false });
    expect((await ledgerRow(result, "stream")).get("agentResponse")).toBe(result.response);
  });

  it("replays a message sent again with the same key, without a second ledger row", async () => {
    const request = { agentId, conversationId: "again", message: "Only once", testMode: "production" as const, messageId: "fixed-key-1" };
    const first = await owner.client.sendMessage(request);
    const second = await owner.client.sendMessage(request);
    const deltas: string[] = [];
    const streamed = await owner.client.streamMessage(request, (d) => deltas.push(d));

    expect(first.replayed).toBe(false);
    // The session figures of a replay come from the rollup, which may still be catching up.
    expect({ ...second, session: null }).toEqual({ ...first, replayed: true, session: null });
    // A replay streams nothing from the agent: the SDK hands over the stored answer as one delta.
    expect(streamed.replayed).toBe(true);
    expect(deltas.join("")).toBe(first.response);
    expect(await countWhere("billable_conversations", "conversationId", "again")).toBe(1);
  });

  it("retries a timed-out message with the same key and bills it once", async () => {
    const slow = await signUp("sdk-slow", { sendMessageTimeoutMs: 1_500, retry: { maxRetries: 10, baseDelayMs: 200, maxDelayMs: 400 } });
    const slowAgent = await seedAgent(slow.uid);
    const before = await agentCompletions();
    const result = await slow.client.sendMessage({
      agentId: slowAgent,
      conversationId: "slow",
      message: "Take your time [[sleep:3000]]",
      testMode: "production",
    });

    // The first attempt timed out on the client while the backend went on and billed it; a later
    // attempt with the same key found that row and replayed it.
    expect(result.replayed).toBe(true);
    expect(await countWhere("billable_conversations", "agentId", slowAgent)).toBe(1);
    expect((await agentCompletions()) - before).toBe(1);
  });
});

describe("the seed's free functions", () => {
  it("send, stream and read billing through the configured shared client", async () => {
    const seedStyle = await signUp("sdk-seed-style");
    const seedAgentId = await seedAgent(seedStyle.uid);
    configureBillingClient({ app: seedStyle.app });
    const sent = await sendMessageToDeployedAgent({
      agentId: seedAgentId,
      conversationId: "seed",
      message: "Hello",
      testMode: "production",
    });
    const deltas: string[] = [];
    const streamed = await streamMessageToDeployedAgent(
      { agentId: seedAgentId, conversationId: "seed", message: "Hello again", testMode: "development" },
      (d) => deltas.push(d),
    );
    const info = await waitFor(async () => {
      const billing = await getBillingInfo(seedAgentId, "seed");
      return billing.summary.totalMessages === 1 && billing.summary.devMessages === 1 && billing;
    }, "both messages rolled up");

    const { tokens, cost } = sent;
    expect(cost).toBe(sent.costMicros / 1e6);
    expect(tokens.total).toBe(tokens.prompt + tokens.completion);
    expect(deltas.join("")).toBe(streamed.response);
    expect(info.summary.totalCostMicros).toBe(sent.costMicros);
    expect(info.session).toMatchObject({ conversationId: "seed", messageCount: 2 });
  });
});

describe("errors", () => {
  it("gives up on a failing agent after the bounded retries, with code unavailable and one key", async () => {
    const failing = await signUp("sdk-failing", { retry: { maxRetries: 2, baseDelayMs: 50 }, newMessageId: () => "always-the-same" });
    const failingAgent = await seedAgent(failing.uid);
    const error = await failing.client
      .sendMessage({ agentId: failingAgent, conversationId: "fail", message: "Break [[fail:500]]", testMode: "production" })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BillingClientError);
    expect(error).toMatchObject({ code: "unavailable", attempts: 3, transient: true });
    const failures = await adminDb().collection("billing_failures").where("agentId", "==", failingAgent).get();
    // Every attempt used the same idempotency key, so the backend kept one failure record.
    expect(failures.docs.map((d) => [d.get("messageId"), d.get("attempts")])).toEqual([["always-the-same", 3]]);
    expect(await countWhere("billable_conversations", "agentId", failingAgent)).toBe(0);
  });

  it("refuses someone else's agent with permission-denied, without retrying", async () => {
    const stranger = await signUp("sdk-stranger");
    const error = await stranger.client
      .sendMessage({ agentId, conversationId: "x", message: "Hi", testMode: "production" })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BillingClientError);
    expect(error).toMatchObject({ code: "permission-denied", attempts: 1 });
  });

  it("surfaces a spending limit as resource-exhausted with the backend's details", async () => {
    const capped = await signUp("sdk-capped");
    const cappedAgent = await seedAgent(capped.uid);
    await capped.client.setAgentBillingSettings({ agentId: cappedAgent, dailyLimitUsd: 0 });
    const error = await capped.client
      .sendMessage({ agentId: cappedAgent, conversationId: "c", message: "Hi", testMode: "production" })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "resource-exhausted", attempts: 1 });
    expect((error as BillingClientError).details).toMatchObject({ ok: false, reason: "daily-limit" });
  });

  it("names the invalid field", async () => {
    const error = await owner.client
      .sendMessage({ agentId, conversationId: "bad id!", message: "Hi", testMode: "production" })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "invalid-argument" });
    expect((error as Error).message).toMatch(/^conversationId: /);
  });
});

describe("debug logging", () => {
  it("logs each call's name, latency and billing figures, never the text or an ID token", async () => {
    const lines: { line: string; fields: Record<string, unknown> }[] = [];
    const debugged = await signUp("sdk-debug", { debug: true, logger: (line, fields) => lines.push({ line, fields }) });
    const debugAgent = await seedAgent(debugged.uid);
    const secret = "my private question";
    const result = await debugged.client.sendMessage({ agentId: debugAgent, conversationId: "d", message: secret, testMode: "production" });

    expect(lines).toHaveLength(1);
    expect(lines[0].line).toMatch(/^sendMessage ok in \d+ ms$/);
    expect(lines[0].fields).toMatchObject({
      call: "sendMessage",
      attempts: 1,
      costMicros: result.costMicros,
      messageId: result.messageId,
      billable: true,
    });
    const logged = JSON.stringify(lines);
    const idToken = await debugged.client.auth.currentUser!.getIdToken();
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain(result.response);
    expect(logged).not.toContain(idToken);
  });

  it("is on with the seed's localStorage flag", async () => {
    const lines: string[] = [];
    const user = await signUp("sdk-storage", { logger: (line) => lines.push(line) });
    const userAgent = await seedAgent(user.uid);
    const storage = new Map([["DEBUG_BILLING", "true"]]);
    Object.assign(globalThis, { localStorage: { getItem: (key: string) => storage.get(key) ?? null } });
    try {
      await user.client.getBillingInfo(userAgent);
      storage.set("DEBUG_BILLING", "false");
      await user.client.getBillingInfo(userAgent);
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
    expect(lines).toEqual([expect.stringMatching(/^getBillingInfo ok in \d+ ms$/)]);
  });

  it("is on with DEBUG_BILLING=true and off without it", async () => {
    const lines: string[] = [];
    const user = await signUp("sdk-env", { logger: (line) => lines.push(line) });
    const userAgent = await seedAgent(user.uid);
    await user.client.getBillingInfo(userAgent);
    process.env.DEBUG_BILLING = "true";
    try {
      await user.client.getBillingInfo(userAgent);
    } finally {
      delete process.env.DEBUG_BILLING;
    }
    expect(lines).toEqual([expect.stringMatching(/^getBillingInfo ok in \d+ ms$/)]);
  });
});
