/**
 * The Stripe meter the dispatcher reports to: sums `value` (billed micro-USD) per customer, the
 * customer given as `stripe_customer_id`. Made once per Stripe account (the demo and the tests make
 * it in the local Stripe; for real Stripe, once before the first dispatch: see the README).
 */
import type Stripe from "stripe";

/** The meter with this event name, created when there is none. */
export async function ensureUsageMeter(stripe: Stripe, eventName: string): Promise<Stripe.Billing.Meter> {
  for await (const meter of stripe.billing.meters.list({ status: "active", limit: 100 })) {
    if (meter.event_name === eventName) return meter;
  }
  return stripe.billing.meters.create({
    display_name: "Agent billing: billed usage (micro-USD)",
    event_name: eventName,
    default_aggregation: { formula: "sum" },
    customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
    value_settings: { event_payload_key: "value" },
  });
}
