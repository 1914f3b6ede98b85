/**
 * The billing client: every callable of the backend, typed from the functions' contract, with an
 * idempotency key on every message, bounded retries of transient failures with that same key, one
 * error type, and the seed's DEBUG_BILLING logging.
 */
import type { FirebaseApp } from "firebase/app";
import { getAuth, type Auth } from "firebase/auth";
import { getFunctions, httpsCallable, type Functions, type HttpsCallable } from "firebase/functions";
import { billingDebugEnabled, logCall, type CallName, type DebugLogger } from "./debug";
import { toBillingClientError } from "./errors";
import { openReport, readReport, type BillingReportStream, type ExportDeps } from "./export";
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from "./retry";
import { DeltaRelay, streamOnce, type DeltaHandler, type StreamOptions } from "./stream";
import type { CallableName, ChunkOf, RequestOf, ResponseOf } from "functions/src/contract/callables";
import type { ConversationItem, ExportReportRequest } from "./types";

export const DEFAULT_REGION = "us-central1";
/** sendMessage may run for its whole function timeout (120 s): wait a little longer than that. */
const SEND_MESSAGE_TIMEOUT_MS = 130_000;

/** How to build a client. */
export interface BillingClientOptions {
  app: FirebaseApp;
  /** Region of the functions; default us-central1. */
  region?: string;
  /** Log every call's name, latency and billing figures (also on with DEBUG_BILLING, see debug.ts). */
  debug?: boolean;
  /** Where debug lines go; console.debug by default. */
  logger?: DebugLogger;
  /**
   * URL the HTTP functions are served under (the export is `${exportBaseUrl}/exportBillingReport`).
   * Default: the Functions emulator's when the Functions instance is connected to it, else
   * `https://<region>-<projectId>.cloudfunctions.net`.
   */
  exportBaseUrl?: string;
  retry?: RetryPolicy;
  /** The idempotency key of a message sent without one; crypto.randomUUID by default. */
  newMessageId?: () => string;
  /** fetch for the export; the global one by default. */
  fetch?: typeof fetch;
  /**
   * How long one sendMessage attempt may take before it counts as timed out (and is retried with
   * the same messageId); default 130 s, just over the function's own timeout.
   */
  sendMessageTimeoutMs?: number;
}

/** A callable as a method: its request in, its response out (both from the functions' map of callables). */
export type CallableMethod<N extends CallableName> = (request: RequestOf<N>) => Promise<ResponseOf<N>>;

