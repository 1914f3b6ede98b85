/**
 * Issue #12: limits, the free cap and spend windows that hold when many messages arrive at once,
 * and the holes in the limits found by trying them (each case here failed before the fix).
 * Callables over HTTP where the Functions emulator's own concurrency matters; the handler in
 * process where a clock or a cap has to be pinned. The agent is the local one throughout.
 */
import { openAiAgentClient } from "../../src/agent/agent-client";
import { localDay } from "../../src/base/periods";
import type { GetBillingInfoResponse } from "../../src/contract/billing-info";
import type { SendMessageResponse } from "../../src/contract/send-message";
import type { BillingSettingsView } from "../../src/contract/settings";
import { resolvePrice, worstCaseCostMicros } from "../../src/domain/pricing";
import { countChatTokens } from "../../src/domain/tokens";
import { usageBound } from "../../src/domain/usage-bounds";
import { handleSendMessage, sendMessageDeps, type SendMessageDeps } from "../../src/handlers/send-message";
import { readSpend } from "../../src/store/spend";
import {
  adminDb,
  agentCompletions,
  call,
  createUser,
  LOCAL_AGENT,
  seedAgent,
  signingKey,
  waitFor,
  warmUp,
  type TestUser,
} from "../helpers/emulator";

jest.setTimeout(180_000);

// A fresh owner per test: each has a rate limit of its own, so one test's burst never slows another.
let owner: TestUser;
beforeEach(async () => {
  owner = await createUser("hot");
});

// The bursts below run 16 at a time in the emulator (FUNCTIONS_EMULATOR_PARALLEL): start that many workers first.
beforeAll(() => warmUp("sendMessage", 16));

const GPT4 = resolvePrice("gpt-4")!.price;
/** The message of the measurement: 90 tokens answered, 100 allowed, a little latency. */
const BURST_MESSAGE = "Burst [[tokens:90]] [[sleep:100]]";
const worstOf = (message: string, maxTokens: number) => {
  const bound = usageBound(countChatTokens([{ role: "user", content: message }], "gpt-4"), maxTokens);
  return worstCaseCostMicros(bound.promptTokens, bound.completionTokens, GPT4);
};
const BURST_WORST = worstOf(BURST_MESSAGE, 100);

const send = (agentId: string, conversationId: string, message: string, extra: Record<string, unknown> = {}) =>
  call<SendMessageResponse>("sendMessage", { agentId, conversationId, message, testMode: "production", ...extra }, owner.idToken);

const billingInfo = async (agentId: string) => (await call<GetBillingInfoResponse>("getBillingInfo", { agentId }, owner.idToken)).result!;

async function ledgerCost(agentId: string): Promise<{ rows: number; micros: number }> {
  const snap = await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get();
  return { rows: snap.size, micros: snap.docs.reduce((sum, d) => sum + (d.get("costMicros") as number), 0) };
}

/** What the spend windows hold for the days the agent's rows are on (a burst may straddle UTC midnight). */
async function spentOnRowDays(agentId: string): Promise<number> {
  const snap = await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get();
  const days = [...new Set(snap.docs.map((d) => d.get("localDay") as string))];
  let total = 0;
  for (const day of days) total += (await readSpend(adminDb(), agentId, { day, month: day.slice(0, 7) })).daySpentMicros;
  return total;
}

const statuses = (results: { result?: unknown; error?: { status: string } }[]) =>
  results.reduce<Record<string, number>>((acc, r) => {
    const key = r.result ? "billed" : r.error!.status;
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});

function inProcessDeps(over: Partial<SendMessageDeps> = {}): SendMessageDeps {
  const agent = openAiAgentClient({ baseURL: LOCAL_AGENT, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 20_000, maxRetries: 0 });
  return sendMessageDeps({ db: adminDb(), agent, signingKey: signingKey(), devDailyMessageCap: 500, userLimits: null }, over);
}

