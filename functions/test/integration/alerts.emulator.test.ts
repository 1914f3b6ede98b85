/**
 * The alert scheduler's logic (runBillingAlerts) in the test process, with the Admin SDK against
 * the Firestore and Auth emulators and an injected clock: alerts raised exactly once, delivered
 * by mail, SMS and signed webhook, retried and recorded when the webhook fails; the month-end
 * forecast judged in the agent's local month.
 */
import { randomUUID } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import { slotStart, slotWindow } from "../../src/domain/alerts";
import { alertId } from "../../src/domain/ids";
import { localDay } from "../../src/base/periods";
import { verifyWebhookSignature } from "../../src/domain/webhook-signature";
import { alertSms } from "../../src/domain/alert-message";
import { mailIdFor, smsIdFor } from "../../src/handlers/deliver";
import { settleInto } from "../../src/store/spend";
import { runBillingAlerts, type AlertRunDeps } from "../../src/handlers/alerts";
import { billingAlerts } from "../../src/triggers/alerts";
import { adminAuth } from "../../../scripts/local-env";
import { adminDb, countWhere, createUser, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { writeLedgerRow } from "../helpers/ledger";
import { dailyTotals } from "../helpers/rollups";
import { startWebhookServer, type WebhookServer } from "../helpers/webhook-server";

const DAY_MS = 24 * 60 * 60_000;
let owner: TestUser;
let hooks: WebhookServer[] = [];

function webhookSecret(): string {
  const secret = process.env.WEBHOOK_SIGNING_SECRET;
  if (!secret) throw new Error("WEBHOOK_SIGNING_SECRET is not set: run under the emulator harness");
  return secret;
}

/** Runs the scheduler's logic at `now`, with fast webhook retries. */
const run = (now: number, deliver: AlertRunDeps["deliver"] = {}) =>
  runBillingAlerts({
    db: adminDb(),
    now: () => now,
    webhookSecret: webhookSecret(),
    anomalyMinTokens: 10_000,
    // The webhook receivers of these tests listen on loopback, as the emulator allows.
    deliver: { webhookBaseDelayMs: 5, allowLoopback: true, ...deliver },
  });

/** Pretends the previous run happened a minute before `now` (tests share the scheduler state). */
const lastRunBefore = (now: number) =>
  adminDb()
    .doc("billing_alert_runs/scheduler")
    .set({ lastRunAt: Timestamp.fromMillis(now - 60_000) });

/** Writes a daily bucket directly, as the rollup would have left it. */
async function writeBucket(
  agentId: string,
  userId: string,
  at: number,
  figures: { costMicros?: number; tokens?: number; devTokens?: number },
) {
  const day = localDay(at, "UTC");
  await adminDb()
    .doc(`agent_usage_daily/${agentId}_${day}`)
    .set({
      agentId,
      userId,
      day,
      production: { messages: 1, costMicros: figures.costMicros ?? 0, totalTokens: figures.tokens ?? 0 },
      development: { messages: 1, costMicros: 0, totalTokens: figures.devTokens ?? 0 },
      updatedAt: Timestamp.fromMillis(at),
    });
}

const alertDoc = async (id: string) => (await adminDb().doc(`billing_alerts/${id}`).get()).data();
const mailDoc = async (id: string) =>
  (
    await adminDb()
      .doc(`mail/${mailIdFor(id)}`)
      .get()
  ).data();

beforeAll(async () => {
  owner = await createUser("alerts");
  // Alert mail goes to a verified sign-in email only.
  await adminAuth().updateUser(owner.uid, { emailVerified: true });
});

afterEach(async () => {
  await Promise.all(hooks.map((h) => h.close()));
  hooks = [];
});

describe("daily-cost", () => {
  it("raises one alert and one mail however often the run repeats, concurrently too", async () => {
    const agentId = await seedAgent(owner.uid, { name: "Cost bot", billing: { dailyAlertMicros: 100_000 } });
    const key = signingKey();
    // gpt-4: 1,000 prompt x $30/M + 500 completion x $60/M = 60,000 micros per row.
    await writeLedgerRow(adminDb(), { agentId, userId: owner.uid, prompt: 1_000, completion: 500 }, key);
    await writeLedgerRow(adminDb(), { agentId, userId: owner.uid, prompt: 1_000, completion: 500 }, key);
    const now = Date.now();
    const day = localDay(now, "UTC");
    await waitFor(async () => (await dailyTotals(adminDb(), agentId, day)).production?.costMicros === 120_000, "rollup of both rows");

    await lastRunBefore(now);
    const first = await run(now);
    await run(now);
    await Promise.all([run(now), run(now)]);

    const id = alertId(agentId, "daily-cost", day);
    expect(first.raised).toBeGreaterThanOrEqual(1);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(1);
    expect(await alertDoc(id)).toMatchObject({
      agentId,
      userId: owner.uid,
      kind: "daily-cost",
      window: day,
      figures: { day, costMicros: 120_000, thresholdMicros: 100_000 },
      delivery: { mail: "queued", webhook: "not-configured", attempts: 0, pending: false },
    });
    expect(await countWhere("mail", "to", owner.email)).toBe(1);
    const mail = await mailDoc(id);
    expect(mail?.to).toBe(owner.email);
    expect(mail?.message.subject).toContain("$0.12");
    expect(mail?.message.text).toContain(id);
  });

  it("stays quiet at or below the threshold", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 500_000 } });
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { costMicros: 500_000, tokens: 100 });
    await lastRunBefore(now);
    await run(now);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(0);
  });
});

