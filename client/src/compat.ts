/**
 * The seed's free functions (`conversationService.js`), kept for apps written against it. They use
 * one shared client on the default Firebase app, or the one given to configureBillingClient. Each
 * has the type of the client method it forwards to, so none restates a request or response type.
 */
import { getApp } from "firebase/app";
import { createBillingClient, type BillingClient, type BillingClientOptions } from "./client";

let shared: BillingClient | undefined;

/** Sets the client behind the free functions (call once at start-up); returns it. */
export function configureBillingClient(options: BillingClientOptions): BillingClient {
  shared = createBillingClient(options);
  return shared;
}

/** The client behind the free functions: the configured one, else one on the default app. */
export function defaultBillingClient(): BillingClient {
  shared ??= createBillingClient({ app: getApp() });
  return shared;
}

/** Sends a message to a deployed agent; resolves to the billed result (`{tokens, cost, ...}`). */
export const sendMessageToDeployedAgent: BillingClient["sendMessage"] = (request) => defaultBillingClient().sendMessage(request);

/** Streams a message's answer to `onDelta`; resolves to the billed result. */
export const streamMessageToDeployedAgent: BillingClient["streamMessage"] = (request, onDelta, options) =>
  defaultBillingClient().streamMessage(request, onDelta, options);

/** Records the end of a conversation; the server's totals come from the ledger. */
export const saveBillingSession: BillingClient["saveBillingSession"] = (request) => defaultBillingClient().saveBillingSession(request);

/** The agent's live billing (and the conversation's, when given). */
export const getBillingInfo: BillingClient["getBillingInfo"] = (agentId, conversationId) =>
  defaultBillingClient().getBillingInfo(agentId, conversationId);

export const getUsageAnalytics: BillingClient["getUsageAnalytics"] = (request) => defaultBillingClient().getUsageAnalytics(request);

export const listBillableConversations: BillingClient["listBillableConversations"] = (request) =>
  defaultBillingClient().listBillableConversations(request);

export const iterateBillableConversations: BillingClient["iterateBillableConversations"] = (request) =>
  defaultBillingClient().iterateBillableConversations(request);

export const exportBillingReport: BillingClient["exportBillingReport"] = (request) => defaultBillingClient().exportBillingReport(request);

export const openBillingReport: BillingClient["openBillingReport"] = (request, signal) =>
  defaultBillingClient().openBillingReport(request, signal);

export const setAgentBillingSettings: BillingClient["setAgentBillingSettings"] = (request) =>
  defaultBillingClient().setAgentBillingSettings(request);
