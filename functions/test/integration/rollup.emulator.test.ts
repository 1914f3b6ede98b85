/**
 * Rollups: exact, exactly-once totals per agent, per local day and per session.
 */
import type { Firestore } from "firebase-admin/firestore";
import { openAiAgentClient } from "../../src/agent/agent-client";
import type { SendMessageResponse } from "../../src/contract/send-message";
import type { SaveBillingSessionResponse } from "../../src/contract/sessions";
import type { LedgerRow } from "../../src/domain/ledger";
import { addDeltas, rollupsOf, type Deltas } from "../../src/domain/rollups";
import { handleLedgerRowCreated } from "../../src/handlers/rollup";
import { handleSendMessage, sendMessageDeps } from "../../src/handlers/send-message";
import { adminDb, call, createUser, LOCAL_AGENT, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, writeLedgerRow } from "../helpers/ledger";
import { dailyTotals, rollupTotals, summaryTotals } from "../helpers/rollups";

let owner: TestUser;
let db: Firestore;

beforeAll(async () => {
  owner = await createUser("rollup");
  db = adminDb();
});

const summaryOf = (agentId: string) => summaryTotals(db, agentId);

/** The agent's ledger rows, and what every rollup document must hold: the registry's deltas of those rows added up, by path. */
async function expectedRollups(agentId: string) {
  const snap = await db.collection("billable_conversations").where("agentId", "==", agentId).get();
  const rows = snap.docs.map((d) => d.data() as LedgerRow);
  const expected = new Map<string, Deltas>();
  for (const row of rows) {
    // The agent's own rollups: the owner's account day also holds the other agents of this file (account.emulator.test.ts checks it).
    for (const rollup of rollupsOf(row).filter((r) => r.scope === "agent")) {
      const path = `${rollup.collection}/${rollup.docId(row)}`;
      addDeltas(expected.get(path) ?? expected.set(path, {}).get(path)!, rollup.deltas(row));
    }
  }
  return { rows, expected };
}

async function waitForRollup(agentId: string, production: number, development: number) {
  await waitFor(
    async () => {
      const s = await summaryOf(agentId);
      return (s.totalMessages ?? 0) === production && (s.devMessages ?? 0) === development;
    },
    `summary of ${agentId} to count ${production}+${development} messages`,
    60_000,
  );
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

describe("concurrent traffic", () => {
  it("leaves the summary, daily bucket and sessions equal to the ledger sums exactly", async () => {
    const agentId = await seedAgent(owner.uid);
    const requests = Array.from({ length: 24 }, (_, i) => ({
      agentId,
      conversationId: `conv-${i % 3}`,
      message: `message ${i} [[tokens:${5 + i}]]`,
      testMode: i % 4 === 0 ? "development" : "production",
    }));
    await inBatches(requests, 8, async (r) => expect((await call("sendMessage", r, owner.idToken)).error).toBeUndefined());
    await waitForRollup(agentId, 18, 6);

    const { rows, expected } = await expectedRollups(agentId);
    // One summary, one day, three sessions; each holds the sums of its rows in every field the registry defines.
    expect(expected.size).toBe(5);
    for (const [path, totals] of expected) expect([path, await rollupTotals(db, path)]).toMatchObject([path, totals]);

    // The money, counted from the rows themselves, and the same figures across rollups.
    const summary = await summaryOf(agentId);
    const billed = rows.filter((r) => r.billable).reduce((a, r) => a + r.costMicros, 0);
    expect(summary).toMatchObject({ totalMessages: 18, devMessages: 6, totalCostMicros: billed });
    const day = rows[0].localDay;
    const daily = await dailyTotals(db, agentId, day);
    expect(daily.production).toMatchObject({ messages: 18, totalTokens: summary.totalTokens, costMicros: billed });
    expect(daily.development).toMatchObject({
      messages: 6,
      totalTokens: summary.devTokens,
      costMicros: 0,
      shadowCostMicros: summary.devShadowCostMicros,
    });
    expect(daily.byModel["gpt-4"].production.costMicros).toBe(billed);

    for (const conv of ["conv-0", "conv-1", "conv-2"]) {
      const mine = rows.filter((r) => r.conversationId === conv);
      const session = (await db.doc(`billing_sessions/${agentId}:${conv}`).get()).data()!;
      expect(session).toMatchObject({ messageCount: mine.length, agentId, userId: owner.uid });
    }
  });
});

describe("exactly once", () => {
  it("counts a row once when its trigger runs twice and concurrently", async () => {
    const agentId = await seedAgent(owner.uid);
    const { id, row } = makeLedgerRow({ agentId, userId: owner.uid, prompt: 120, completion: 80 }, signingKey());
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => handleLedgerRowCreated(db, signingKey(), id, row)));
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(3);
    const after = await summaryOf(agentId);
    expect(await handleLedgerRowCreated(db, signingKey(), id, row)).toBe("duplicate");
    expect(await summaryOf(agentId)).toEqual(after);
    expect(after).toMatchObject({ totalMessages: 1, totalTokens: 200, totalCostMicros: row.costMicros });
  });

  it("changes nothing when the platform delivers a written row a second time", async () => {
    const agentId = await seedAgent(owner.uid);
    const { id, row } = await writeLedgerRow(db, { agentId, userId: owner.uid }, signingKey());
    await waitForRollup(agentId, 1, 0);
    const before = await summaryOf(agentId);
    expect(await handleLedgerRowCreated(db, signingKey(), id, row)).toBe("duplicate");
    expect(await summaryOf(agentId)).toEqual(before);
  });

  it("refuses rows the backend did not write", async () => {
    const agentId = await seedAgent(owner.uid);
    const { id, row } = makeLedgerRow({ agentId, userId: owner.uid }, signingKey());
    const forged = [
      { ...row, costMicros: 0, cost: 0 },
      { ...row, sig: "forged" },
      { ...row, writer: "client" },
      { ...row, tokens: { ...row.tokens, total: 1 } },
    ];
    for (const data of forged) expect(await handleLedgerRowCreated(db, signingKey(), id, data)).toBe("refused");
    expect(await handleLedgerRowCreated(db, signingKey(), `${id}x`, row)).toBe("refused");
    expect((await db.doc(`agent_billing_summary/${agentId}`).get()).exists).toBe(false);
  });

  it("refuses a row whose model is named like an Object.prototype member, every time, so its trigger is not retried", async () => {
    const agentId = await seedAgent(owner.uid);
    for (const model of ["constructor", "toString", "valueOf", "hasOwnProperty"]) {
      const { id, row } = makeLedgerRow({ agentId, userId: owner.uid, model, mode: "development" }, signingKey());
      for (let run = 0; run < 2; run++)
        expect([model, await handleLedgerRowCreated(db, signingKey(), id, row)]).toEqual([model, "refused"]);
    }
    expect((await db.doc(`agent_billing_summary/${agentId}`).get()).exists).toBe(false);
  });
});