describe("delivery", () => {
  it("sends the mail to the owner's verified email, never to an unconfirmed alertEmail, and a signed webhook once", async () => {
    const hook = await startWebhookServer(204);
    hooks.push(hook);
    const alertEmail = `ops-${randomUUID().slice(0, 8)}@example.com`;
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 1, alertEmail, webhookUrl: hook.url } });
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { costMicros: 2_000_000, tokens: 50 });
    await lastRunBefore(now);
    await Promise.all([run(now), run(now)]);
    await run(now);

    const id = alertId(agentId, "daily-cost", localDay(now, "UTC"));
    expect(hook.received).toHaveLength(1);
    const [request] = hook.received;
    expect(request.method).toBe("POST");
    expect(request.headers["x-billing-alert-id"]).toBe(id);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(verifyWebhookSignature(request.body, request.headers["x-billing-signature"] as string, webhookSecret())).toBe(true);
    expect(verifyWebhookSignature(request.body, request.headers["x-billing-signature"] as string, "another-secret")).toBe(false);
    expect(JSON.parse(request.body)).toMatchObject({
      type: "billing.alert",
      id,
      kind: "daily-cost",
      agentId,
      figures: { costMicros: 2_000_000, thresholdMicros: 1 },
    });
    expect((await alertDoc(id))?.delivery).toEqual({
      mail: "queued",
      sms: "not-configured",
      webhook: "delivered",
      attempts: 1,
      pending: false,
      leaseUntil: 0,
    });
    // alertEmail is whatever the owner typed: mailing it would relay the project's mail to strangers.
    expect((await mailDoc(id))?.to).toBe(owner.email);
    expect(await countWhere("mail", "to", alertEmail)).toBe(0);
  });

  it("writes no mail for an owner without a verified email", async () => {
    const unverified = await createUser("unverified");
    const agentId = await seedAgent(unverified.uid, { billing: { dailyAlertMicros: 1, alertEmail: "stranger@example.com" } });
    const now = Date.now();
    await writeBucket(agentId, unverified.uid, now, { costMicros: 10, tokens: 5 });
    await lastRunBefore(now);
    await run(now);

    const id = alertId(agentId, "daily-cost", localDay(now, "UTC"));
    expect((await alertDoc(id))?.delivery).toMatchObject({ mail: "no-recipient", pending: false });
    expect(await mailDoc(id)).toBeUndefined();
    expect(await countWhere("mail", "to", "stranger@example.com")).toBe(0);
  });

  it("retries a failing webhook the configured number of times, records it, and still writes the mail", async () => {
    const hook = await startWebhookServer(500);
    hooks.push(hook);
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 1, webhookUrl: hook.url } });
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { costMicros: 10, tokens: 5 });
    await lastRunBefore(now);
    await run(now, { webhookAttempts: 3 });
    await run(now, { webhookAttempts: 3 });

    const id = alertId(agentId, "daily-cost", localDay(now, "UTC"));
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
    expect((await alertDoc(id))?.delivery).toEqual({
      mail: "queued",
      sms: "not-configured",
      webhook: "failed",
      attempts: 3,
      lastError: "HTTP 500",
      pending: false,
      leaseUntil: 0,
    });
    expect((await mailDoc(id))?.to).toBe(owner.email);
  });

  it.each([
    // A public-looking name that resolves to loopback, as 127.0.0.1.nip.io does.
    ["https://127.0.0.1.nip.io/x", async () => ["127.0.0.1"], "webhook host resolves to a non-public address (127.0.0.1)", true],
    [
      "https://hooks.example.com/x",
      async () => ["93.184.216.34", "fd00::1"],
      "webhook host resolves to a non-public address (fd00::1)",
      true,
    ],
    // Set while the emulator allowed loopback, delivered by a deployment that does not.
    ["http://127.0.0.1:9/x", async () => ["127.0.0.1"], "webhook URL must be an https:// URL", false],
  ])("never posts to %s: the alert records why, the mail still goes", async (webhookUrl, resolveHost, lastError, allowLoopback) => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 1, webhookUrl } });
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { costMicros: 10, tokens: 5 });
    await lastRunBefore(now);
    const posted: string[] = [];
    const post = async (req: { url: string }) => {
      posted.push(req.url);
      return { status: 200 };
    };
    await run(now, { resolveHost, allowLoopback, post });

    const id = alertId(agentId, "daily-cost", localDay(now, "UTC"));
    expect(posted).toEqual([]);
    expect((await alertDoc(id))?.delivery).toMatchObject({ mail: "queued", webhook: "failed", attempts: 0, lastError, pending: false });
  });

  it("posts to the address it checked, never to what the name resolves to later (DNS rebinding)", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 1, webhookUrl: "https://hooks.example.com/x" } });
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { costMicros: 10, tokens: 5 });
    await lastRunBefore(now);
    const posted: { url: string; address: string | null }[] = [];
    const post = async (req: { url: string; address: string | null }) => {
      posted.push({ url: req.url, address: req.address });
      return { status: 204 };
    };
    await run(now, { resolveHost: async () => ["93.184.216.34", "2606:2800:220:1::1"], allowLoopback: false, post });
    expect(posted).toEqual([{ url: "https://hooks.example.com/x", address: "93.184.216.34" }]);
    expect((await alertDoc(alertId(agentId, "daily-cost", localDay(now, "UTC"))))?.delivery).toMatchObject({ webhook: "delivered" });
  });

  it("delivers on the next run what a failed run left pending, without a second alert", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 1 } });
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { costMicros: 10, tokens: 5 });
    await lastRunBefore(now);
    const broken = async () => {
      throw new Error("auth lookup down");
    };
    await run(now, { ownerEmail: broken });
    const id = alertId(agentId, "daily-cost", localDay(now, "UTC"));
    expect((await alertDoc(id))?.delivery).toMatchObject({ mail: "pending", pending: true, leaseUntil: 0 });
    expect(await mailDoc(id)).toBeUndefined();

    await run(now);
    expect((await alertDoc(id))?.delivery).toMatchObject({ mail: "queued", pending: false });
    expect((await mailDoc(id))?.to).toBe(owner.email);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(1);
  });

  it("leaves an alert leased by another run alone until the lease expires", async () => {
    const agentId = await seedAgent(owner.uid);
    const now = Date.now();
    const id = alertId(agentId, "daily-cost", localDay(now, "UTC"));
    await adminDb()
      .doc(`billing_alerts/${id}`)
      .create({
        agentId,
        userId: owner.uid,
        kind: "daily-cost",
        window: localDay(now, "UTC"),
        figures: { costMicros: 10, thresholdMicros: 1 },
        createdAt: Timestamp.fromMillis(now),
        delivery: { mail: "pending", webhook: "not-configured", attempts: 0, pending: true, leaseUntil: now + 60 * 60_000 },
      });
    await lastRunBefore(now);
    await run(now);
    expect(await mailDoc(id)).toBeUndefined();

    const later = now + 61 * 60_000;
    await lastRunBefore(later);
    await run(later);
    expect((await mailDoc(id))?.to).toBe(owner.email);
    expect((await alertDoc(id))?.delivery.pending).toBe(false);
  });
});

