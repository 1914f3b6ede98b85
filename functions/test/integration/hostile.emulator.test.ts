/**
 * Hostile input across every callable and the export endpoint, over HTTP: for each payload the exact
 * error code, and not one document written anywhere (every collection counted before and after,
 * and the agents compared field by field).
 */
import { adminDb, call, createUser, functionUrl, seedAgent, type TestUser } from "../helpers/emulator";

let owner: TestUser;
let stranger: TestUser;
let agentId: string;
let strangersAgent: string;

beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("owner"), createUser("stranger")]);
  agentId = await seedAgent(owner.uid);
  strangersAgent = await seedAgent(stranger.uid);
  await quiet();
});

/**
 * Waits until the counts stop changing: the rollups of an earlier test file's messages may still be
 * running, and a case would see their writes as its own.
 */
async function quiet(): Promise<void> {
  let last = await snapshot();
  for (let stable = 0, tries = 0; stable < 2 && tries < 60; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await snapshot();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

/** Counts of every collection and the agents' data: what "nothing written" is checked against. */
async function snapshot(): Promise<string> {
  const db = adminDb();
  const collections = await db.listCollections();
  const counts = await Promise.all(collections.map(async (c) => [c.id, (await c.count().get()).data().count] as const));
  const agents = await Promise.all([agentId, strangersAgent].map(async (id) => (await db.doc(`alchemist_agents/${id}`).get()).data()));
  return JSON.stringify({ counts: counts.sort(), agents });
}

const ownerToken = () => owner.idToken;
const FORGED = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VyX2lkIjoiYWRtaW4ifQ.";
const huge = "x".repeat(200_000);
const send = (patch: Record<string, unknown>) => ({ agentId, conversationId: "c1", message: "hi", testMode: "production", ...patch });
const day = (patch: Record<string, unknown>) => ({ agentId, granularity: "day", from: "2026-11-01", to: "2026-11-26", ...patch });

type Case = [what: string, fn: string, data: () => unknown, token: () => string | undefined, code: string];

const CALLABLE_CASES: Case[] = [
  ["sendMessage: no token", "sendMessage", () => send({}), () => undefined, "UNAUTHENTICATED"],
  ["sendMessage: forged unsigned token", "sendMessage", () => send({}), () => FORGED, "UNAUTHENTICATED"],
  ["sendMessage: garbage token", "sendMessage", () => send({}), () => "garbage", "UNAUTHENTICATED"],
  ["sendMessage: data is a string", "sendMessage", () => "hello", ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: data is an array", "sendMessage", () => [send({})], ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: data is null", "sendMessage", () => null, ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: agentId a number", "sendMessage", () => send({ agentId: 42 }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: agentId empty", "sendMessage", () => send({ agentId: "" }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: agentId path", "sendMessage", () => send({ agentId: "alchemist_agents/x" }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: agentId ..", "sendMessage", () => send({ agentId: ".." }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: agentId too long", "sendMessage", () => send({ agentId: "a".repeat(129) }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: conversationId unicode", "sendMessage", () => send({ conversationId: "conv✓" }), ownerToken, "INVALID_ARGUMENT"],
  // Answered and never billed before: Firestore cannot store a lone UTF-16 surrogate.
  [
    "sendMessage: message with a lone high surrogate",
    "sendMessage",
    () => send({ message: "hi \uD800 there" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  ["sendMessage: message with a lone low surrogate", "sendMessage", () => send({ message: "\uDC00" }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: conversationId with a colon", "sendMessage", () => send({ conversationId: "a:b" }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: message an object", "sendMessage", () => send({ message: { text: "hi" } }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: message huge", "sendMessage", () => send({ message: huge }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: testMode boolean", "sendMessage", () => send({ testMode: true }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: maxTokens a string", "sendMessage", () => send({ maxTokens: "100" }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: maxTokens negative", "sendMessage", () => send({ maxTokens: -1 }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: maxTokens enormous", "sendMessage", () => send({ maxTokens: 1e12 }), ownerToken, "INVALID_ARGUMENT"],
  [
    "sendMessage: constructor key",
    "sendMessage",
    () => send({ constructor: { prototype: { billable: false } } }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  ["sendMessage: forged userId field", "sendMessage", () => send({ userId: "someone" }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: forged costMicros field", "sendMessage", () => send({ costMicros: 0 }), ownerToken, "INVALID_ARGUMENT"],
  ["sendMessage: someone else's agent", "sendMessage", () => send({ agentId: strangersAgent }), ownerToken, "PERMISSION_DENIED"],
  ["sendMessage: no such agent", "sendMessage", () => send({ agentId: "ghost-agent" }), ownerToken, "NOT_FOUND"],
  [
    "saveBillingSession: negative totalCost",
    "saveBillingSession",
    () => ({ agentId, conversationId: "c", testMode: "production", totalCost: -1 }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "saveBillingSession: fractional messages",
    "saveBillingSession",
    () => ({ agentId, conversationId: "c", testMode: "production", messages: 1.5 }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "saveBillingSession: endedAt not a date",
    "saveBillingSession",
    () => ({ agentId, conversationId: "c", testMode: "production", endedAt: "yesterday" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  ["saveBillingSession: missing testMode", "saveBillingSession", () => ({ agentId, conversationId: "c" }), ownerToken, "INVALID_ARGUMENT"],
  [
    "saveBillingSession: someone else's agent",
    "saveBillingSession",
    () => ({ agentId: strangersAgent, conversationId: "c", testMode: "production" }),
    ownerToken,
    "PERMISSION_DENIED",
  ],
  [
    "getBillingInfo: path-like conversationId",
    "getBillingInfo",
    () => ({ agentId, conversationId: "../../x" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  ["getBillingInfo: unknown field", "getBillingInfo", () => ({ agentId, admin: true }), ownerToken, "INVALID_ARGUMENT"],
  ["getBillingInfo: someone else's agent", "getBillingInfo", () => ({ agentId: strangersAgent }), ownerToken, "PERMISSION_DENIED"],
  ["getBillingInfo: no token", "getBillingInfo", () => ({ agentId }), () => undefined, "UNAUTHENTICATED"],
  ["getUsageAnalytics: granularity year", "getUsageAnalytics", () => day({ granularity: "year" }), ownerToken, "INVALID_ARGUMENT"],
  ["getUsageAnalytics: February 30th", "getUsageAnalytics", () => day({ from: "2026-02-30" }), ownerToken, "INVALID_ARGUMENT"],
  [
    "getUsageAnalytics: from after to",
    "getUsageAnalytics",
    () => day({ from: "2026-11-27", to: "2026-11-01" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  ["getUsageAnalytics: over 366 days", "getUsageAnalytics", () => day({ from: "2020-01-01" }), ownerToken, "INVALID_ARGUMENT"],
  ["getUsageAnalytics: loose date", "getUsageAnalytics", () => day({ from: "2026-1-1" }), ownerToken, "INVALID_ARGUMENT"],
  ["getUsageAnalytics: someone else's agent", "getUsageAnalytics", () => day({ agentId: strangersAgent }), ownerToken, "PERMISSION_DENIED"],
  [
    "listBillableConversations: pageSize huge",
    "listBillableConversations",
    () => ({ agentId, pageSize: 10_000 }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "listBillableConversations: pageSize zero",
    "listBillableConversations",
    () => ({ agentId, pageSize: 0 }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "listBillableConversations: forged pageToken",
    "listBillableConversations",
    () => ({ agentId, pageToken: "eyJhZ2VudElkIjoieCJ9" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "listBillableConversations: billable a string",
    "listBillableConversations",
    () => ({ agentId, billable: "yes" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "listBillableConversations: someone else's agent",
    "listBillableConversations",
    () => ({ agentId: strangersAgent }),
    ownerToken,
    "PERMISSION_DENIED",
  ],
  [
    "setAgentBillingSettings: negative limit",
    "setAgentBillingSettings",
    () => ({ agentId, dailyLimitUsd: -5 }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: sub-micro limit",
    "setAgentBillingSettings",
    () => ({ agentId, dailyLimitUsd: 0.0000001 }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: limit a string",
    "setAgentBillingSettings",
    () => ({ agentId, monthlyLimitUsd: "100" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: unknown timezone",
    "setAgentBillingSettings",
    () => ({ agentId, timezone: "Mars/Olympus_Mons" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: bad email",
    "setAgentBillingSettings",
    () => ({ agentId, alertEmail: "not-an-email" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: plain http webhook",
    "setAgentBillingSettings",
    () => ({ agentId, webhookUrl: "http://example.com/hook" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: metadata-server webhook",
    "setAgentBillingSettings",
    () => ({ agentId, webhookUrl: "https://169.254.169.254/latest" }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: smuggled status",
    "setAgentBillingSettings",
    () => ({ agentId, status: "active", billing: { dailyLimitMicros: 0 } }),
    ownerToken,
    "INVALID_ARGUMENT",
  ],
  [
    "setAgentBillingSettings: someone else's agent",
    "setAgentBillingSettings",
    () => ({ agentId: strangersAgent, dailyLimitUsd: 1 }),
    ownerToken,
    "PERMISSION_DENIED",
  ],
];

describe("callables", () => {
  it.each(CALLABLE_CASES)("%s -> %s", async (_what, fn, data, token, code) => {
    const before = await snapshot();
    const res = await call(fn, data(), token());
    expect(res.error?.status).toBe(code);
    expect(res.result).toBeUndefined();
    expect(await snapshot()).toBe(before);
  });

  it("rejects a __proto__ key (prototype pollution) with nothing written", async () => {
    const before = await snapshot();
    const body = `{"data":{"agentId":"${agentId}","conversationId":"c1","message":"hi","testMode":"production","__proto__":{"billable":false}}}`;
    const res = await fetch(functionUrl("sendMessage"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${owner.idToken}` },
      body,
    });
    expect(((await res.json()) as { error?: { status: string } }).error?.status).toBe("INVALID_ARGUMENT");
    expect(await snapshot()).toBe(before);
  });
});

describe("exportBillingReport", () => {
  const url = (q: Record<string, string>) => `${functionUrl("exportBillingReport")}?${new URLSearchParams(q)}`;
  const valid = () => ({ agentId, from: "2026-11-01", to: "2026-11-26", format: "csv" });
  type HttpCase = [what: string, query: () => Record<string, string>, token: () => string | undefined, status: number, method?: string];
  const HTTP_CASES: HttpCase[] = [
    ["no token", valid, () => undefined, 401],
    ["forged token", valid, () => FORGED, 401],
    ["someone else's agent", () => ({ ...valid(), agentId: strangersAgent }), ownerToken, 403],
    ["no such agent", () => ({ ...valid(), agentId: "ghost-agent" }), ownerToken, 404],
    ["path-like agentId", () => ({ ...valid(), agentId: "../alchemist_agents" }), ownerToken, 400],
    ["unknown format", () => ({ ...valid(), format: "xlsx" }), ownerToken, 400],
    // 10,000 years came back as 2.17 million series points (425 MB) before the bound.
    ["a range of 10,000 years", () => ({ ...valid(), from: "0001-01-01", to: "9999-12-31" }), ownerToken, 400],
    ["a range one day over ten years", () => ({ ...valid(), from: "2016-01-01", to: "2026-01-08" }), ownerToken, 400],
    ["impossible date", () => ({ ...valid(), to: "2026-13-01" }), ownerToken, 400],
    ["reversed range", () => ({ ...valid(), from: "2026-12-01" }), ownerToken, 400],
    ["POST instead of GET", valid, ownerToken, 405, "POST"],
  ];

  it.each(HTTP_CASES)("%s -> HTTP %i", async (_what, query, token, status, method = "GET") => {
    const before = await snapshot();
    const t = token();
    const res = await fetch(url(query()), { method, headers: t ? { authorization: `Bearer ${t}` } : {} });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error?: { message?: string } }).error?.message).toEqual(expect.any(String));
    expect(await snapshot()).toBe(before);
  });
});