describe("local days", () => {
  const sendAt = (agentId: string, iso: string) =>
    handleSendMessage(
      sendMessageDeps(
        {
          db,
          agent: openAiAgentClient({ baseURL: LOCAL_AGENT, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 10_000, maxRetries: 0 }),
          signingKey: signingKey(),
          devDailyMessageCap: 500,
          userLimits: null,
        },
        { now: () => Date.parse(iso) },
      ),
      owner.uid,
      { agentId, conversationId: "night", message: "late night [[tokens:3]]", testMode: "production" },
    );

  it("puts messages around local midnight in the agent's day, across the end of DST", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { timezone: "America/New_York" } });
    const instants = {
      "2026-10-31T23:59:59-04:00": "2026-10-31", // EDT, last second of the day
      "2026-11-01T00:00:00-04:00": "2026-11-01", // first second of the 25-hour DST change day
      "2026-11-01T23:59:59-05:00": "2026-11-01", // EST now: already Nov 2 in UTC
      "2026-11-02T00:00:00-05:00": "2026-11-02",
    };
    for (const iso of Object.keys(instants)) await sendAt(agentId, iso);
    await waitForRollup(agentId, 4, 0);
    const days = await db.collection("agent_usage_daily").where("agentId", "==", agentId).get();
    const byDay = Object.fromEntries(
      await Promise.all(days.docs.map(async (d) => [d.get("day"), (await rollupTotals(db, d.ref.path)).production?.messages])),
    );
    expect(byDay).toEqual({ "2026-10-31": 1, "2026-11-01": 2, "2026-11-02": 1 });
    expect(days.docs.map((d) => d.id).sort()).toEqual(["2026-10-31", "2026-11-01", "2026-11-02"].map((d) => `${agentId}_${d}`));
  });
});

describe("saveBillingSession", () => {
  it("takes totals from the ledger and reports forged client totals", async () => {
    const agentId = await seedAgent(owner.uid);
    const sent: SendMessageResponse[] = [];
    for (const n of [4, 9]) {
      const res = await call<SendMessageResponse>(
        "sendMessage",
        { agentId, conversationId: "s", message: `hi [[tokens:${n}]]`, testMode: "production" },
        owner.idToken,
      );
      sent.push(res.result!);
    }
    const micros = sent.reduce((a, r) => a + r.costMicros, 0);
    const tokens = sent.reduce((a, r) => a + r.tokens.total, 0);
    const forged = {
      agentId,
      conversationId: "s",
      messages: 99,
      totalTokens: 1,
      totalCost: 0,
      testMode: "production",
      endedAt: "2026-11-26T10:00:00Z",
    };
    const first = await call<SaveBillingSessionResponse>("saveBillingSession", forged, owner.idToken);
    expect(first.error).toBeUndefined();
    expect(first.result!.session).toMatchObject({
      messageCount: 2,
      totalTokens: tokens,
      totalCostMicros: micros,
      endedAt: "2026-11-26T10:00:00.000Z",
    });
    expect(first.result!.mismatches.map((m) => m.field).sort()).toEqual(["messages", "totalCost", "totalTokens"]);

    const honest = { ...forged, messages: 2, totalTokens: tokens, totalCost: micros / 1e6 };
    const again = await call<SaveBillingSessionResponse>("saveBillingSession", honest, owner.idToken);
    expect(again.result!.mismatches).toEqual([]);
    expect(again.result!.session).toEqual(first.result!.session);

    await waitForRollup(agentId, 2, 0);
    const stored = (await db.doc(`billing_sessions/${agentId}:s`).get()).data()!;
    expect(stored).toMatchObject({ messageCount: 2, totalTokens: tokens, totalCostMicros: micros });
  });

  it("refuses another user's session with nothing written", async () => {
    const agentId = await seedAgent(owner.uid);
    const stranger = await createUser("stranger");
    const res = await call("saveBillingSession", { agentId, conversationId: "s", testMode: "production" }, stranger.idToken);
    expect(res.error?.status).toBe("PERMISSION_DENIED");
    expect((await db.doc(`billing_sessions/${agentId}:s`).get()).exists).toBe(false);
  });
});