describe("usage-anomaly", () => {
  async function agentWithHistory(history: number, today: number): Promise<string> {
    const agentId = await seedAgent(owner.uid);
    const now = Date.now();
    await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        writeBucket(agentId, owner.uid, now - (i + 1) * DAY_MS, { tokens: history / 2, devTokens: history / 2 }),
      ),
    );
    await writeBucket(agentId, owner.uid, now, { tokens: today });
    return agentId;
  }

  it("fires on a spike and stays quiet on a steady agent and on a quiet agent", async () => {
    const spike = await agentWithHistory(20_000, 200_000);
    const steady = await agentWithHistory(20_000, 24_000);
    const quiet = await agentWithHistory(100, 9_000);
    const now = Date.now();
    await lastRunBefore(now);
    await run(now);
    await run(now);

    const day = localDay(now, "UTC");
    expect(await countWhere("billing_alerts", "agentId", spike)).toBe(1);
    expect(await alertDoc(alertId(spike, "usage-anomaly", day))).toMatchObject({
      kind: "usage-anomaly",
      figures: { todayTokens: 200_000, baselineMeanTokens: 20_000, baselineActiveDays: 14, multiplier: 3, minTodayTokens: 10_000 },
    });
    expect(await countWhere("billing_alerts", "agentId", steady)).toBe(0);
    expect(await countWhere("billing_alerts", "agentId", quiet)).toBe(0);
  });

  it("stays quiet for a new agent with no history", async () => {
    const agentId = await seedAgent(owner.uid);
    const now = Date.now();
    await writeBucket(agentId, owner.uid, now, { tokens: 900_000 });
    await lastRunBefore(now);
    await run(now);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(0);
  });
});

