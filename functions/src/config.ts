/**
 * Every param and secret of the backend. Their values live in one place: functions/.env (deployed
 * values), overridden for the emulators by functions/.env.local; UNIVERSAL_AGENT_URL is set per
 * project (functions/.env.<projectId>). Secrets are set with `firebase functions:secrets:set`;
 * for the emulators the harness writes random ones to functions/.secret.local (git-ignored).
 */
import { defineBoolean, defineInt, defineSecret, defineString } from "firebase-functions/params";

export const REGION = "us-central1";

export const UNIVERSAL_AGENT_URL = defineString("UNIVERSAL_AGENT_URL", {
  description: "Base URL of the OpenAI-compatible agent service (chat completions), e.g. https://agents.example.com/v1",
});

export const AGENT_API_KEY = defineSecret("AGENT_API_KEY");

export const AGENT_TIMEOUT_MS = defineInt("AGENT_TIMEOUT_MS", {
  description: "Timeout of one agent call in milliseconds; kept below the function's own timeout.",
});

export const AGENT_MAX_RETRIES = defineInt("AGENT_MAX_RETRIES", {
  description: "Retries of a failed agent call before any text was received (5xx, 429, connection errors).",
});

export const RATE_LIMIT_PER_MINUTE = defineInt("RATE_LIMIT_PER_MINUTE", {
  description: "sendMessage calls one user may make per minute (sustained).",
});

export const RATE_LIMIT_BURST = defineInt("RATE_LIMIT_BURST", {
  description: "sendMessage calls one user may make in a burst beyond the sustained rate.",
});

export const API_RATE_LIMIT_PER_MINUTE = defineInt("API_RATE_LIMIT_PER_MINUTE", {
  description: "Agent API completions one API key may make per minute (sustained).",
});

export const API_RATE_LIMIT_BURST = defineInt("API_RATE_LIMIT_BURST", {
  description: "Agent API completions one API key may make in any 5-second slot.",
});

export const DEV_DAILY_MESSAGE_CAP = defineInt("DEV_DAILY_MESSAGE_CAP", {
  description: "Development (free) messages one agent may send per local day.",
});

export const DEV_DAILY_USER_MESSAGE_CAP = defineInt("DEV_DAILY_USER_MESSAGE_CAP", {
  description: "Development (free) messages one user may send per UTC day, across all their agents.",
});

export const ENFORCE_APP_CHECK = defineBoolean("ENFORCE_APP_CHECK", {
  description: "Require a valid App Check token on every callable (off for the emulators).",
});

/** Function timeout of sendMessage; the agent timeout must stay below it. */
export const SEND_MESSAGE_TIMEOUT_SECONDS = 120;

/** A claim older than this belongs to a request that died: twice the function timeout, so its holder cannot still be running. */
export const CLAIM_TTL_MS = 2 * SEND_MESSAGE_TIMEOUT_SECONDS * 1000;

export const LEDGER_SIGNING_KEY = defineSecret("LEDGER_SIGNING_KEY");

/** Signs alert webhooks (HMAC-SHA256 of the body, header X-Billing-Signature). */
export const WEBHOOK_SIGNING_SECRET = defineSecret("WEBHOOK_SIGNING_SECRET");

/** Usage-anomaly alerts need at least this many tokens in the agent's day (see domain/alerts.ts ANOMALY_RULE). */
export const ALERT_ANOMALY_MIN_TOKENS = defineInt("ALERT_ANOMALY_MIN_TOKENS", {
  description: "Minimum tokens in an agent's local day before a usage-anomaly alert may fire (keeps quiet agents from alerting on noise).",
});

/** The Stripe secret key the dispatcher sends usage with (`sk_test_…` or `sk_live_…`; a random `sk_test_` one for the emulators). */
export const STRIPE_SECRET_KEY = defineSecret("STRIPE_SECRET_KEY");

export const STRIPE_API_BASE_URL = defineString("STRIPE_API_BASE_URL", {
  description:
    "Origin of the Stripe API: https://api.stripe.com, or the local Stripe-compatible server (http://127.0.0.1:12111) for the emulators.",
});

export const STRIPE_METER_EVENT = defineString("STRIPE_METER_EVENT", {
  description: "event_name of the Stripe meter that sums billed usage in micro-USD (payload keys stripe_customer_id and value).",
});

export const STRIPE_EVENTS_PER_SECOND = defineInt("STRIPE_EVENTS_PER_SECOND", {
  description: "Meter events the dispatcher starts per second at most (Stripe allows 25 in test mode, 1,000 live).",
});
