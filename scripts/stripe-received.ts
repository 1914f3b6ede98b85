/**
 * What the local Stripe received, compared with what it should have: the scripts' side of the
 * Stripe outbox (the demo, the soak, the bench). Each reported ledger row once, value for value.
 */
import type { Firestore } from "firebase-admin/firestore";
import type Stripe from "stripe";
import { COLLECTIONS } from "../functions/src/base/collections";
import { stripeClient } from "../functions/src/stripe/client";
import { ensureUsageMeter } from "../functions/src/stripe/meter";
import type { ReceivedMeterEvent } from "./local-stripe";
import { localStripeUrl } from "./local-env";

/** The event name functions/.env gives the deployed dispatcher. */
export const METER_EVENT = "agent_billing_cost_micros";

/** The real SDK at the local Stripe, with the harness's random test-mode key, and the meter made. */
export async function localStripe(): Promise<Stripe> {
  const stripe = stripeClient({ apiKey: process.env.STRIPE_SECRET_KEY ?? "sk_test_local", baseUrl: localStripeUrl() });
  await ensureUsageMeter(stripe, METER_EVENT);
  return stripe;
}

/** The meter events the local Stripe accepted for these owners' customers (their accounts' `stripeCustomerId`). */
export async function receivedFor(db: Firestore, uids: readonly string[]): Promise<ReceivedMeterEvent[]> {
  const accounts = await db.getAll(...uids.map((uid) => db.doc(`${COLLECTIONS.accounts}/${uid}`)));
  const customers = new Set(accounts.map((a) => a.get("stripeCustomerId") as string | undefined).filter(Boolean));
  const res = await fetch(`${localStripeUrl()}/_control/meter_events`);
  return ((await res.json()) as { received: ReceivedMeterEvent[] }).received.filter((e) => customers.has(e.customer));
}

/** Rows not received exactly once with their cost, plus events that are no expected row's: 0 when Stripe has exactly the ledger. */
export function notExactlyOnce(received: readonly ReceivedMeterEvent[], expected: ReadonlyMap<string, number>): number {
  const seen = new Map<string, number[]>();
  for (const e of received) seen.set(e.identifier, [...(seen.get(e.identifier) ?? []), e.value]);
  let off = [...seen.keys()].filter((id) => !expected.has(id)).length;
  for (const [id, cost] of expected) {
    const values = seen.get(id) ?? [];
    if (values.length !== 1 || values[0] !== cost) off++;
  }
  return off;
}
