/** Every minute: send the outbox's due usage to Stripe as meter events (logic in handlers/usage-dispatch.ts). */
import { logger } from "firebase-functions/v2";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { REGION, STRIPE_API_BASE_URL, STRIPE_EVENTS_PER_SECOND, STRIPE_METER_EVENT, STRIPE_SECRET_KEY } from "../config";
import { dispatchUsage } from "../handlers/usage-dispatch";
import { db } from "../store/db";
import { stripeClient } from "../stripe/client";

export const dispatchStripeUsage = onSchedule(
  // A failed run is not retried: the next one, a minute later, takes the same due entries.
  { schedule: "every 1 minutes", timeZone: "UTC", region: REGION, secrets: [STRIPE_SECRET_KEY], retryCount: 0, timeoutSeconds: 540 },
  async () => {
    const { lagsMs, ...summary } = await dispatchUsage({
      db: db(),
      stripe: stripeClient({ apiKey: STRIPE_SECRET_KEY.value(), baseUrl: STRIPE_API_BASE_URL.value() }),
      meterEventName: STRIPE_METER_EVENT.value(),
      now: Date.now,
      eventsPerSecond: STRIPE_EVENTS_PER_SECOND.value(),
    });
    const maxLagMs = lagsMs.length ? Math.max(...lagsMs) : 0;
    if (summary.failed || summary.alarmed) logger.warn("usage sent to Stripe, with failures", { ...summary, maxLagMs });
    else logger.info("usage sent to Stripe", { ...summary, maxLagMs });
  },
);
