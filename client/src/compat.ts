/**
 * The seed's free functions (`conversationService.js`), kept for apps written against it. They use
 * one shared client on the default Firebase app, or the one given to configureBillingClient.
 */
import { getApp } from "firebase/app";
import { createBillingClient, type BillingClient, type BillingClientOptions } from "./client";
import type { BillingReportStream } from "./export";
import type { DeltaHandler, StreamOptions } from "./stream";
import type {
  BillingSettingsView,
  ExportReportRequest,
  GetBillingInfoResponse,
  ListConversationsRequest,
  ListConversationsResponse,
  SaveBillingSessionRequest,
  SaveBillingSessionResponse,
  SendMessageRequest,
  SendMessageResponse,
  SetAgentBillingSettingsRequest,
  UsageAnalyticsRequest,
  UsageAnalyticsResponse,
} from "./types";

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
export const sendMessageToDeployedAgent = (request: SendMessageRequest): Promise<SendMessageResponse> =>
  defaultBillingClient().sendMessage(request);

/** Streams a message's answer to `onDelta`; resolves to the billed result. */
export const streamMessageToDeployedAgent = (
  request: SendMessageRequest,
  onDelta: DeltaHandler,
  options?: StreamOptions,
): Promise<SendMessageResponse> => defaultBillingClient().streamMessage(request, onDelta, options);

/** Records the end of a conversation; the server's totals come from the ledger. */
export const saveBillingSession = (request: SaveBillingSessionRequest): Promise<SaveBillingSessionResponse> =>
  defaultBillingClient().saveBillingSession(request);

/** The agent's live billing (and the conversation's, when given). */
export const getBillingInfo = (agentId: string, conversationId?: string): Promise<GetBillingInfoResponse> =>
  defaultBillingClient().getBillingInfo(agentId, conversationId);

export const getUsageAnalytics = (request: UsageAnalyticsRequest): Promise<UsageAnalyticsResponse> =>
  defaultBillingClient().getUsageAnalytics(request);

export const listBillableConversations = (request: ListConversationsRequest): Promise<ListConversationsResponse> =>
  defaultBillingClient().listBillableConversations(request);

export const iterateBillableConversations = (request: Omit<ListConversationsRequest, "pageToken">) =>
  defaultBillingClient().iterateBillableConversations(request);

export const exportBillingReport = (request: ExportReportRequest): Promise<string> => defaultBillingClient().exportBillingReport(request);

export const openBillingReport = (request: ExportReportRequest, signal?: AbortSignal): Promise<BillingReportStream> =>
  defaultBillingClient().openBillingReport(request, signal);

export const setAgentBillingSettings = (request: SetAgentBillingSettingsRequest): Promise<BillingSettingsView> =>
  defaultBillingClient().setAgentBillingSettings(request);
