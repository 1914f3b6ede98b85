/**
 * The deployed functions: a table of contents, nothing else.
 */
import { initializeApp } from "firebase-admin/app";
import { setGlobalOptions } from "firebase-functions/v2";
import { REGION } from "./config";

initializeApp();
setGlobalOptions({ region: REGION, maxInstances: 20 });

// metering and rollups
export { sendMessage } from "./triggers/send-message";
export { rollupBillableConversation } from "./triggers/rollup";
export { foldRollups } from "./triggers/fold";
export { getBillingInfo, saveBillingSession } from "./triggers/sessions";

// the benchmark's baseline: a callable that only proxies to the agent (Functions emulator only)
export { benchBaseline } from "./triggers/bench-baseline";

// analytics, history and export
export { getUsageAnalytics, listBillableConversations } from "./triggers/analytics";
export { exportBillingReport } from "./triggers/export";

// settings, limits and alerts
export { setAgentBillingSettings } from "./triggers/settings";
export { billingAlerts } from "./triggers/alerts";

// the owner's web console: pause/resume, the next message's worst case, raised alerts
export { setAgentStatus, quoteMessage, listBillingAlerts, getAccountOverview } from "./triggers/console";

// plans and monthly statements
export { getStatement, listStatements } from "./triggers/statements";
// billed usage sent to Stripe as meter events, each exactly once (from the outbox the rollup writes)
export { dispatchStripeUsage } from "./triggers/usage-dispatch";
// the agent API: an agent's OpenAI-compatible endpoint for its users' apps, its keys and its end users
export { agentApi } from "./triggers/agent-api";
export { createAgentApiKey, listAgentApiKeys, revokeAgentApiKey, getEndUserUsage } from "./triggers/api-keys";
// organisations and their members, with roles (issue #18, first slice)
export {
  createOrg,
  addOrgMember,
  setOrgMemberRole,
  removeOrgMember,
  listOrgMembers,
  setOrgBudgets,
  getOrgBillingInfo,
} from "./triggers/orgs";