/** The billing backend, as an app calls it. Every method rejects with a BillingClientError. */
export interface BillingClient {
  readonly functions: Functions;
  readonly auth: Auth;
  /** Sends a message and resolves to the billed result (`messageId` is generated when absent). */
  sendMessage: CallableMethod<"sendMessage">;
  /** Like sendMessage, handing the answer's text deltas to `onDelta` as they arrive. */
  streamMessage(request: RequestOf<"sendMessage">, onDelta: DeltaHandler, options?: StreamOptions): Promise<ResponseOf<"sendMessage">>;
  saveBillingSession: CallableMethod<"saveBillingSession">;
  getBillingInfo(agentId: string, conversationId?: string): Promise<ResponseOf<"getBillingInfo">>;
  getUsageAnalytics: CallableMethod<"getUsageAnalytics">;
  /** One page, newest first; pass `nextPageToken` back (with the same filters) for the next. */
  listBillableConversations: CallableMethod<"listBillableConversations">;
  /** Every matching row, newest first, fetching page after page as the loop goes. */
  iterateBillableConversations(request: Omit<RequestOf<"listBillableConversations">, "pageToken">): AsyncGenerator<ConversationItem>;
  /** The whole report as text (JSON, CSV or NDJSON). */
  exportBillingReport(request: ExportReportRequest): Promise<string>;
  /** The report as a stream, for ranges too large to hold in memory. */
  openBillingReport(request: ExportReportRequest, signal?: AbortSignal): Promise<BillingReportStream>;
  setAgentBillingSettings: CallableMethod<"setAgentBillingSettings">;
  /** Pauses or resumes an agent (its `status` is backend-only). */
  setAgentStatus: CallableMethod<"setAgentStatus">;
  /** The worst-case cost of the next message, as its hold would reserve it, and what is left of the limits. */
  quoteMessage: CallableMethod<"quoteMessage">;
  /** The caller's raised alerts, newest first, one page at a time. */
  listBillingAlerts: CallableMethod<"listBillingAlerts">;
  /** Every agent of the caller at once over UTC days (default: this month to date): totals, ranking, engagement, insights. */
  getAccountOverview: CallableMethod<"getAccountOverview">;
  /** The caller's statement for a UTC month under their plan: open with live figures, or final and sealed with a hash. */
  getStatement: CallableMethod<"getStatement">;
  /** Every statement of the caller, newest first. */
  listStatements: CallableMethod<"listStatements">;
  /**
   * A new agent API key: `key` is in this answer only (the backend keeps its hash). Never retried:
   * a retry after a lost answer would make a second key, whose secret nobody saw.
   */
  createAgentApiKey: CallableMethod<"createAgentApiKey">;
  /** The agent's API keys (metadata only, never a secret), newest first. */
  listAgentApiKeys: CallableMethod<"listAgentApiKeys">;
  /** Revokes a key: its next request is refused (HTTP 401). */
  revokeAgentApiKey: CallableMethod<"revokeAgentApiKey">;
  /** The agent API's end users over a range of the agent's local days (default: this month to date). */
  getEndUserUsage: CallableMethod<"getEndUserUsage">;
  /**
   * A new organisation, the caller its owner. Never retried: a retry after a lost answer would make
   * a second org.
   */
  createOrg: CallableMethod<"createOrg">;
  /** Adds the user with that email to an org (owners and admins only; `owner` is granted with setOrgMemberRole). */
  addOrgMember: CallableMethod<"addOrgMember">;
  /** Changes a member's role (only an owner grants or takes away `owner`; an org keeps at least one). */
  setOrgMemberRole: CallableMethod<"setOrgMemberRole">;
  /** Removes a member from an org (never the caller, never the last owner). */
  removeOrgMember: CallableMethod<"removeOrgMember">;
  /** Every member of an org, for any member. */
  listOrgMembers: CallableMethod<"listOrgMembers">;
  /** Sets an org's budgets and its members' (owners, admins and billing members); contradicting budgets are refused. */
  setOrgBudgets: CallableMethod<"setOrgBudgets">;
  /** An org's costs by agent and by member, the shared cost split exactly, for any member. */
  getOrgBillingInfo: CallableMethod<"getOrgBillingInfo">;
}

/** The Functions emulator's origin, when the instance was connected to it (an SDK field, read defensively). */
function emulatorOrigin(functions: Functions): string | null {
  const origin = (functions as unknown as { emulatorOrigin?: unknown }).emulatorOrigin;
  return typeof origin === "string" ? origin : null;
}

function exportBaseUrl(options: BillingClientOptions, functions: Functions, region: string): string {
  if (options.exportBaseUrl) return options.exportBaseUrl;
  const projectId = options.app.options.projectId;
  const emulator = emulatorOrigin(functions);
  return emulator ? `${emulator}/${projectId}/${region}` : `https://${region}-${projectId}.cloudfunctions.net`;
}

const randomMessageId = () => globalThis.crypto.randomUUID();

type Traced = <T>(name: CallName, attempt: (n: number) => Promise<T>) => Promise<T>;

/** Runs one logical call (all its attempts, retried by the policy), logging it when debugging is on. */
function tracer(options: BillingClientOptions): Traced {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  return async (name, attempt) => {
    const startedAt = Date.now();
    let attempts = 0;
    const debug = billingDebugEnabled(options.debug);
    try {
      const result = await withRetry(policy, (n) => {
        attempts = n;
        return attempt(n);
      });
      logCall(debug, options.logger, { name, startedAt, attempts, result });
      return result;
    } catch (err) {
      const error = toBillingClientError(err);
      logCall(debug, options.logger, { name, startedAt, attempts, errorCode: error.code });
      throw error;
    }
  };
}

/** The Firebase side of a client: the callables, the export's HTTP access, and the tracer. */
interface Transport {
  functions: Functions;
  auth: Auth;
  send: HttpsCallable<RequestOf<"sendMessage">, ResponseOf<"sendMessage">, ChunkOf<"sendMessage">>;
  /** Calls a callable that does not stream, traced and retried. */
  invoke: <N extends CallableName>(name: N, request: RequestOf<N>) => Promise<ResponseOf<N>>;
  /** The same, never retried: for a callable whose retry would do it twice (a new key). */
  invokeOnce: <N extends CallableName>(name: N, request: RequestOf<N>) => Promise<ResponseOf<N>>;
  exportDeps: () => ExportDeps;
  traced: Traced;
}

