/**
 * Hard limits at the store level against the Firestore emulator: concurrent reservations never
 * admit more than a limit allows, settles record the real cost, expired holds are swept.
 */
import { randomUUID } from "node:crypto";
import { mapWithConcurrency } from "../../src/base/pool";
import { readSpend, releaseSpend, reserveSpend, settleSpend, sweepExpiredReservations, type ReserveRequest } from "../../src/store/spend";
import { adminDb } from "../helpers/emulator";

const windows = { day: "2026-11-26", month: "2026-11" };
const NOW = Date.UTC(2026, 10, 26, 12);
const TTL = 240_000;

function request(agentId: string, over: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    agentId,
    reservationId: `${agentId}:conv:${randomUUID()}`,
    mode: "production",
    amountMicros: 100_000,
    limits: {},
    devDailyMessageCap: 500,
    windows,
    now: NOW,
    ttlMs: TTL,
    ...over,
  };
}

const spendDoc = async (agentId: string) => (await adminDb().doc(`billing_spend/${agentId}`).get()).data();
const newAgent = () => `agent-spend-${randomUUID().slice(0, 8)}`;

describe("reserveSpend under concurrency", () => {
  it("admits exactly what the daily limit allows out of 30 concurrent requests, then settles to the real cost", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const amount = 250_000;
    const limit = 1_100_000; // 4 worst cases fit, a 5th does not
    const requests = Array.from({ length: 30 }, () =>
      request(agentId, { amountMicros: amount, limits: { dailyMicros: limit, monthlyMicros: 10_000_000 } }),
    );
    const outcomes = await mapWithConcurrency(requests, 10, (r) => reserveSpend(db, r));

    const admitted = requests.filter((_, i) => outcomes[i].ok);
    expect(admitted).toHaveLength(4);
    expect(admitted.length * amount).toBeLessThanOrEqual(limit);
    for (const o of outcomes.filter((o) => !o.ok)) expect(o).toEqual({ ok: false, reason: "daily-limit", limit, used: 4 * amount });
    expect(await readSpend(db, agentId, windows, NOW)).toEqual({
      daySpentMicros: 0,
      dayReservedMicros: 4 * amount,
      monthSpentMicros: 0,
      monthReservedMicros: 4 * amount,
      devMessagesToday: 0,
    });

    const actuals = [120_000, 99_999, 1, 250_000];
    await Promise.all(admitted.map((r, i) => settleSpend(db, { ...r, reservedMicros: amount, actualMicros: actuals[i] })));
    const spent = actuals.reduce((a, b) => a + b, 0);
    expect(await readSpend(db, agentId, windows, NOW)).toEqual({
      daySpentMicros: spent,
      dayReservedMicros: 0,
      monthSpentMicros: spent,
      monthReservedMicros: 0,
      devMessagesToday: 0,
    });
    expect((await spendDoc(agentId))?.reservations).toEqual({});
  });

  it("holds the development cap hard under concurrency, and a release gives one message back", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const requests = Array.from({ length: 12 }, () => request(agentId, { mode: "development", devDailyMessageCap: 5 }));
    const outcomes = await mapWithConcurrency(requests, 6, (r) => reserveSpend(db, r));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(outcomes.find((o) => !o.ok)).toEqual({ ok: false, reason: "dev-daily-cap", limit: 5, used: 5 });

    const first = requests[outcomes.findIndex((o) => o.ok)];
    await releaseSpend(db, { ...first, reservedMicros: 0 });
    expect((await readSpend(db, agentId, windows, NOW)).devMessagesToday).toBe(4);
    expect(await reserveSpend(db, request(agentId, { mode: "development", devDailyMessageCap: 5 }))).toEqual({ ok: true });
    expect(await reserveSpend(db, request(agentId, { mode: "development", devDailyMessageCap: 5 }))).toMatchObject({
      ok: false,
      reason: "dev-daily-cap",
    });
  });

  it("refuses everything billable under a limit of 0", async () => {
    const db = adminDb();
    const agentId = newAgent();
    expect(await reserveSpend(db, request(agentId, { amountMicros: 0, limits: { dailyMicros: 0 } }))).toEqual({
      ok: false,
      reason: "daily-limit",
      limit: 0,
      used: 0,
    });
    expect(await spendDoc(agentId)).toBeUndefined();
  });
});

