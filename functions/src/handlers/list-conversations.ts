/**
 * listBillableConversations: the owner's ledger rows of one agent, newest first, a page at a time,
 * resumed with an opaque page token bound to the agent, the caller and the filters.
 */
import type { Firestore } from "firebase-admin/firestore";
import {
  DEFAULT_PAGE_SIZE,
  type ConversationItem,
  type ListConversationsRequest,
  type ListConversationsResponse,
} from "../contract/analytics";
import type { LedgerRow } from "../domain/ledger";
import { rowProblem } from "../domain/ledger-schema";
import { decodePageToken, encodePageToken, PageTokenError, type PageCursor, type PageScope } from "../domain/page-token";
import { invalidArgument } from "../errors";
import { loadAgentFor } from "../store/agents";
import { cursorAfter, ledgerPage, type StoredRow } from "../store/ledger-queries";
import { logRowLeftOut } from "../logs";

export interface ListConversationsDeps {
  db: Firestore;
  /** The ledger signing key: verifies rows, and (through a derived key) signs page tokens. */
  signingKey: string;
}

/** The fields clients see, picked one by one so that a new internal field never leaks (nor `sig`). */
export function toConversationItem(id: string, row: LedgerRow): ConversationItem {
  return {
    id,
    agentId: row.agentId,
    conversationId: row.conversationId,
    messageId: row.messageId,
    sessionId: row.sessionId,
    userMessage: row.userMessage,
    agentResponse: row.agentResponse,
    tokens: { prompt: row.tokens.prompt, completion: row.tokens.completion, total: row.tokens.total, cached: row.tokens.cached },
    cost: row.cost,
    costMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
    billable: row.billable,
    mode: row.mode,
    model: row.model,
    timestamp: row.timestamp,
    localDay: row.localDay,
    usageSource: row.usageSource,
    priceVersion: row.priceVersion,
    latencyMs: row.latencyMs,
  };
}

/**
 * The rows the billing counts: the same check as the rollup, so history and exports agree with
 * the summaries and analytics. A refused row (not written by the backend) is logged and left out.
 */
export function countedRows(rows: StoredRow[], signingKey: string): { id: string; row: LedgerRow }[] {
  const out: { id: string; row: LedgerRow }[] = [];
  for (const stored of rows) {
    const problem = rowProblem(stored.id, stored.data, signingKey);
    if (problem) logRowLeftOut(stored.id, problem);
    else out.push({ id: stored.id, row: stored.data as unknown as LedgerRow });
  }
  return out;
}

function readToken(token: string, scope: PageScope, key: string): PageCursor {
  try {
    return decodePageToken(token, scope, key);
  } catch (err) {
    if (err instanceof PageTokenError) throw invalidArgument(err.message);
    throw err;
  }
}

/** Handles one call for the signed-in `uid` (the request is already parsed by its schema). */
export async function handleListConversations(
  deps: ListConversationsDeps,
  uid: string,
  req: ListConversationsRequest,
): Promise<ListConversationsResponse> {
  const { userId: owner } = await loadAgentFor(deps.db, req.agentId, uid, "readConversations");
  const filters = { from: req.from, to: req.to, billable: req.billable };
  const scope: PageScope = { agentId: req.agentId, userId: owner, filters };
  const after = req.pageToken === undefined ? null : readToken(req.pageToken, scope, deps.signingKey);
  const page = await ledgerPage(deps.db, { agentId: req.agentId, userId: owner, ...filters }, after, req.pageSize ?? DEFAULT_PAGE_SIZE);
  const last = page.rows[page.rows.length - 1];
  return {
    items: countedRows(page.rows, deps.signingKey).map(({ id, row }) => toConversationItem(id, row)),
    nextPageToken: page.more && last ? encodePageToken(scope, cursorAfter(last), deps.signingKey) : null,
  };
}