function transport(options: BillingClientOptions): Transport {
  const region = options.region ?? DEFAULT_REGION;
  const functions = getFunctions(options.app, region);
  const auth = getAuth(options.app);
  const traced = tracer(options);
  const tracedOnce = tracer({ ...options, retry: { ...options.retry, maxRetries: 0 } });
  const callables = new Map<CallableName, HttpsCallable>();
  const callableOf = (name: CallableName) => callables.get(name) ?? callables.set(name, httpsCallable(functions, name)).get(name)!;
  return {
    functions,
    auth,
    traced,
    send: httpsCallable(functions, "sendMessage", { timeout: options.sendMessageTimeoutMs ?? SEND_MESSAGE_TIMEOUT_MS }),
    invoke: <N extends CallableName>(name: N, request: RequestOf<N>) =>
      traced(name, async () => (await callableOf(name)(request)).data as ResponseOf<N>),
    invokeOnce: <N extends CallableName>(name: N, request: RequestOf<N>) =>
      tracedOnce(name, async () => (await callableOf(name)(request)).data as ResponseOf<N>),
    // Resolved at each export: the emulator may be connected after the client was built.
    exportDeps: () => ({
      auth,
      baseUrl: exportBaseUrl(options, functions, region),
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    }),
  };
}

/** Builds a client for `options.app`. Connect the Functions/Auth emulators (if any) before calling. */
export function createBillingClient(options: BillingClientOptions): BillingClient {
  const { functions, auth, send, invoke, invokeOnce, exportDeps, traced } = transport(options);
  const newMessageId = options.newMessageId ?? randomMessageId;
  // The key is fixed before the first attempt, so every retry carries the same one.
  const keyed = (request: RequestOf<"sendMessage">): RequestOf<"sendMessage"> => ({
    ...request,
    messageId: request.messageId ?? newMessageId(),
  });
  const client: BillingClient = {
    functions,
    auth,
    sendMessage: (request) => {
      const req = keyed(request);
      return traced("sendMessage", async () => (await send(req)).data);
    },
    streamMessage: (request, onDelta, streamOptions = {}) => {
      const req = keyed(request);
      const relay = new DeltaRelay(onDelta, streamOptions.onRestart);
      return traced("sendMessage", () => streamOnce(send, req, relay, streamOptions.signal));
    },
    saveBillingSession: (request) => invoke("saveBillingSession", request),
    getBillingInfo: (agentId, conversationId) =>
      invoke("getBillingInfo", conversationId === undefined ? { agentId } : { agentId, conversationId }),
    getUsageAnalytics: (request) => invoke("getUsageAnalytics", request),
    listBillableConversations: (request) => invoke("listBillableConversations", request),
    iterateBillableConversations: (request) => allConversations(client, request),
    exportBillingReport: (request) => traced("exportBillingReport", async () => readReport(await openReport(exportDeps(), request))),
    openBillingReport: (request, signal) => traced("openBillingReport", () => openReport(exportDeps(), request, signal)),
    setAgentBillingSettings: (request) => invoke("setAgentBillingSettings", request),
    setAgentStatus: (request) => invoke("setAgentStatus", request),
    quoteMessage: (request) => invoke("quoteMessage", request),
    listBillingAlerts: (request) => invoke("listBillingAlerts", request),
    getAccountOverview: (request) => invoke("getAccountOverview", request),
    getStatement: (request) => invoke("getStatement", request),
    listStatements: (request) => invoke("listStatements", request),
    createAgentApiKey: (request) => invokeOnce("createAgentApiKey", request),
    listAgentApiKeys: (request) => invoke("listAgentApiKeys", request),
    revokeAgentApiKey: (request) => invoke("revokeAgentApiKey", request),
    getEndUserUsage: (request) => invoke("getEndUserUsage", request),
    createOrg: (request) => invokeOnce("createOrg", request),
    addOrgMember: (request) => invoke("addOrgMember", request),
    setOrgMemberRole: (request) => invoke("setOrgMemberRole", request),
    removeOrgMember: (request) => invoke("removeOrgMember", request),
    listOrgMembers: (request) => invoke("listOrgMembers", request),
    setOrgBudgets: (request) => invoke("setOrgBudgets", request),
    getOrgBillingInfo: (request) => invoke("getOrgBillingInfo", request),
  };
  return client;
}

async function* allConversations(
  client: BillingClient,
  request: Omit<RequestOf<"listBillableConversations">, "pageToken">,
): AsyncGenerator<ConversationItem> {
  let pageToken: string | null = null;
  do {
    const page: ResponseOf<"listBillableConversations"> = await client.listBillableConversations(
      pageToken === null ? request : { ...request, pageToken },
    );
    yield* page.items;
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
}
