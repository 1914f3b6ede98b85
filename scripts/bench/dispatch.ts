/**
 * Group `dispatch` (issue #17): usage sent to Stripe. 20 owners, each with an agent and 50 billed
 * production rows (fresh ids each run), written and rolled up in-process by the real rollup handler,
 * which creates their outbox entries; then the real dispatcher sends them through the `stripe` SDK
 * to the local Stripe the harness runs:
 * 1. one run at live mode's pace (1,000 events a second): events per second, the lag from each
 *    row's instant (just before it was written and rolled up) to its acceptance, and exactly once
 *    (what the local Stripe received for these customers is the ledger's rows, each once, value for
 *    value);
 * 2. fresh rows through a storm of 429s then 503s, run after run (the clock moved past every
 *    backoff) until nothing is due: exactly once, and one retry per faulted answer;
 * 3. test mode's pace (25 a second) on 100 more rows: the pace held.
 */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { dispatchUsage, type DispatchSummary } from "../../functions/src/handlers/usage-dispatch";
import { localSigningKey, localStripeUrl } from "../local-env";
import { ledgerRowOf, seededRandom, type SeedRow } from "../seed-traffic";
import { localStripe, METER_EVENT, notExactlyOnce, receivedFor } from "../stripe-received";
import { withoutBackendLogs, withTriggersDisabled } from "./env";
import type { Figure } from "./report";
import { seedRows } from "./seed-ledger";
import { percentile } from "./stats";

const OWNERS = 20;
const ROWS_PER_OWNER = 50;
const HOUR_MS = 60 * 60_000;

/** Fresh owners and their billed rows, written and rolled up (so in the outbox). */
async function seedOwners(db: Firestore, owners: number, perOwner: number, run: string): Promise<{ uids: string[]; rows: SeedRow[] }> {
  const uids = Array.from({ length: owners }, (_, i) => `bench-dispatch-${run}-${i}`);
  const random = seededRandom(run);
  const now = Date.now();
  const rows = uids.flatMap((uid, o) =>
    Array.from({ length: perOwner }, (_, i) =>
      ledgerRowOf(
        {
          agentId: `bench-dispatch-${run}-agent-${o}`,
          userId: uid,
          conversationId: `c-${Math.floor(i / 10)}`,
          messageId: `m-${i}`,
          mode: "production",
          model: i % 2 ? "gpt-4o-mini" : "gpt-4",
          prompt: 20 + Math.floor(random() * 800),
          completion: 10 + Math.floor(random() * 400),
          cached: 0,
          at: new Date(now - (perOwner - i)),
          timezone: "UTC",
          userMessage: `dispatch ${i}`,
          agentResponse: `answer ${i}`,
          latencyMs: 100,
        },
        localSigningKey(),
      ),
    ),
  );
  await withTriggersDisabled(() => withoutBackendLogs(() => seedRows(db, rows, localSigningKey())));
  return { uids, rows };
}

const control = (path: string, body: unknown) =>
  fetch(`${localStripeUrl()}/_control/${path}`, { method: "POST", body: JSON.stringify(body) });

/** Each row once, value for value, among what the owners' customers received. */
async function exactlyOnce(db: Firestore, uids: string[], rows: SeedRow[]): Promise<{ ok: boolean; received: number }> {
  const received = await receivedFor(db, uids);
  return { ok: notExactlyOnce(received, new Map(rows.map((r) => [r.id, r.row.costMicros]))) === 0, received: received.length };
}

const faultedSoFar = async () => ((await (await fetch(`${localStripeUrl()}/_control/meter_events`)).json()) as { faulted: number }).faulted;

