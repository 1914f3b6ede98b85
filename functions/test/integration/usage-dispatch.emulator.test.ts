/**
 * Usage sent to Stripe exactly once: the rollup trigger (in the Functions emulator) writes the
 * outbox beside each row's marker; the dispatcher (handlers/usage-dispatch.ts, in the test process,
 * with the Admin SDK and an injected clock) sends it through the real `stripe` SDK to the local
 * Stripe the harness runs on 127.0.0.1:12111, whose record of what it received is compared with the
 * ledger: after a run that died, a storm of 429s and 5xx, and concurrent runs.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import type Stripe from "stripe";
import type { LedgerRow } from "../../src/domain/ledger";
import { UNSENT_ALARM_AGE_MS } from "../../src/domain/usage-report";
import { runBillingAlerts } from "../../src/handlers/alerts";
import { handleLedgerRowCreated } from "../../src/handlers/rollup";
import { dispatchUsage, type DispatchSummary } from "../../src/handlers/usage-dispatch";
import { stripeClient } from "../../src/stripe/client";
import { ensureUsageMeter } from "../../src/stripe/meter";
import { localStripeUrl } from "../../../scripts/local-env";
import type { ReceivedMeterEvent } from "../../../scripts/local-stripe";
import { adminDb, createUser, seedAgent, signingKey, waitFor } from "../helpers/emulator";
import { writeLedgerRow } from "../helpers/ledger";

const EVENT = "agent_billing_cost_micros";
const HOUR_MS = 60 * 60_000;
let db: Firestore;
let stripe: Stripe;

interface StripeRecord {
  received: ReceivedMeterEvent[];
  deduplicated: ReceivedMeterEvent[];
  concurrentRefused: number;
}

const control = async <T = StripeRecord>(path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${localStripeUrl()}/_control/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  return (await res.json()) as T;
};

beforeAll(async () => {
  db = adminDb();
  stripe = stripeClient({ apiKey: "sk_test_usage_dispatch", baseUrl: localStripeUrl() });
  await ensureUsageMeter(stripe, EVENT);
});

afterEach(async () => {
  await control("faults", { status: 0, count: 0 });
  await control("latency", { ms: 0 });
});

const dispatch = (owners: string | string[], now = Date.now()): Promise<DispatchSummary> =>
  dispatchUsage({ db, stripe, meterEventName: EVENT, now: () => now, random: () => 0.5, eventsPerSecond: 500, owners: [owners].flat() });

/** An owner and agent with `production` billed rows and `development` free ones, rolled up (so in the outbox). */
async function ownerWithRows(name: string, production: number, development = 0) {
  const owner = await createUser(name);
  const agentId = await seedAgent(owner.uid);
  const rows: { id: string; row: LedgerRow }[] = [];
  for (let i = 0; i < production + development; i++) {
    const mode = i < production ? "production" : "development";
    rows.push(await writeLedgerRow(db, { agentId, userId: owner.uid, mode, prompt: 100 + i, completion: 40 + i }, signingKey()));
  }
  await waitFor(
    async () => (await db.collection("billing_rollup_markers").where("agentId", "==", agentId).count().get()).data().count === rows.length,
    `rollups of ${name}`,
  );
  return { uid: owner.uid, agentId, billed: rows.filter((r) => r.row.mode === "production"), rows };
}

const outboxOf = async (uid: string) => (await db.collection("billing_outbox").where("userId", "==", uid).get()).docs.map((d) => d.data());
const customerOf = async (uid: string): Promise<string> => (await db.doc(`billing_accounts/${uid}`).get()).get("stripeCustomerId");

/** What the local Stripe accepted for this customer, and how many it refused as duplicates. */
async function stripeSide(customer: string) {
  const all = await control("meter_events");
  return {
    received: all.received.filter((e) => e.customer === customer),
    deduplicated: all.deduplicated.filter((e) => e.customer === customer).length,
  };
}

/** Dispatch until the owner's outbox is empty of due entries, moving the clock past every backoff. */
async function dispatchUntilSent(uid: string, from: number, runs = 20) {
  let now = from;
  const summaries: DispatchSummary[] = [];
  for (let i = 0; i < runs; i++) {
    summaries.push(await dispatch(uid, now));
    if ((await outboxOf(uid)).every((e) => e.state !== "pending")) return summaries;
    now += 2 * HOUR_MS;
  }
  throw new Error(`outbox of ${uid} still pending after ${runs} runs`);
}

const expectExactlyTheLedger = (received: ReceivedMeterEvent[], billed: { id: string; row: LedgerRow }[]) => {
  expect(received.map((e) => e.identifier).sort()).toEqual(billed.map((r) => r.id).sort());
  expect(received.reduce((s, e) => s + e.value, 0)).toBe(billed.reduce((s, r) => s + r.row.costMicros, 0));
  for (const r of billed) {
    const event = received.find((e) => e.identifier === r.id)!;
    expect([event.value, event.timestamp, event.event_name]).toEqual([
      r.row.costMicros,
      Math.floor(Date.parse(r.row.timestamp) / 1000),
      EVENT,
    ]);
  }
};

