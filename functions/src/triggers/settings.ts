/** setAgentBillingSettings: the owner's limits, alert threshold, timezone and alert channels. */
import { settingsRequestSchema } from "../contract/settings";
import { handleSetAgentBillingSettings } from "../handlers/settings";
import { db } from "../store/db";
import { billingCallable } from "./callable";

/**
 * Loopback `http://` webhooks are accepted only under the Functions emulator (which sets
 * FUNCTIONS_EMULATOR=true), so local tests and demos can receive alerts on 127.0.0.1; a deployed
 * function never sees that variable and keeps the map's schema, which accepts https:// only.
 */
const underEmulator = process.env.FUNCTIONS_EMULATOR === "true";

/** The owner-only callable; see handlers/settings.ts. */
export const setAgentBillingSettings = billingCallable(
  "setAgentBillingSettings",
  (caller, input) => handleSetAgentBillingSettings(db(), caller.uid, input),
  underEmulator ? { request: settingsRequestSchema({ allowLoopbackWebhooks: true }) } : {},
);