describe("billing-failure", () => {
  const writeFailure = (agentId: string, at: number, charged = false) =>
    adminDb()
      .doc(`billing_failures/${agentId}:conv:${randomUUID()}:agent-call`)
      .set({
        agentId,
        userId: owner.uid,
        messageId: randomUUID(),
        stage: "agent-call",
        reason: "HTTP 500",
        charged,
        createdAt: Timestamp.fromMillis(at),
      });

  it("reports each failure in exactly one alert per agent and run window", async () => {
    const agentId = await seedAgent(owner.uid);
    const t = slotStart(Date.now()) + 5 * 60_000;
    await Promise.all([writeFailure(agentId, t - 1_000), writeFailure(agentId, t - 500, true)]);
    await lastRunBefore(t);
    await run(t);
    await run(t);

    const id = alertId(agentId, "billing-failure", slotWindow(t));
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(1);
    expect(await alertDoc(id)).toMatchObject({ kind: "billing-failure", window: slotWindow(t), figures: { failures: 2, charged: 1 } });
    expect(await countWhere("billing_failures", "alertId", id)).toBe(2);

    // A new failure seen by a second run in the same slot waits for the next slot's alert.
    await writeFailure(agentId, t + 1_000);
    await run(t + 2_000);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(1);

    const next = t + 15 * 60_000;
    await run(next);
    await run(next);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(2);
    expect((await alertDoc(alertId(agentId, "billing-failure", slotWindow(next))))?.figures).toMatchObject({ failures: 1, charged: 0 });
    expect(await countWhere("billing_failures", "alertId", id)).toBe(2);
  });
});

describe("the scheduled function", () => {
  it("is scheduled every 15 minutes and runs the same logic", async () => {
    expect(billingAlerts.__endpoint.scheduleTrigger).toMatchObject({ schedule: "every 15 minutes" });
    process.env.ALERT_ANOMALY_MIN_TOKENS = "10000";
    const before = Date.now();
    await lastRunBefore(before);
    await billingAlerts.run({ scheduleTime: new Date(before).toISOString() });
    const lastRun = (await adminDb().doc("billing_alert_runs/scheduler").get()).get("lastRunAt") as Timestamp;
    expect(lastRun.toMillis()).toBeGreaterThanOrEqual(before);
  });
});

