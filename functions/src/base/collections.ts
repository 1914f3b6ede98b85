/** Collection names: the public contract (DESIGN.md) plus the backend's private bookkeeping. A leaf: domain/ and contract/ may import it. */
export const COLLECTIONS = {
  agents: "alchemist_agents",
  ledger: "billable_conversations",
  summaries: "agent_billing_summary",
  sessions: "billing_sessions",
  daily: "agent_usage_daily",
  /** An owner's UTC day over all their agents (the account view): by mode, by model and by agent. */
  accountDaily: "billing_account_daily",
  /** An agent's end user (agent API) and local day: per-end-user totals. */
  endUserDaily: "billing_end_user_daily",
  /** Agent API keys: metadata and the secret's hash (never readable by clients). */
  apiKeys: "agent_api_keys",
  alerts: "billing_alerts",
  failures: "billing_failures",
  mail: "mail",
  /** Private: one per message, claimed before the agent is called (idempotency under concurrency). */
  claims: "billing_claims",
  /** Private: one per ledger row rolled up (exactly-once rollups). */
  rollupMarkers: "billing_rollup_markers",
  /** Private: per-agent spend windows and reservations for hard limits. */
  spend: "billing_spend",
  /** Private: state of the alert scheduler (when it last ran). */
  alertRuns: "billing_alert_runs",
  /** Private: per-user token buckets for rate limiting. */
  rateLimits: "billing_rate_limits",
} as const;
