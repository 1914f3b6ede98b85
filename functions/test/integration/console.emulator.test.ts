/**
 * The web console's callables over HTTP through the Functions emulator, as the console calls them:
 * setAgentStatus (pause/resume; sendMessage obeys), quoteMessage (the worst case the hold reserves,
 * and the limits left) and listBillingAlerts (the owner's alerts, paged).
 */
import { Timestamp } from "firebase-admin/firestore";
import type { ListBillingAlertsResponse, QuoteMessageResponse, SetAgentStatusResponse } from "../../src/contract/console";
import type { SendMessageResponse } from "../../src/contract/send-message";
import { adminDb, agentCompletions, call, createUser, seedAgent, type TestUser } from "../helpers/emulator";

let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("console-owner"), createUser("console-stranger")]);
});

const agentDoc = async (agentId: string) => (await adminDb().doc(`alchemist_agents/${agentId}`).get()).data();
const send = (agentId: string, token: string, extra: Record<string, unknown> = {}) =>
  call<SendMessageResponse>(
    "sendMessage",
    { agentId, conversationId: "console-c1", message: "[[tokens:30]] hello", testMode: "production", ...extra },
    token,
  );

describe("setAgentStatus", () => {
  it("pauses an agent (sendMessage then refuses it without calling the agent) and resumes it", async () => {
    const agentId = await seedAgent(owner.uid);
    const paused = await call<SetAgentStatusResponse>("setAgentStatus", { agentId, status: "paused" }, owner.idToken);
    expect(paused).toMatchObject({ status: 200, result: { agentId, status: "paused", previousStatus: "active" } });
    expect((await agentDoc(agentId))?.status).toBe("paused");
    const before = await agentCompletions();
    const refused = await send(agentId, owner.idToken);
    expect(refused.error).toMatchObject({ status: "FAILED_PRECONDITION", message: expect.stringContaining("paused") });
    expect(await agentCompletions()).toBe(before);
    const resumed = await call<SetAgentStatusResponse>("setAgentStatus", { agentId, status: "active" }, owner.idToken);
    expect(resumed.result).toEqual({ agentId, status: "active", previousStatus: "paused" });
    expect((await send(agentId, owner.idToken)).result?.billable).toBe(true);
  });

  it("refuses another owner's agent, a missing one, a bad status and a signed-out caller, writing nothing", async () => {
    const agentId = await seedAgent(owner.uid);
    const other = await call("setAgentStatus", { agentId, status: "paused" }, stranger.idToken);
    expect(other.error?.status).toBe("PERMISSION_DENIED");
    expect((await call("setAgentStatus", { agentId: "no-such-agent", status: "paused" }, owner.idToken)).error?.status).toBe("NOT_FOUND");
    const bad = await call("setAgentStatus", { agentId, status: "deleted" }, owner.idToken);
    expect(bad.error).toMatchObject({ status: "INVALID_ARGUMENT", message: 'status: must be "active" or "paused"' });
    expect((await call("setAgentStatus", { agentId, status: "paused" })).error?.status).toBe("UNAUTHENTICATED");
    expect((await agentDoc(agentId))?.status).toBe("active");
  });
});

describe("quoteMessage", () => {
  it("quotes the worst case the hold reserves, and what is left of the limits after a billed message", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 1_000_000 } });
    const message = "[[tokens:30]] hello";
    const quote = await call<QuoteMessageResponse>("quoteMessage", { agentId, message, maxTokens: 100 }, owner.idToken);
    expect(quote.error).toBeUndefined();
    expect(quote.result).toMatchObject({
      agentId,
      model: "gpt-4",
      status: "active",
      testMode: "production",
      price: { inputMicrosPerMTok: 30_000_000, outputMicrosPerMTok: 60_000_000 },
      timezone: "UTC",
      daily: { limitMicros: 1_000_000, spentMicros: 0, reservedMicros: 0, remainingMicros: 1_000_000 },
      monthly: { limitMicros: null, remainingMicros: null },
      fits: true,
    });
    const q = quote.result!;
    expect(q.worstCaseMicros).toBe(q.bound.promptTokens * 30 + 100 * 60);
    expect(q.holdMicros).toBe(q.worstCaseMicros);
    const sent = await send(agentId, owner.idToken, { message, maxTokens: 100 });
    expect(sent.result!.costMicros).toBeLessThanOrEqual(q.worstCaseMicros!);
    // The bound the hold used is the one quoted: the billed prompt never exceeds it.
    expect(sent.result!.tokens.prompt).toBeLessThanOrEqual(q.bound.promptTokens);
    const after = await call<QuoteMessageResponse>("quoteMessage", { agentId, message, maxTokens: 100 }, owner.idToken);
    expect(after.result!.daily).toMatchObject({
      spentMicros: sent.result!.costMicros,
      remainingMicros: 1_000_000 - sent.result!.costMicros,
    });
  });

  it("says an unpriced model has no worst case; development holds nothing", async () => {
    const agentId = await seedAgent(owner.uid, { model: "mystery-model-9000" });
    const quote = await call<QuoteMessageResponse>("quoteMessage", { agentId, testMode: "development" }, owner.idToken);
    expect(quote.result).toMatchObject({
      model: "mystery-model-9000",
      price: null,
      priceVersion: null,
      worstCaseMicros: null,
      holdMicros: 0,
    });
  });

  it("refuses another owner's agent and unknown fields", async () => {
    const agentId = await seedAgent(owner.uid);
    expect((await call("quoteMessage", { agentId }, stranger.idToken)).error?.status).toBe("PERMISSION_DENIED");
    expect((await call("quoteMessage", { agentId, price: 0 }, owner.idToken)).error?.status).toBe("INVALID_ARGUMENT");
  });
});