describe("the outbox", () => {
  it("holds one entry per billed production row, written with its rollup, none for development; a second delivery adds none", async () => {
    const { uid, billed, rows } = await ownerWithRows("outbox", 3, 2);
    for (const r of rows) expect(await handleLedgerRowCreated(db, signingKey(), r.id, r.row)).toBe("duplicate");
    const entries = await outboxOf(uid);
    expect(entries.map((e) => e.rowId).sort()).toEqual(billed.map((r) => r.id).sort());
    for (const e of entries) {
      const r = billed.find((b) => b.id === e.rowId)!;
      expect([e.state, e.attempts, e.costMicros, e.identifier, (e.timestamp as Timestamp).toMillis()]).toEqual([
        "pending",
        0,
        r.row.costMicros,
        r.id,
        Date.parse(r.row.timestamp),
      ]);
    }
  });
});

describe("the dispatcher", () => {
  it("sends every billed row once, as the ledger has it, creating the owner's customer; a second run sends nothing", async () => {
    const { uid, billed } = await ownerWithRows("dispatch", 5, 1);
    const first = await dispatch(uid);
    expect([first.due, first.sent, first.deduplicated, first.retried, first.failed, first.customersCreated]).toEqual([5, 5, 0, 0, 0, 1]);
    expect(first.lagsMs.every((ms) => ms >= 0)).toBe(true);
    const customer = await customerOf(uid);
    expect(customer).toMatch(/^cus_/);
    expect(((await stripe.customers.retrieve(customer)) as Stripe.Customer).metadata).toEqual({ firebaseUID: uid });
    expectExactlyTheLedger((await stripeSide(customer)).received, billed);
    expect((await outboxOf(uid)).every((e) => e.state === "sent" && e.customerId === customer && e.deduplicated === false)).toBe(true);

    const second = await dispatch(uid);
    expect([second.due, second.sent, second.customersCreated]).toEqual([0, 0, 0]);
    expect((await stripeSide(customer)).received).toHaveLength(5);
  });

  it("uses the invertase extension's customer where that extension is installed", async () => {
    const { uid, billed } = await ownerWithRows("extension-customer", 2);
    const customer = await stripe.customers.create({ metadata: { firebaseUID: uid } });
    await db.doc(`customers/${uid}`).set({ stripeId: customer.id, email: null });
    const summary = await dispatch(uid);
    expect([summary.sent, summary.customersCreated]).toEqual([2, 0]);
    expectExactlyTheLedger((await stripeSide(customer.id)).received, billed);
  });

  it("after a run that died between Stripe's answer and its record, resends under the same identifier: refused as a duplicate, counted once", async () => {
    const { uid, billed } = await ownerWithRows("crash", 4);
    await dispatch(uid);
    const customer = await customerOf(uid);
    // What a run that died leaves: Stripe has the events, the outbox still says pending.
    for (const r of billed.slice(0, 2)) await db.doc(`billing_outbox/${r.id}`).update({ state: "pending" });
    const again = await dispatch(uid);
    expect([again.due, again.sent, again.deduplicated]).toEqual([2, 2, 2]);
    const side = await stripeSide(customer);
    expect(side.deduplicated).toBe(2);
    expectExactlyTheLedger(side.received, billed);
    const entries = await outboxOf(uid);
    expect(
      entries
        .filter((e) => e.deduplicated === true)
        .map((e) => e.rowId)
        .sort(),
    ).toEqual(
      billed
        .slice(0, 2)
        .map((r) => r.id)
        .sort(),
    );
  });

  it("rides out a storm of 429s and 5xx with backoff, and every row reaches Stripe exactly once", async () => {
    const { uid, billed } = await ownerWithRows("storm", 6);
    // The customer exists already, so every faulted answer is a meter event's.
    const customer = await stripe.customers.create({ metadata: { firebaseUID: uid } });
    await db.doc(`billing_accounts/${uid}`).set({ userId: uid, stripeCustomerId: customer.id });
    const start = Date.now();
    const faultedBefore = (await control<{ faulted: number }>("meter_events")).faulted;
    await control("faults", { status: 429, count: 2 });
    const first = await dispatch(uid, start);
    expect([first.sent, first.retried]).toEqual([0, 1]);
    const waiting = (await outboxOf(uid)).filter((e) => e.attempts === 1);
    expect(waiting).toHaveLength(1);
    expect([waiting[0].state, waiting[0].lastError]).toEqual(["pending", expect.stringMatching(/^429 /)]);
    // Backoff: due again 22.5 s later (the first 30 s, spread by random 0.5), not at once.
    expect((waiting[0].nextAttemptAt as Timestamp).toMillis()).toBe(start + 22_500);
    const second = await dispatch(uid, start + 1_000);
    expect([second.due, second.sent, second.retried]).toEqual([5, 0, 1]);
    await control("faults", { status: 503, count: 3 });
    const runs = await dispatchUntilSent(uid, start + HOUR_MS);
    expect(runs.reduce((s, r) => s + r.failed, 0)).toBe(0);
    // Each fault was one retry, none more: 2 × 429 and 3 × 503.
    expect(first.retried + second.retried + runs.reduce((s, r) => s + r.retried, 0)).toBe(5);
    expect((await control<{ faulted: number }>("meter_events")).faulted - faultedBefore).toBe(5);
    const side = await stripeSide(customer.id);
    expectExactlyTheLedger(side.received, billed);
    expect(side.deduplicated).toBe(0);
    const entries = await outboxOf(uid);
    expect(entries.every((e) => e.state === "sent")).toBe(true);
    expect(entries.reduce((s, e) => s + e.attempts, 0)).toBe(billed.length + 5);
  });

  it("keeps one call in flight per customer, with two owners' queues in one run", async () => {
    const a = await ownerWithRows("in-flight-a", 6);
    const b = await ownerWithRows("in-flight-b", 6);
    await control("latency", { ms: 40 });
    const before = (await control("meter_events")).concurrentRefused;
    const run = await dispatch([a.uid, b.uid]);
    expect([run.sent, run.retried]).toEqual([12, 0]);
    // The local Stripe answers a second call in flight for a customer and meter with 429: none came.
    expect((await control("meter_events")).concurrentRefused).toBe(before);
    expectExactlyTheLedger((await stripeSide(await customerOf(a.uid))).received, a.billed);
    expectExactlyTheLedger((await stripeSide(await customerOf(b.uid))).received, b.billed);
  });

  it("runs one at a time: a run that starts while another holds the lease does nothing", async () => {
    const { uid, billed } = await ownerWithRows("lease", 4);
    await control("latency", { ms: 100 });
    const [first, second] = await Promise.all([dispatch(uid), new Promise((r) => setTimeout(r, 50)).then(() => dispatch(uid))]);
    expect([first.skipped, first.sent]).toEqual([false, 4]);
    expect([second.skipped, second.sent]).toEqual([true, 0]);
    expectExactlyTheLedger((await stripeSide(await customerOf(uid))).received, billed);
  });

  it("never retries a refused event: it fails with a billing failure, and the alert scheduler reports it", async () => {
    const { uid, agentId, billed } = await ownerWithRows("refused", 2);
    await db.doc(`billing_accounts/${uid}`).set({ userId: uid, stripeCustomerId: "cus_unknown" });
    // Two days ahead, so the alert run below is later than any this emulator session has recorded.
    const now = Date.now() + 2 * 24 * HOUR_MS;
    const first = await dispatch(uid, now);
    expect([first.sent, first.failed, first.retried]).toEqual([0, 2, 0]);
    const entries = await outboxOf(uid);
    expect(entries.every((e) => e.state === "failed" && /^400 .*No such customer/.test(e.lastError))).toBe(true);
    for (const r of billed) {
      const failure = await db.doc(`billing_failures/${r.id}:usage-report`).get();
      expect([failure.get("stage"), failure.get("agentId"), failure.get("charged")]).toEqual(["usage-report", agentId, true]);
    }
    expect((await dispatch(uid, now + 2 * HOUR_MS)).due).toBe(0);
    expect((await stripeSide("cus_unknown")).received).toHaveLength(0);

    await runBillingAlerts({
      db,
      now: () => now + 60_000,
      webhookSecret: "unused",
      anomalyMinTokens: 10_000,
      deliver: { allowLoopback: true },
    });
    const alerts = await db.collection("billing_alerts").where("agentId", "==", agentId).get();
    expect(alerts.docs.map((d) => [d.get("kind"), d.get("figures").failures])).toEqual([["billing-failure", 2]]);
  });

  it("alarms once on usage still unsent 30 days after its message", async () => {
    const { uid, billed } = await ownerWithRows("unsent", 2);
    const later = Date.parse(billed[1].row.timestamp) + UNSENT_ALARM_AGE_MS + 60_000;
    // Stripe unreachable for the whole month: every run is answered 503.
    await control("faults", { status: 503, count: 1_000 });
    const first = await dispatch(uid, later);
    const second = await dispatch(uid, later + HOUR_MS);
    expect([first.alarmed, second.alarmed]).toEqual([2, 0]);
    for (const r of billed) {
      const failure = await db.doc(`billing_failures/${r.id}:usage-unsent`).get();
      expect(failure.get("reason")).toMatch(/^usage not sent to Stripe 30 days after the message/);
    }
    expect((await outboxOf(uid)).every((e) => e.state === "pending" && e.alarmed === true)).toBe(true);
  });
});
