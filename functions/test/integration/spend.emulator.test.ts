/**
 * Hard limits at the store level against the Firestore emulator: concurrent admissions never admit
 * more than a limit allows and do admit what fits, settles record the real cost with the row,
 * expired holds stop counting and are swept.
 */
import { randomUUID } from "node:crypto";
import { SPEND_SHARDS } from "../../src/domain/admission";
import { readSpend, releaseHold, settleInto, sweepExpiredHolds, admit, type AdmissionCall } from "../../src/store/spend";
import { adminDb } from "../helpers/emulator";

const windows = { day: "2026-11-26", month: "2026-11" };
const NOW = Date.UTC(2026, 10, 26, 12);
const TTL = 240_000;

function call(agentId: string, over: Partial<AdmissionCall> = {}): AdmissionCall {
  return {
    agentId,
    reservationId: `${agentId}:conv:${randomUUID()}`,
    mode: "production",
    amountMicros: 100_000,
    limits: {},
    devDailyMessageCap: 500,
    windows,
    now: NOW,
    expiresAt: NOW + TTL,
    checkLimits: true,
    ...over,
  };
}

const newAgent = () => `agent-spend-${randomUUID().slice(0, 8)}`;

/** Every shard document of the agent that exists. */
async function shardDocs(agentId: string) {
  const db = adminDb();
  const snaps = await db.getAll(...Array.from({ length: SPEND_SHARDS }, (_, k) => db.doc(`billing_spend/${agentId}_${k}`)));
  return snaps.filter((s) => s.exists).map((s) => s.data()!);
}

const openHolds = async (agentId: string) => (await shardDocs(agentId)).flatMap((d) => Object.keys(d.holds ?? {}));

async function settle(c: AdmissionCall, actualMicros: number): Promise<void> {
  const db = adminDb();
  const batch = db.batch();
  settleInto(batch, db, { ...c, actualMicros });
  await batch.commit();
}

describe("admission under concurrency", () => {
  it("admits exactly what the daily limit allows out of 30 concurrent messages, then settles to the real cost", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const amount = 250_000;
    const limit = 1_100_000; // 4 worst cases fit, a 5th does not
    const calls = Array.from({ length: 30 }, () =>
      call(agentId, { amountMicros: amount, limits: { dailyMicros: limit, monthlyMicros: 10_000_000 } }),
    );
    const outcomes = await Promise.all(calls.map((c) => admit(db, c)));

    const admitted = calls.filter((_, i) => outcomes[i].ok);
    expect(admitted).toHaveLength(4);
    for (const o of outcomes.filter((o) => !o.ok)) expect(o).toMatchObject({ ok: false, reason: "daily-limit", limit });
    expect(await readSpend(db, agentId, windows, NOW)).toEqual({
      daySpentMicros: 0,
      dayReservedMicros: 4 * amount,
      monthSpentMicros: 0,
      monthReservedMicros: 4 * amount,
      devMessagesToday: 0,
    });
    expect((await openHolds(agentId)).sort()).toEqual(admitted.map((c) => c.reservationId).sort());

    const actuals = [120_000, 99_999, 1, 250_000];
    await Promise.all(admitted.map((c, i) => settle(c, actuals[i])));
    const spent = actuals.reduce((a, b) => a + b, 0);
    expect(await readSpend(db, agentId, windows, NOW)).toEqual({
      daySpentMicros: spent,
      dayReservedMicros: 0,
      monthSpentMicros: spent,
      monthReservedMicros: 0,
      devMessagesToday: 0,
    });
    expect(await openHolds(agentId)).toEqual([]);
  });

  it("holds the development cap hard under concurrency, and a release gives one message back", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const calls = Array.from({ length: 12 }, () => call(agentId, { mode: "development", amountMicros: 0, devDailyMessageCap: 5 }));
    const outcomes = await Promise.all(calls.map((c) => admit(db, c)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(outcomes.find((o) => !o.ok)).toMatchObject({ ok: false, reason: "dev-daily-cap", limit: 5 });
    expect((await readSpend(db, agentId, windows, NOW)).devMessagesToday).toBe(5);

    await releaseHold(db, calls[outcomes.findIndex((o) => o.ok)]);
    expect((await readSpend(db, agentId, windows, NOW)).devMessagesToday).toBe(4);
    expect(await admit(db, call(agentId, { mode: "development", amountMicros: 0, devDailyMessageCap: 5 }))).toEqual({ ok: true });
    expect(await admit(db, call(agentId, { mode: "development", amountMicros: 0, devDailyMessageCap: 5 }))).toMatchObject({
      ok: false,
      reason: "dev-daily-cap",
    });
  });

  it("refuses everything billable under a limit of 0, leaving no hold", async () => {
    const db = adminDb();
    const agentId = newAgent();
    expect(await admit(db, call(agentId, { amountMicros: 0, limits: { dailyMicros: 0 } }))).toEqual({
      ok: false,
      reason: "daily-limit",
      limit: 0,
      used: 0,
    });
    expect(await openHolds(agentId)).toEqual([]);
  });

  it("holds without reading on an agent without limits, and counts those holds once a limit applies", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const inFlight = await Promise.all([1, 2, 3].map(() => admit(db, call(agentId, { amountMicros: 400_000, checkLimits: false }))));
    expect(inFlight.every((o) => o.ok)).toBe(true);
    // A limit of $1 is set while the three run: their holds (1.2 $) already fill it.
    expect(await admit(db, call(agentId, { amountMicros: 1, limits: { dailyMicros: 1_000_000 } }))).toMatchObject({
      ok: false,
      reason: "daily-limit",
      used: 1_200_000,
    });
  });
});