describe("the spend document", () => {
  it("keeps reservation ids with ':' as literal map keys and releases a production hold", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const r = request(agentId, { reservationId: `${agentId}:conv.with.dots:m-1`, limits: { dailyMicros: 1_000_000 } });
    expect(await reserveSpend(db, r)).toEqual({ ok: true });
    expect(Object.keys((await spendDoc(agentId))?.reservations)).toEqual([r.reservationId]);
    await releaseSpend(db, { ...r, reservedMicros: r.amountMicros });
    expect(await readSpend(db, agentId, windows, NOW)).toMatchObject({ daySpentMicros: 0, dayReservedMicros: 0 });
  });

  it("prunes days and months before the current ones inside the reservation", async () => {
    const db = adminDb();
    const agentId = newAgent();
    await db.doc(`billing_spend/${agentId}`).set({
      agentId,
      days: { "2026-11-20": { spentMicros: 5, devMessages: 1 }, [windows.day]: { spentMicros: 7, devMessages: 0 } },
      months: { "2026-10": { spentMicros: 9 }, [windows.month]: { spentMicros: 7 } },
      reservations: {},
    });
    await reserveSpend(db, request(agentId));
    const doc = await spendDoc(agentId);
    expect(Object.keys(doc?.days)).toEqual([windows.day]);
    expect(Object.keys(doc?.months)).toEqual([windows.month]);
    expect(doc?.days[windows.day].spentMicros).toBe(7);
  });
});

describe("expired reservations", () => {
  it("are swept by the next reservation, giving their hold back", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const limits = { dailyMicros: 150_000 };
    const crashed = request(agentId, { limits });
    expect(await reserveSpend(db, crashed)).toEqual({ ok: true });
    expect(await reserveSpend(db, request(agentId, { limits, now: NOW + TTL - 1 }))).toMatchObject({ ok: false, reason: "daily-limit" });
    expect(await reserveSpend(db, request(agentId, { limits, now: NOW + TTL }))).toEqual({ ok: true });
    expect(Object.keys((await spendDoc(agentId))?.reservations)).not.toContain(crashed.reservationId);
  });

  it("are swept for every agent by sweepExpiredReservations, which leaves live ones alone", async () => {
    const db = adminDb();
    const [deadAgent, liveAgent] = [newAgent(), newAgent()];
    await reserveSpend(db, request(deadAgent));
    await reserveSpend(db, request(deadAgent));
    await reserveSpend(db, request(liveAgent, { now: NOW + TTL }));

    const swept = await sweepExpiredReservations(db, NOW + TTL);
    expect(swept).toBeGreaterThanOrEqual(2);
    const dead = await spendDoc(deadAgent);
    expect(dead?.reservations).toEqual({});
    expect(dead?.sweepAfter).toBeUndefined();
    expect(Object.keys((await spendDoc(liveAgent))?.reservations)).toHaveLength(1);
    expect(await readSpend(db, deadAgent, windows, NOW)).toMatchObject({ dayReservedMicros: 0 });
  });

  it("does not count a late settle's hold twice after a sweep (the entry is simply gone)", async () => {
    const db = adminDb();
    const agentId = newAgent();
    const r = request(agentId, { amountMicros: 300_000 });
    await reserveSpend(db, r);
    await sweepExpiredReservations(db, NOW + TTL);
    await settleSpend(db, { ...r, reservedMicros: 300_000, actualMicros: 200_000 });
    expect(await readSpend(db, agentId, windows, NOW + TTL)).toMatchObject({
      daySpentMicros: 200_000,
      dayReservedMicros: 0,
      monthSpentMicros: 200_000,
    });
  });
});