describe("a burst to one agent", () => {
  it("bills all 28 concurrent messages under a limit that admits them all (was: 16 of 28 internal)", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 5_000_000 } });
    const results = await Promise.all(Array.from({ length: 28 }, (_, i) => send(agentId, `b${i}`, BURST_MESSAGE, { maxTokens: 100 })));
    expect(statuses(results)).toEqual({ billed: 28 });
    const ledger = await ledgerCost(agentId);
    expect(ledger.rows).toBe(28);
    expect(await spentOnRowDays(agentId)).toBe(ledger.micros);
  });

  it("under a limit that admits about a third, answers billed or resource-exhausted only, never past the limit, and admits what fits", async () => {
    const limit = Math.floor(9.5 * BURST_WORST);
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: limit } });
    const before = await agentCompletions();
    const results = await Promise.all(Array.from({ length: 28 }, (_, i) => send(agentId, `t${i}`, BURST_MESSAGE, { maxTokens: 100 })));
    const counts = statuses(results);
    expect(Object.keys(counts).sort()).toEqual(["RESOURCE_EXHAUSTED", "billed"]);
    // Nine worst cases fit; an admitted message that settled early leaves room for at most a few more.
    expect(counts.billed).toBeGreaterThanOrEqual(9);
    const ledger = await ledgerCost(agentId);
    expect(ledger.rows).toBe(counts.billed);
    expect(ledger.micros).toBeLessThanOrEqual(limit);
    expect((await agentCompletions()) - before).toBe(counts.billed);
    expect(await spentOnRowDays(agentId)).toBe(ledger.micros);
  });

  it("answers exactly the development messages the free cap allows out of a burst, and every one is free", async () => {
    const agentId = await seedAgent(owner.uid);
    const deps = inProcessDeps({ devDailyMessageCap: 10 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        handleSendMessage(deps, owner.uid, { agentId, conversationId: `d${i}`, message: "free [[tokens:3]]", testMode: "development" }),
      ),
    );
    const answered = outcomes.filter((o) => o.status === "fulfilled").map((o) => (o as PromiseFulfilledResult<SendMessageResponse>).value);
    const refused = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason as { code: string });
    expect(answered).toHaveLength(10);
    expect(answered.every((r) => r.costMicros === 0 && !r.billable)).toBe(true);
    expect(refused.map((e) => e.code)).toEqual(Array(14).fill("resource-exhausted"));
    const spend = await readSpend(adminDb(), agentId, { day: localDay(Date.now(), "UTC"), month: localDay(Date.now(), "UTC").slice(0, 7) });
    expect(spend.devMessagesToday).toBe(10);
  });
});

