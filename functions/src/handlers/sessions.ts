/**
 * saveBillingSession: the seed's call at the end of a conversation. Totals come from the ledger;
 * the client's figures are compared, and a mismatch is reported and logged, never stored as truth.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import type { SaveBillingSessionRequest, SaveBillingSessionResponse, SessionTotals } from "../contract/sessions";
import { sessionId } from "../domain/ids";
import { logSessionMismatch } from "../logs";
import { loadAgentFor } from "../store/agents";
import { ledgerSessionTotals, recordSessionEnd, toBillingSession } from "../store/sessions";

type Mismatch = SaveBillingSessionResponse["mismatches"][number];

/** Client figures that differ from the ledger. The client's display cost is compared in micros. */
export function compareClientTotals(req: SaveBillingSessionRequest, ledger: SessionTotals): Mismatch[] {
  const out: Mismatch[] = [];
  if (req.messages !== undefined && req.messages !== ledger.messageCount) {
    out.push({ field: "messages", client: req.messages, ledger: ledger.messageCount });
  }
  if (req.totalTokens !== undefined && req.totalTokens !== ledger.totalTokens) {
    out.push({ field: "totalTokens", client: req.totalTokens, ledger: ledger.totalTokens });
  }
  // The client's cost is a display number: compare it after rounding to the micro, not as money.
  if (req.totalCost !== undefined && Math.round(req.totalCost * 1e6) !== ledger.totalCostMicros) {
    out.push({ field: "totalCost", client: req.totalCost, ledger: ledger.totalCost });
  }
  return out;
}

export async function handleSaveBillingSession(
  db: Firestore,
  uid: string,
  req: SaveBillingSessionRequest,
  now: number,
): Promise<SaveBillingSessionResponse> {
  const { userId: owner } = await loadAgentFor(db, req.agentId, uid, "sendMessages");
  const id = sessionId(req.agentId, req.conversationId);
  const totals = await ledgerSessionTotals(db, { agentId: req.agentId, conversationId: req.conversationId, userId: owner });
  const mismatches = compareClientTotals(req, totals);
  if (mismatches.length)
    logSessionMismatch(
      id,
      mismatches.map((m) => m.field),
    );
  const snap = await recordSessionEnd(
    db,
    id,
    {
      sessionId: id,
      agentId: req.agentId,
      userId: owner,
      conversationId: req.conversationId,
      endedAt: Timestamp.fromDate(new Date(req.endedAt ?? now)),
      savedAt: Timestamp.fromMillis(now),
      clientReported: {
        messages: req.messages ?? null,
        totalTokens: req.totalTokens ?? null,
        totalCost: req.totalCost ?? null,
        testMode: req.testMode,
      },
      ledgerTotals: totals,
      mismatches,
    },
    { testMode: req.testMode, createdAt: Timestamp.fromMillis(now) },
  );
  return { session: toBillingSession(snap, totals)!, mismatches };
}
