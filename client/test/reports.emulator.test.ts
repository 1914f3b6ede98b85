/**
 * The client SDK reading an agent's billing as a real app would: live info, saved sessions,
 * analytics, paged history, CSV export and settings, against the emulators.
 */
import { parse } from "csv-parse/sync";
import { signOut } from "firebase/auth";
import { BillingClientError, type BillingClient } from "../src";
import { adminDb, seedAgent, signingKey, waitFor } from "../../functions/test/helpers/emulator";
import { writeLedgerRow } from "../../functions/test/helpers/ledger";
import { deleteApps, signUp, type WebUser } from "./helpers/web-client";

jest.setTimeout(120_000);

const HISTORY_ROWS = 7;
const today = new Date().toISOString().slice(0, 10);
let owner: WebUser;
let agentId: string;
/** Two production messages sent through the SDK, in conversation "live". */
let sentMicros: number;
let sentTokens: number;

beforeAll(async () => {
  owner = await signUp("sdk-reports");
  agentId = await seedAgent(owner.uid);
  const sent = [];
  for (const message of ["First question", "Second question [[tokens:30]]"]) {
    sent.push(await owner.client.sendMessage({ agentId, conversationId: "live", message, testMode: "production" }));
  }
  sentMicros = sent.reduce((sum, r) => sum + r.costMicros, 0);
  sentTokens = sent.reduce((sum, r) => sum + r.tokens.total, 0);
  // Older history written straight to the ledger, one row a second back from now.
  for (let i = 0; i < HISTORY_ROWS; i++) {
    await writeLedgerRow(
      adminDb(),
      { agentId, userId: owner.uid, conversationId: "history", at: new Date(Date.now() - (i + 1) * 1_000) },
      signingKey(),
    );
  }
});

afterAll(deleteApps);

/** Waits until the rollups have counted every production row of the agent. */
const rolledUp = (client: BillingClient, messages: number) =>
  waitFor(async () => {
    const info = await client.getBillingInfo(agentId);
    return info.summary.totalMessages === messages && info;
  }, `${messages} rolled-up messages`);

describe("live billing", () => {
  it("getBillingInfo returns the summary, the session and the limits", async () => {
    await rolledUp(owner.client, 2 + HISTORY_ROWS);
    const info = await owner.client.getBillingInfo(agentId, "live");

    expect(info.session).toMatchObject({ conversationId: "live", messageCount: 2, totalTokens: sentTokens, totalCostMicros: sentMicros });
    expect(info.summary.totalCostMicros).toBeGreaterThan(sentMicros);
    expect(info.limits.daily).toMatchObject({ limitMicros: null, remainingMicros: null });
  });

  it("saveBillingSession keeps the ledger's totals and reports the client's mismatch", async () => {
    const saved = await owner.client.saveBillingSession({
      agentId,
      conversationId: "live",
      messages: 3,
      totalTokens: sentTokens,
      testMode: "production",
      endedAt: new Date().toISOString(),
    });

    expect(saved.session).toMatchObject({ messageCount: 2, totalTokens: sentTokens, totalCostMicros: sentMicros });
    expect(saved.session.endedAt).not.toBeNull();
    expect(saved.mismatches).toEqual([{ field: "messages", client: 3, ledger: 2 }]);
  });
});

describe("history", () => {
  it("getUsageAnalytics counts today's messages from the daily buckets", async () => {
    await rolledUp(owner.client, 2 + HISTORY_ROWS);
    const analytics = await owner.client.getUsageAnalytics({ agentId, granularity: "day", from: today, to: today });

    expect(analytics.series).toHaveLength(1);
    expect(analytics.totals.messages).toBe(2 + HISTORY_ROWS);
    // The agent, today's bucket and its shards (today is not folded yet: 16 at most).
    expect(analytics.documentsRead).toBeGreaterThan(2);
    expect(analytics.documentsRead).toBeLessThanOrEqual(2 + 16);
  });

  it("iterates every page of the ledger, newest first", async () => {
    const pageSizes: number[] = [];
    const first = await owner.client.listBillableConversations({ agentId, pageSize: 3 });
    pageSizes.push(first.items.length);
    const items = [];
    for await (const item of owner.client.iterateBillableConversations({ agentId, pageSize: 3 })) items.push(item);

    expect(first.nextPageToken).not.toBeNull();
    expect(items).toHaveLength(2 + HISTORY_ROWS);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    const times = items.map((i) => i.timestamp);
    expect(times).toEqual([...times].sort().reverse());
    expect(items.slice(0, 3)).toEqual(first.items);
  });

  it("exports the range as CSV whose rows add up to the ledger", async () => {
    const csv = await owner.client.exportBillingReport({ agentId, from: today, to: today, format: "csv" });
    const records = parse(csv, { columns: true }) as Record<string, string>[];

    expect(records).toHaveLength(2 + HISTORY_ROWS);
    expect(records.filter((r) => r.conversationId === "live").reduce((sum, r) => sum + Number(r.costMicros), 0)).toBe(sentMicros);
    expect(records.every((r) => r.agentId === agentId && r.billable === "true")).toBe(true);
  });

  it("refuses to export someone else's agent, and for a signed-out user", async () => {
    const stranger = await signUp("sdk-export-stranger");
    const denied = await stranger.client.exportBillingReport({ agentId, from: today, to: today }).catch((e: unknown) => e);
    await signOut(stranger.client.auth);
    const signedOut = await stranger.client.exportBillingReport({ agentId, from: today, to: today }).catch((e: unknown) => e);

    expect(denied).toBeInstanceOf(BillingClientError);
    expect(denied).toMatchObject({ code: "permission-denied" });
    expect(signedOut).toMatchObject({ code: "unauthenticated" });
  });
});

describe("settings", () => {
  it("stores limits in micro-USD and refuses an unknown timezone, naming the field", async () => {
    const view = await owner.client.setAgentBillingSettings({
      agentId,
      dailyLimitUsd: 5,
      monthlyLimitUsd: 100.5,
      timezone: "Europe/Paris",
    });
    const error = await owner.client.setAgentBillingSettings({ agentId, timezone: "Mars/Olympus" }).catch((e: unknown) => e);
    const info = await owner.client.getBillingInfo(agentId);

    expect(view).toMatchObject({ dailyLimitMicros: 5_000_000, monthlyLimitMicros: 100_500_000, timezone: "Europe/Paris" });
    expect(error).toMatchObject({ code: "invalid-argument" });
    expect((error as Error).message).toMatch(/^timezone: /);
    expect(info.limits.daily.limitMicros).toBe(5_000_000);
  });
});