describe("the spend shards", () => {
  it("keep ids with ':' and '.' as literal map keys", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const c = call(agentId, { reservationId: `${agentId}:conv.with.dots:m-1`, limits: { dailyMicros: 1_000_000 } });
    expect(await admit(db, c)).toEqual({ ok: true });
    expect(await openHolds(agentId)).toEqual([c.reservationId]);
    await releaseHold(db, c);
    expect(await readSpend(db, agentId, windows, NOW)).toMatchObject({ daySpentMicros: 0, dayReservedMicros: 0 });
  });
});

describe("expired holds", () => {
  it("stop counting at once, so a crashed request's hold gives its room back", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const limits = { dailyMicros: 150_000 };
    expect(await admit(db, call(agentId, { limits }))).toEqual({ ok: true });
    expect(await admit(db, call(agentId, { limits, now: NOW + TTL - 1 }))).toMatchObject({ ok: false, reason: "daily-limit" });
    expect(await admit(db, call(agentId, { limits, now: NOW + TTL, expiresAt: NOW + 2 * TTL }))).toEqual({ ok: true });
  });

  it("are swept for every agent by sweepExpiredHolds, which leaves live ones alone and can run twice", async () => {
    const db = adminDb();
    const [deadAgent, liveAgent] = [newAgent(), newAgent()];
    await admit(db, call(deadAgent));
    await admit(db, call(deadAgent));
    await admit(db, call(liveAgent, { expiresAt: NOW + 2 * TTL }));

    expect(await sweepExpiredHolds(db, NOW + TTL)).toBeGreaterThanOrEqual(2);
    expect(await openHolds(deadAgent)).toEqual([]);
    expect((await shardDocs(deadAgent)).every((d) => d.sweepAfter === undefined)).toBe(true);
    expect(await openHolds(liveAgent)).toHaveLength(1);
    expect(await sweepExpiredHolds(db, NOW + TTL)).toBe(0);
  });

  it("do not make a late settle count twice: the hold is simply gone and the cost is added once", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const c = call(agentId, { amountMicros: 300_000 });
    await admit(db, c);
    await sweepExpiredHolds(db, NOW + TTL);
    await settle(c, 200_000);
    expect(await readSpend(db, agentId, windows, NOW + TTL)).toMatchObject({
      daySpentMicros: 200_000,
      dayReservedMicros: 0,
      monthSpentMicros: 200_000,
    });
  });
});
