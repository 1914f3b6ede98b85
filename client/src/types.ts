/**
 * The request and response types of the billing backend, from ONE definition: the functions'
 * contract modules. Type-only imports are erased by the compiler, so no zod and no functions code
 * reaches an app that bundles this SDK.
 *
 * They are imported through the `functions` workspace package (node_modules/functions ->
 * ../functions), not by a relative path: tsc then treats the contract as an external library, so
 * it neither copies it into lib/ nor needs rootDir above src/, and the emitted .d.ts files point at
 * the contract itself, where `zod` resolves to the functions' zod 4. Through a relative path the
 * contract's declarations are copied to client/lib/functions/, where `zod` resolves to the root's
 * zod 3 (firebase-tools') and every request type silently breaks for consumers.
 *
 * The client's methods are typed by the functions' map of callables (`CallableName`, `RequestOf`,
 * `ResponseOf`, `ChunkOf`); the named types below are the same types, for apps to spell out.
 *
 * The settings request is the schema's output type; its fields are the same as what a caller sends
 * (money fields are plain numbers of USD either way; the server converts them to micros).
 */
import type { ExportFormat, ExportQuery } from "functions/src/contract/analytics";

export type { CallableName, ChunkOf, RequestOf, ResponseOf } from "functions/src/contract/callables";

export type { TestMode, Tokens, BillingErrorCode } from "functions/src/contract/common";
export type { SendMessageRequest, SendMessageResponse, SendMessageChunk, SessionFigures } from "functions/src/contract/send-message";
export type { SaveBillingSessionRequest, SaveBillingSessionResponse, BillingSession, SessionTotals } from "functions/src/contract/sessions";
export type {
  GetBillingInfoRequest,
  GetBillingInfoResponse,
  BillingSummary,
  BillingLimits,
  LimitWindow,
} from "functions/src/contract/billing-info";
export type {
  ConversationItem,
  ExportFormat,
  Granularity,
  ListConversationsRequest,
  ListConversationsResponse,
  ModelCost,
  SeriesPoint,
  UsageAnalyticsRequest,
  UsageAnalyticsResponse,
  UsageBreakdown,
  UsageEfficiency,
  UsageFigures,
} from "functions/src/contract/analytics";
export type { BillingSettingsView, SetAgentBillingSettingsRequest } from "functions/src/contract/settings";
export type {
  AgentStatus,
  AlertItem,
  ListBillingAlertsRequest,
  ListBillingAlertsResponse,
  PriceView,
  QuoteMessageRequest,
  QuoteMessageResponse,
  SetAgentStatusRequest,
  SetAgentStatusResponse,
} from "functions/src/contract/console";
export type {
  GetStatementRequest,
  GetStatementResponse,
  ListStatementsRequest,
  ListStatementsResponse,
  StatementItem,
  StatementLine,
  StatementLineKind,
  StatementStatus,
  StatementUsage,
  StatementView,
} from "functions/src/contract/statements";
export type {
  AgentApiKeyView,
  CreateAgentApiKeyRequest,
  CreateAgentApiKeyResponse,
  EndUserUsageItem,
  EndUserUsageRequest,
  EndUserUsageResponse,
  ListAgentApiKeysResponse,
  RevokeAgentApiKeyRequest,
  RevokeAgentApiKeyResponse,
} from "functions/src/contract/agent-api";

/** What a caller passes to exportBillingReport: the export's query, `format` defaulting to "json". */
export type ExportReportRequest = Omit<ExportQuery, "format"> & { format?: ExportFormat };
