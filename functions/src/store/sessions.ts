/** Sessions (`billing_sessions`): live rollups of one conversation, plus what clients report. */
import { AggregateField, Timestamp, type DocumentSnapshot, type Firestore } from "firebase-admin/firestore";
import type { SessionFigures } from "../contract/send-message";
import type { BillingSession, SessionTotals } from "../contract/sessions";
import { microsToUsd } from "../base/money";
import { COLLECTIONS } from "../base/collections";

export const sessionRef = (db: Firestore, id: string) => db.doc(`${COLLECTIONS.sessions}/${id}`);

/** A Firestore timestamp as ISO-8601, or null. */
export const isoOf = (value: unknown): string | null => (value instanceof Timestamp ? value.toDate().toISOString() : null);

const num = (snap: DocumentSnapshot, field: string) => (snap.get(field) as number | undefined) ?? 0;

/** The rolled-up figures of a session read as `snap` (zeros before its first rollup). */
export const sessionFiguresOf = (snap: DocumentSnapshot): SessionFigures => ({
  messageCount: num(snap, "messageCount"),
  totalTokens: num(snap, "totalTokens"),
  totalCostMicros: num(snap, "totalCostMicros"),
});

/** The rolled-up figures of a session (zeros before its first rollup). */
export async function readSessionFigures(db: Firestore, id: string): Promise<SessionFigures> {
  return sessionFiguresOf(await sessionRef(db, id).get());
}

/** A conversation's totals computed from the ledger itself (aggregation query, owner's rows only). */
export async function ledgerSessionTotals(
  db: Firestore,
  ids: { agentId: string; conversationId: string; userId: string },
): Promise<SessionTotals> {
  const snap = await db
    .collection(COLLECTIONS.ledger)
    .where("userId", "==", ids.userId)
    .where("agentId", "==", ids.agentId)
    .where("conversationId", "==", ids.conversationId)
    .aggregate({
      messages: AggregateField.count(),
      tokens: AggregateField.sum("tokens.total"),
      micros: AggregateField.sum("costMicros"),
      shadow: AggregateField.sum("shadowCostMicros"),
    })
    .get();
  const d = snap.data();
  return {
    messageCount: d.messages,
    totalTokens: d.tokens ?? 0,
    totalCostMicros: d.micros ?? 0,
    totalCost: microsToUsd(d.micros ?? 0),
    shadowCostMicros: d.shadow ?? 0,
  };
}

/**
 * Records what the client said about the end of a session, without touching the rolled-up totals.
 * A session saved before its first rollup gets the fields the rollup would have created it with.
 */
export async function recordSessionEnd(
  db: Firestore,
  id: string,
  fields: Record<string, unknown>,
  firstWrite: Record<string, unknown>,
): Promise<DocumentSnapshot> {
  const ref = sessionRef(db, id);
  await db.runTransaction(async (tx) => {
    const exists = (await tx.get(ref)).exists;
    tx.set(ref, exists ? fields : { ...firstWrite, ...fields }, { merge: true });
  });
  return ref.get();
}

/** A stored session as the API returns it, with totals from `totals` (the ledger, when known). */
export function toBillingSession(snap: DocumentSnapshot, totals?: SessionTotals): BillingSession | null {
  if (!snap.exists && !totals) return null;
  const micros = totals?.totalCostMicros ?? num(snap, "totalCostMicros");
  return {
    sessionId: snap.id,
    agentId: snap.get("agentId") as string,
    conversationId: snap.get("conversationId") as string,
    testMode: snap.get("testMode") as BillingSession["testMode"],
    messageCount: totals?.messageCount ?? num(snap, "messageCount"),
    totalTokens: totals?.totalTokens ?? num(snap, "totalTokens"),
    totalCostMicros: micros,
    totalCost: microsToUsd(micros),
    shadowCostMicros: totals?.shadowCostMicros ?? num(snap, "shadowCostMicros"),
    endedAt: isoOf(snap.get("endedAt")),
    createdAt: isoOf(snap.get("createdAt")),
  };
}

/** Reads a session document. */
export const getSession = (db: Firestore, id: string) => sessionRef(db, id).get();