describe("listBillingAlerts", () => {
  let agentA: string;
  let agentB: string;
  let alertsOwner: TestUser;

  beforeAll(async () => {
    const user = await createUser("alerts-owner");
    alertsOwner = user;
    [agentA, agentB] = await Promise.all([seedAgent(user.uid), seedAgent(user.uid)]);
    const strangerAgent = await seedAgent(stranger.uid);
    const alert = (agentId: string, userId: string, window: string, at: number) =>
      adminDb()
        .doc(`billing_alerts/${agentId}:daily-cost:${window}`)
        .set({
          agentId,
          userId,
          kind: "daily-cost",
          window,
          figures: { costMicros: 2_000_000, thresholdMicros: 1_000_000 },
          createdAt: Timestamp.fromMillis(at),
          delivery: { mail: "queued", webhook: "failed", attempts: 3, lastError: "connection refused", pending: false, leaseUntil: 0 },
        });
    const t = Date.parse("2026-11-01T12:00:00Z");
    await Promise.all([
      alert(agentA, user.uid, "2026-11-01", t),
      alert(agentA, user.uid, "2026-11-02", t + 86_400_000),
      alert(agentA, user.uid, "2026-11-03", t + 2 * 86_400_000),
      alert(agentB, user.uid, "2026-11-02", t + 86_400_000 + 1),
      alert(strangerAgent, stranger.uid, "2026-11-02", t + 86_400_000),
    ]);
  });

  it("pages one agent's alerts newest first, without delivery errors", async () => {
    const first = await call<ListBillingAlertsResponse>("listBillingAlerts", { agentId: agentA, pageSize: 2 }, alertsOwner.idToken);
    expect(first.error).toBeUndefined();
    expect(first.result!.items.map((a) => a.window)).toEqual(["2026-11-03", "2026-11-02"]);
    expect(first.result!.items[0]).toEqual({
      alertId: `${agentA}:daily-cost:2026-11-03`,
      agentId: agentA,
      kind: "daily-cost",
      window: "2026-11-03",
      createdAt: "2026-11-03T12:00:00.000Z",
      figures: { costMicros: 2_000_000, thresholdMicros: 1_000_000 },
      delivery: { mail: "queued", webhook: "failed" },
    });
    const second = await call<ListBillingAlertsResponse>(
      "listBillingAlerts",
      { agentId: agentA, pageSize: 2, pageToken: first.result!.nextPageToken },
      alertsOwner.idToken,
    );
    expect(second.result).toEqual({ items: [expect.objectContaining({ window: "2026-11-01" })], nextPageToken: null });
  });

  it("lists all of the caller's agents' alerts and nobody else's", async () => {
    const all = await call<ListBillingAlertsResponse>("listBillingAlerts", {}, alertsOwner.idToken);
    expect(all.result!.items.map((a) => `${a.agentId === agentA ? "A" : "B"}:${a.window}`)).toEqual([
      "A:2026-11-03",
      "B:2026-11-02",
      "A:2026-11-02",
      "A:2026-11-01",
    ]);
    const theirs = await call<ListBillingAlertsResponse>("listBillingAlerts", {}, stranger.idToken);
    expect(theirs.result!.items.every((a) => a.agentId !== agentA && a.agentId !== agentB)).toBe(true);
  });

  it("refuses another owner's agent, and a token issued for another filter", async () => {
    expect((await call("listBillingAlerts", { agentId: agentA }, stranger.idToken)).error?.status).toBe("PERMISSION_DENIED");
    const first = await call<ListBillingAlertsResponse>("listBillingAlerts", { agentId: agentA, pageSize: 1 }, alertsOwner.idToken);
    const reused = await call("listBillingAlerts", { agentId: agentB, pageToken: first.result!.nextPageToken }, alertsOwner.idToken);
    expect(reused.error).toMatchObject({ status: "INVALID_ARGUMENT", message: "pageToken: was issued for another agentId filter" });
  });
});
