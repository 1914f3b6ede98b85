/** Collection names: the public contract (DESIGN.md) plus the backend's private bookkeeping. A leaf: domain/ and contract/ may import it. */
export const COLLECTIONS = {
  agents: "alchemist_agents",
  ledger: "billable_conversations",
  summaries: "agent_billing_summary",
  sessions: "billing_sessions",
  daily: "agent_usage_daily",
  /** An owner's UTC day over all their agents (the account view): by mode, by model and by agent. */
  accountDaily: "billing_account_daily",
  /** Plans (versioned): fee, allowance, markup, tiers, minimum. Readable by any signed-in user. */
  plans: "billing_plans",
  /** An owner's plan and credit grants, `billing_accounts/{uid}`. */
  accounts: "billing_accounts",
  /** Sealed monthly statements, `billing_statements/{uid}_{YYYY-MM}`: written once, never changed. */
  statements: "billing_statements",
  /** Usage sent, or waiting to be sent, to Stripe: one entry per billed production row (store/outbox.ts). */
  outbox: "billing_outbox",
  /** The invertase "Run Payments with Stripe" extension's customers, `customers/{uid}.stripeId` (read only, where installed). */
  stripeCustomers: "customers",
  /** An agent's end user (agent API) and local day: per-end-user totals. */
  endUserDaily: "billing_end_user_daily",
  /** Agent API keys: metadata and the secret's hash (never readable by clients). */
  apiKeys: "agent_api_keys",
  /** Organisations (issue #18): `billing_orgs/{orgId}`, with their members in `members/{uid}`. Members read them. */
  orgs: "billing_orgs",
  /** The subcollection of an org's memberships: the source of truth for roles. */
  orgMembers: "members",
  /** An org's UTC day over all its agents: by mode, by agent and by member (issue #18's cost allocation). Backend-only. */
  orgDaily: "billing_org_daily",
  alerts: "billing_alerts",
  failures: "billing_failures",
  mail: "mail",
  /** The "Send Messages with Twilio" extension's queue: `{to, body}` SMS documents. */
  sms: "sms",
  /** Private: one per message, claimed before the agent is called (idempotency under concurrency). */
  claims: "billing_claims",
  /** Private: one per ledger row rolled up (exactly-once rollups). */
  rollupMarkers: "billing_rollup_markers",
  /** Private: per-agent spend windows and reservations for hard limits. */
  spend: "billing_spend",
  /** Private: the Stripe dispatcher's run lease (one run at a time). */
  dispatchRuns: "billing_dispatch_runs",
  /** Private: state of the alert scheduler (when it last ran). */
  alertRuns: "billing_alert_runs",
  /** Private: per-user token buckets for rate limiting. */
  rateLimits: "billing_rate_limits",
} as const;
