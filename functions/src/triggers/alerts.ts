/** The alert scheduler: every 15 minutes, raise and deliver billing alerts (logic in handlers/alerts.ts). */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { ALERT_ANOMALY_MIN_TOKENS, REGION, WEBHOOK_SIGNING_SECRET } from "../config";
import { ALERT_SLOT_MINUTES } from "../domain/alerts";
import { runBillingAlerts } from "../handlers/alerts";
import { db } from "../store/db";

/** Every 15 minutes (UTC): sweep expired spend holds, raise alerts once, deliver pending ones. */
export const billingAlerts = onSchedule(
  {
    schedule: `every ${ALERT_SLOT_MINUTES} minutes`,
    timeZone: "UTC",
    region: REGION,
    secrets: [WEBHOOK_SIGNING_SECRET],
    // A failed run is not retried: the next one, 15 minutes later, covers the same ground again.
    retryCount: 0,
    timeoutSeconds: 540,
  },
  async () => {
    await runBillingAlerts({
      db: db(),
      now: Date.now,
      webhookSecret: WEBHOOK_SIGNING_SECRET.value(),
      anomalyMinTokens: ALERT_ANOMALY_MIN_TOKENS.value(),
      // Settings accept loopback receivers under the emulator only (triggers/settings.ts); so does delivery.
      deliver: { allowLoopback: process.env.FUNCTIONS_EMULATOR === "true" },
    });
  },
);
