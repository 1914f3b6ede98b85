/**
 * @agent-billing/client: the typed client SDK of the agent billing backend, on the Firebase web SDK.
 *
 *   const billing = createBillingClient({ app });
 *   const result = await billing.sendMessage({ agentId, conversationId, message, testMode: "production" });
 *
 * Types come from the functions' contract (type-only); the seed's free functions are kept.
 */
export { createBillingClient, DEFAULT_REGION, type BillingClient, type BillingClientOptions, type CallableMethod } from "./client";
export {
  configureBillingClient,
  defaultBillingClient,
  exportBillingReport,
  getBillingInfo,
  getUsageAnalytics,
  iterateBillableConversations,
  listBillableConversations,
  openBillingReport,
  saveBillingSession,
  sendMessageToDeployedAgent,
  setAgentBillingSettings,
  streamMessageToDeployedAgent,
} from "./compat";
export { BillingClientError, TRANSIENT_CODES, type BillingClientErrorCode } from "./errors";
export { billingDebugEnabled, type DebugLogger } from "./debug";
export { DEFAULT_RETRY, backoffMs, type RetryPolicy } from "./retry";
export { reportUrl, type BillingReportStream } from "./export";
export type { DeltaHandler, StreamOptions } from "./stream";
export {
  addCounters,
  createAgent,
  sumDocuments,
  watchAgents,
  watchDailyUsage,
  watchSession,
  type AgentView,
  type Counters,
  type DayUsage,
  type ModeFigures,
  type SessionView,
} from "./live";
export type * from "./types";
