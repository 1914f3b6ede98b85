/**
 * Every public callable in one map: its name, its request schema, what it answers and, when it
 * streams, what each chunk carries. The functions' wrapper (triggers/callable.ts) takes a name and
 * gets its schema and types from here; the client SDK imports the same map as types only.
 *
 * A new callable is one entry here, its handler behind `billingCallable(name, ...)`, and one method
 * in the client.
 */
import type { z } from "zod";
import {
  listConversationsRequestSchema,
  usageAnalyticsRequestSchema,
  type ListConversationsResponse,
  type UsageAnalyticsResponse,
} from "./analytics";
import { accountOverviewRequestSchema, type AccountOverviewResponse } from "./account";
import {
  createAgentApiKeyRequestSchema,
  endUserUsageRequestSchema,
  listAgentApiKeysRequestSchema,
  revokeAgentApiKeyRequestSchema,
  type CreateAgentApiKeyResponse,
  type EndUserUsageResponse,
  type ListAgentApiKeysResponse,
  type RevokeAgentApiKeyResponse,
} from "./agent-api";
import { getBillingInfoRequestSchema, type GetBillingInfoResponse } from "./billing-info";
import {
  listBillingAlertsRequestSchema,
  quoteMessageRequestSchema,
  setAgentStatusRequestSchema,
  type ListBillingAlertsResponse,
  type QuoteMessageResponse,
  type SetAgentStatusResponse,
} from "./console";
import { sendMessageRequestSchema, type SendMessageChunk, type SendMessageResponse } from "./send-message";
import { saveBillingSessionRequestSchema, type SaveBillingSessionResponse } from "./sessions";
import {
  getStatementRequestSchema,
  listStatementsRequestSchema,
  type GetStatementResponse,
  type ListStatementsResponse,
} from "./statements";
import { settingsRequestSchema, type BillingSettingsView } from "./settings";
import {
  addOrgMemberRequestSchema,
  createOrgRequestSchema,
  listOrgMembersRequestSchema,
  setOrgBudgetsRequestSchema,
  orgBillingInfoRequestSchema,
  type OrgBillingInfoResponse,
  type OrgBudgetsResponse,
  removeOrgMemberRequestSchema,
  setOrgMemberRoleRequestSchema,
  type CreateOrgResponse,
  type ListOrgMembersResponse,
  type OrgMemberRole,
  type RemoveOrgMemberResponse,
} from "./orgs";

/**
 * One callable's contract. `types` is never set: it only carries the response and chunk types.
 * The bare `CallableSpec` stands for any spec.
 */
export interface CallableSpec<S extends z.ZodType = z.ZodType, Response = unknown, Chunk = unknown> {
  readonly request: S;
  readonly types?: { response: Response; chunk: Chunk };
}

/**
 * Starts a spec from its request schema: `callable(schema).returns<Response>()`, or
 * `.returns<Response, Chunk>()` for a callable that streams chunks before its result.
 */
export function callable<S extends z.ZodType>(request: S) {
  return { returns: <Response, Chunk = never>(): CallableSpec<S, Response, Chunk> => ({ request }) };
}

/** The public callables (DESIGN.md). Schemas are the deployed ones; see `billingCallable`'s `request` option. */
export const CALLABLES = {
  sendMessage: callable(sendMessageRequestSchema).returns<SendMessageResponse, SendMessageChunk>(),
  saveBillingSession: callable(saveBillingSessionRequestSchema).returns<SaveBillingSessionResponse>(),
  getBillingInfo: callable(getBillingInfoRequestSchema).returns<GetBillingInfoResponse>(),
  getUsageAnalytics: callable(usageAnalyticsRequestSchema).returns<UsageAnalyticsResponse>(),
  listBillableConversations: callable(listConversationsRequestSchema).returns<ListConversationsResponse>(),
  // Deployed functions accept https:// webhooks only; the emulator's trigger passes the loopback variant.
  setAgentBillingSettings: callable(settingsRequestSchema({ allowLoopbackWebhooks: false })).returns<BillingSettingsView>(),
  // The owner's web console: pause/resume (status is backend-only), the next message's worst case, raised alerts.
  setAgentStatus: callable(setAgentStatusRequestSchema).returns<SetAgentStatusResponse>(),
  quoteMessage: callable(quoteMessageRequestSchema).returns<QuoteMessageResponse>(),
  listBillingAlerts: callable(listBillingAlertsRequestSchema).returns<ListBillingAlertsResponse>(),
  // The account view: every agent of the caller at once.
  getAccountOverview: callable(accountOverviewRequestSchema).returns<AccountOverviewResponse>(),
  // Monthly statements under the caller's plan (issue #17).
  getStatement: callable(getStatementRequestSchema).returns<GetStatementResponse>(),
  listStatements: callable(listStatementsRequestSchema).returns<ListStatementsResponse>(),
  // The agent API: its keys (the key shown once, stored as a hash) and its end users' usage.
  createAgentApiKey: callable(createAgentApiKeyRequestSchema).returns<CreateAgentApiKeyResponse>(),
  listAgentApiKeys: callable(listAgentApiKeysRequestSchema).returns<ListAgentApiKeysResponse>(),
  revokeAgentApiKey: callable(revokeAgentApiKeyRequestSchema).returns<RevokeAgentApiKeyResponse>(),
  getEndUserUsage: callable(endUserUsageRequestSchema).returns<EndUserUsageResponse>(),
  // Organisations and their members, with roles (issue #18, first slice).
  createOrg: callable(createOrgRequestSchema).returns<CreateOrgResponse>(),
  addOrgMember: callable(addOrgMemberRequestSchema).returns<OrgMemberRole>(),
  setOrgMemberRole: callable(setOrgMemberRoleRequestSchema).returns<OrgMemberRole>(),
  removeOrgMember: callable(removeOrgMemberRequestSchema).returns<RemoveOrgMemberResponse>(),
  listOrgMembers: callable(listOrgMembersRequestSchema).returns<ListOrgMembersResponse>(),
  setOrgBudgets: callable(setOrgBudgetsRequestSchema).returns<OrgBudgetsResponse>(),
  getOrgBillingInfo: callable(orgBillingInfoRequestSchema).returns<OrgBillingInfoResponse>(),
} satisfies Record<string, CallableSpec>;

export type Callables = typeof CALLABLES;
export type CallableName = keyof Callables;

/** The types a spec stands for: what a caller sends, what the handler receives, the answer and the chunk. */
export type SpecTypes<Spec extends CallableSpec> =
  Spec extends CallableSpec<infer S, infer Response, infer Chunk>
    ? { request: z.input<S>; input: z.output<S>; response: Response; chunk: Chunk }
    : never;

/** What a caller sends. */
export type RequestOf<N extends CallableName> = SpecTypes<Callables[N]>["request"];
/** What the handler receives: the request as its schema parsed it. */
export type InputOf<N extends CallableName> = SpecTypes<Callables[N]>["input"];
/** What the callable answers. */
export type ResponseOf<N extends CallableName> = SpecTypes<Callables[N]>["response"];
/** What a streaming callable sends before its answer (`never` when it does not stream). */
export type ChunkOf<N extends CallableName> = SpecTypes<Callables[N]>["chunk"];