describe("spend windows", () => {
  it("count messages that were in flight when a limit was set (was: the window said $0 and more were admitted)", async () => {
    const agentId = await seedAgent(owner.uid);
    const slow = Promise.all([1, 2, 3, 4].map((i) => send(agentId, `f${i}`, "Slow [[tokens:90]] [[sleep:2500]]", { maxTokens: 100 })));
    await new Promise((r) => setTimeout(r, 800));
    // A limit below what the four in flight will cost, above one message's worst case.
    const set = await call<BillingSettingsView>("setAgentBillingSettings", { agentId, dailyLimitUsd: 0.012 }, owner.idToken);
    expect(set.result?.dailyLimitMicros).toBe(12_000);
    expect(statuses(await slow)).toEqual({ billed: 4 });
    const ledger = await ledgerCost(agentId);
    expect(ledger.micros).toBeGreaterThan(12_000);
    expect((await billingInfo(agentId)).limits.daily.spentMicros).toBe(ledger.micros);
    const after = await send(agentId, "after", "One more [[tokens:5]]", { maxTokens: 5 });
    expect(after.error?.status).toBe("RESOURCE_EXHAUSTED");
  });

  it("count billed messages whose rollups have not landed yet (was: a limit set after a burst counted a quarter of it)", async () => {
    const agentId = await seedAgent(owner.uid);
    await Promise.all([1, 2, 3].map((i) => send(agentId, `l${i}`, "Lagging [[tokens:20]]", { maxTokens: 20 })));
    const ledger = await ledgerCost(agentId);
    await call("setAgentBillingSettings", { agentId, dailyLimitUsd: 1 }, owner.idToken);
    // Whatever the rollups have done by now, the window is the ledger's.
    expect((await billingInfo(agentId)).limits.daily.spentMicros).toBe(ledger.micros);
  });

  it("keep one daily limit through a timezone change (was: a second limit the same real day, then spend moved to tomorrow)", async () => {
    const message = "Spend [[tokens:50]]";
    const worst = worstOf(message, 50);
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: Math.floor(1.5 * worst), timezone: "UTC" } });
    expect((await send(agentId, "tz", message, { maxTokens: 50, messageId: "m1" })).result).toBeDefined();
    expect((await send(agentId, "tz", message, { maxTokens: 50, messageId: "m2" })).error?.status).toBe("RESOURCE_EXHAUSTED");
    // A zone whose day is not UTC's right now: before the fix, "today" became a day with no spend.
    const now = Date.now();
    const zone = localDay(now, "Pacific/Kiritimati") !== localDay(now, "UTC") ? "Pacific/Kiritimati" : "Pacific/Pago_Pago";
    const view = (await call<BillingSettingsView>("setAgentBillingSettings", { agentId, timezone: zone }, owner.idToken)).result!;
    expect(view).toMatchObject({ timezone: zone, timezoneInEffect: "UTC" });
    expect(Date.parse(view.timezoneFrom!)).toBeGreaterThan(now);
    expect((await send(agentId, "tz", message, { maxTokens: 50, messageId: "m3" })).error?.status).toBe("RESOURCE_EXHAUSTED");
    const info = await billingInfo(agentId);
    expect(info.limits).toMatchObject({ timezone: "UTC", daily: { window: localDay(now, "UTC") } });
    // Going back cancels the pending change at once.
    const back = (await call<BillingSettingsView>("setAgentBillingSettings", { agentId, timezone: "UTC" }, owner.idToken)).result!;
    expect(back).toMatchObject({ timezone: "UTC", timezoneInEffect: "UTC", timezoneFrom: null });
  });

  it("hold and record a message that straddles local midnight in the same day (was: held in D, recorded in D+1)", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 1_000_000, timezone: "Asia/Tehran" } });
    // 23:59:57 in Tehran (UTC+03:30); the clock moves 5 s on while the agent answers.
    const start = Date.parse("2026-12-01T20:29:57Z");
    let calls = 0;
    const deps = inProcessDeps({ now: () => start + (calls++ === 0 ? 0 : 5_000) });
    const result = await handleSendMessage(deps, owner.uid, {
      agentId,
      conversationId: "midnight",
      message: "Late [[tokens:10]]",
      testMode: "production",
      maxTokens: 10,
    });
    const row = (await adminDb().doc(`billable_conversations/${agentId}:midnight:${result.messageId}`).get()).data()!;
    expect(row.localDay).toBe("2026-12-01");
    expect(row.timestamp).toBe(new Date(start).toISOString());
    const db = adminDb();
    expect((await readSpend(db, agentId, { day: "2026-12-01", month: "2026-12" }, start)).daySpentMicros).toBe(result.costMicros);
    expect((await readSpend(db, agentId, { day: "2026-12-02", month: "2026-12" }, start)).daySpentMicros).toBe(0);
    await waitFor(async () => (await db.doc(`agent_usage_daily/${agentId}_2026-12-01`).get()).exists, "the bucket of the held day");
  });
});

describe("usage and the free cap", () => {
  it("bills provider usage only up to the message's bound, records the excess for review, and stays within the limit", async () => {
    const limit = 50_000;
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: limit } });
    const message = "Glitch [[tokens:5]] [[report-completion:999999999]]";
    const result = await send(agentId, "glitch", message, { maxTokens: 100, messageId: "g1" });
    expect(result.result?.tokens.completion).toBe(100);
    expect(result.result!.costMicros).toBeLessThanOrEqual(worstOf(message, 100));
    const failure = (await adminDb().doc(`billing_failures/${agentId}:glitch:g1:usage-bound`).get()).data();
    expect(failure).toMatchObject({ stage: "usage-bound", charged: true, usage: { completion: 999_999_999 } });
    expect((await ledgerCost(agentId)).micros).toBeLessThanOrEqual(limit);
  });

  it("does not use up the caller's free messages with refused or failed ones (was: 5 failures counted 5)", async () => {
    const agentId = await seedAgent(owner.uid);
    const deps = inProcessDeps({ userLimits: { perMinute: 1_000, burst: 1_000, devDailyUserCap: 3 } });
    const dev = (conversationId: string, message: string) =>
      handleSendMessage(deps, owner.uid, { agentId, conversationId, message, testMode: "development" });
    for (let i = 0; i < 5; i++) await expect(dev(`fail${i}`, "broken [[fail:500]]")).rejects.toMatchObject({ code: "unavailable" });
    for (let i = 0; i < 3; i++) await expect(dev(`ok${i}`, "fine [[tokens:2]]")).resolves.toMatchObject({ billable: false });
    await expect(dev("over", "one too many [[tokens:2]]")).rejects.toMatchObject({ code: "resource-exhausted" });
    const counter = await adminDb()
      .doc(`billing_rate_limits/${owner.uid}_dev_${new Date().toISOString().slice(0, 10)}`)
      .get();
    expect(counter.get("count")).toBe(3);
  });
});