export async function measureDispatch(db: Firestore): Promise<Figure[]> {
  const run = randomUUID().slice(0, 8);
  const stripe = await localStripe();
  const dispatch = (owners: string[], eventsPerSecond: number, now: () => number = Date.now) =>
    dispatchUsage({ db, stripe, meterEventName: METER_EVENT, now, eventsPerSecond, owners });

  // 1. Live mode's pace, nothing in the way: throughput and lag.
  const clean = await seedOwners(db, OWNERS, ROWS_PER_OWNER, run);
  const t1 = performance.now();
  const first = await dispatch(clean.uids, 1_000);
  const throughput = first.sent / ((performance.now() - t1) / 1000);
  const cleanOnce = await exactlyOnce(db, clean.uids, clean.rows);

  // 2. Through a storm: 429s, then 503s, the clock moved past each backoff between runs.
  const stormy = await seedOwners(db, OWNERS, ROWS_PER_OWNER, `${run}-storm`);
  // Their customers exist already, so every faulted answer is a meter event's.
  for (const uid of stormy.uids) {
    const customer = await stripe.customers.create({ metadata: { firebaseUID: uid } });
    await db.doc(`${COLLECTIONS.accounts}/${uid}`).set({ userId: uid, stripeCustomerId: customer.id });
  }
  const faultedBefore = await faultedSoFar();
  await control("faults", { status: 429, count: 20 });
  const runs: DispatchSummary[] = [];
  let offset = 0;
  for (let i = 0; i < 30; i++) {
    // The first run meets one 429 per customer (its queue stops there); the second, one 503 each.
    if (i === 1) await control("faults", { status: 503, count: 20 });
    const summary = await dispatch(stormy.uids, 1_000, () => Date.now() + offset);
    runs.push(summary);
    if (summary.due === 0) break;
    offset += HOUR_MS;
  }
  await control("faults", { status: 0, count: 0 });
  const faulted = (await faultedSoFar()) - faultedBefore;
  const total = (k: "sent" | "retried" | "failed") => runs.reduce((s, r) => s + r[k], 0);
  const stormOnce = await exactlyOnce(db, stormy.uids, stormy.rows);

  // 3. Test mode's pace on fresh rows.
  const paced = await seedOwners(db, 4, 25, `${run}-paced`);
  const t3 = performance.now();
  const pacedRun = await dispatch(paced.uids, 25);
  const pacedRate = pacedRun.sent / ((performance.now() - t3) / 1000);

  const method = `owners × billed rows rolled up in-process (their outbox entries), then dispatchUsage in-process against the local Stripe (scripts/bench/dispatch.ts)`;
  const figure = (name: string, value: number | string, unit: string, target: string, pass: boolean | null): Figure => ({
    group: "dispatch",
    name,
    value,
    unit,
    target,
    pass,
    method,
  });
  const rows = clean.rows.length;
  return [
    figure(
      `one run, ${OWNERS} customers × ${ROWS_PER_OWNER}, at live pace (1,000/s cap)`,
      `${cleanOnce.received} received / ${rows} rows`,
      "",
      "each row once",
      cleanOnce.ok && first.sent === rows,
    ),
    figure("  throughput of that run", Math.round(throughput), "events/s", "—", null),
    figure(
      "  lag, row's instant to accepted (all 1,000 written and rolled up first): p50 / max",
      `${(percentile(first.lagsMs, 50) / 1000).toFixed(1)} / ${(Math.max(...first.lagsMs) / 1000).toFixed(1)}`,
      "s",
      "—",
      null,
    ),
    figure(
      `through ${faulted} faulted answers (429, then 503): ${runs.length} runs, ${total("retried")} retries`,
      `${stormOnce.received} received / ${stormy.rows.length} rows`,
      "",
      "each row once",
      stormOnce.ok && total("sent") === stormy.rows.length && total("failed") === 0 && total("retried") === faulted,
    ),
    figure(
      "pace held at test mode's 25/s (100 events)",
      Math.round(pacedRate * 10) / 10,
      "events/s",
      "≤ 25",
      pacedRate <= 25.5 && pacedRun.sent === 100,
    ),
  ];
}
