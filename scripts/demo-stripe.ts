/**
 * The demo's usage sent to Stripe: one run of the dispatcher (what the scheduled dispatchStripeUsage
 * does every minute) for the demo owner against the local Stripe, then what the local Stripe received,
 * beside what the outbox and the ledger say.
 */
import { COLLECTIONS } from "../functions/src/base/collections";
import { dispatchUsage } from "../functions/src/handlers/usage-dispatch";
import { count, table, usd } from "./cli-format";
import { DEMO } from "./demo-setup";
import { adminDb } from "./local-env";
import { localStripe, METER_EVENT, receivedFor } from "./stripe-received";

export async function sendDemoUsageToStripe(): Promise<void> {
  const db = adminDb();
  // The harness's random test-mode key (functions/.secret.local); the local Stripe takes any sk_test_ key.
  const stripe = await localStripe();
  const run = await dispatchUsage({ db, stripe, meterEventName: METER_EVENT, now: Date.now, eventsPerSecond: 200, owners: [DEMO.uid] });
  const entries = (await db.collection(COLLECTIONS.outbox).where("userId", "==", DEMO.uid).get()).docs.map((d) => d.data());
  const customer = (await db.doc(`${COLLECTIONS.accounts}/${DEMO.uid}`).get()).get("stripeCustomerId") as string;
  const received = await receivedFor(db, [DEMO.uid]);
  const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
  console.log(
    `  one dispatcher run: ${count(run.sent)} meter events sent, ${run.retried} to retry, ${run.failed} refused, customer ${customer}`,
  );
  console.log(
    table(
      ["", "events", "usage"],
      [
        ["outbox (billed production rows)", count(entries.length), usd(sum(entries.map((e) => e.costMicros as number)))],
        ["  of them sent", count(entries.filter((e) => e.state === "sent").length), ""],
        ["received by the local Stripe", count(received.length), usd(sum(received.map((e) => e.value)))],
      ],
    ),
  );
}