describe("monthly-forecast", () => {
  // A fixed clock, so the day of the month is known: 2026-11-10 12:00 UTC, day 10 of 30.
  const NOW = Date.UTC(2026, 10, 10, 12);
  // Unique to this run: other files (the console's browser test) alert to phones of their own.
  const PHONE = `+1555${String(Date.now()).slice(-7)}`;

  /** Settles production spend into the agent's spend windows, as sendMessage's ledger batch does. */
  async function spend(agentId: string, day: string, micros: number) {
    const batch = adminDb().batch();
    const entry = {
      agentId,
      reservationId: `forecast-${randomUUID()}`,
      mode: "production" as const,
      windows: { day, month: day.slice(0, 7) },
    };
    settleInto(batch, adminDb(), { ...entry, actualMicros: micros });
    await batch.commit();
  }

  it("raises one alert per local month, by mail and SMS, however often the run repeats", async () => {
    const agentId = await seedAgent(owner.uid, { name: "Pace bot", billing: { monthlyLimitMicros: 3_000_000, alertPhone: PHONE } });
    await spend(agentId, "2026-11-04", 1_000_000);
    await spend(agentId, "2026-11-10", 500_000);
    await writeBucket(agentId, owner.uid, NOW, { costMicros: 500_000 });
    await lastRunBefore(NOW);
    await run(NOW);
    await Promise.all([run(NOW), run(NOW)]);

    const id = alertId(agentId, "monthly-forecast", "2026-11");
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(1);
    const alert = await alertDoc(id);
    expect(alert).toMatchObject({
      kind: "monthly-forecast",
      window: "2026-11",
      // 1.5 spent by day 10 of 30: 4.5 by month end, the 3.00 limit reached on day 20.
      figures: {
        month: "2026-11",
        monthToDateMicros: 1_500_000,
        projectedMicros: 4_500_000,
        monthlyLimitMicros: 3_000_000,
        limitReachedDay: 20,
        dayOfMonth: 10,
        daysInMonth: 30,
      },
      delivery: { mail: "queued", sms: "queued", webhook: "not-configured", pending: false },
    });
    expect((await mailDoc(id))?.message.subject).toBe("Billing alert: 2026-11 is on pace for $4.50, over your $3.00 monthly limit");
    const sms = (
      await adminDb()
        .doc(`sms/${smsIdFor(id)}`)
        .get()
    ).data();
    expect(sms).toEqual({
      to: PHONE,
      body: alertSms({ id, agentId, kind: "monthly-forecast", window: "2026-11", figures: alert?.figures, createdAt: NOW }),
    });
    expect(await countWhere("sms", "to", PHONE)).toBe(1);
  });

  it("stays quiet under the pace, and for an agent without a monthly limit", async () => {
    const under = await seedAgent(owner.uid, { billing: { monthlyLimitMicros: 3_000_000 } });
    const unlimited = await seedAgent(owner.uid, {});
    await spend(under, "2026-11-10", 1_000_000); // 1.0 x 30 / 10 = 3.0: at the limit, not over
    await spend(unlimited, "2026-11-10", 9_000_000);
    for (const agentId of [under, unlimited]) await writeBucket(agentId, owner.uid, NOW, { costMicros: 1 });
    await lastRunBefore(NOW);
    await run(NOW);
    expect(await countWhere("billing_alerts", "agentId", under)).toBe(0);
    expect(await countWhere("billing_alerts", "agentId", unlimited)).toBe(0);
  });

  it("counts the agent's local month: on Nov 30 in UTC it is already Dec 1 at UTC+14", async () => {
    const at = Date.UTC(2026, 10, 30, 12);
    const agentId = await seedAgent(owner.uid, { billing: { monthlyLimitMicros: 3_000_000, timezone: "Pacific/Kiritimati" } });
    await spend(agentId, "2026-11-30", 2_900_000); // last month's, locally: not counted
    await writeBucket(agentId, owner.uid, at, { costMicros: 1 });
    await lastRunBefore(at);
    await run(at);
    expect(await countWhere("billing_alerts", "agentId", agentId)).toBe(0);
    // Half the limit on the local month's first day is reported at once.
    await spend(agentId, "2026-12-01", 1_500_000);
    await lastRunBefore(at);
    await run(at);
    expect(await alertDoc(alertId(agentId, "monthly-forecast", "2026-12"))).toMatchObject({
      figures: { month: "2026-12", monthToDateMicros: 1_500_000, dayOfMonth: 1, daysInMonth: 31, projectedMicros: 46_500_000 },
      delivery: { sms: "not-configured" },
    });
  });
});
