/**
 * The owner's raised alerts (`billing_alerts`), newest first, a page at a time. Every query filters
 * on the caller's `userId`, so a page cursor can only move within the caller's own alerts.
 */
import { FieldPath, Timestamp, type DocumentData, type Firestore } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";

/** Where a page ends: the last alert's creation time (exact) and id. */
export interface AlertCursor {
  seconds: number;
  nanos: number;
  id: string;
}

export interface StoredAlert {
  id: string;
  data: DocumentData;
}

/**
 * One page of `uid`'s alerts (of one agent when given), newest first, and the cursor after it
 * (null on the last page). Reads `pageSize + 1` documents to know whether there is more.
 */
export async function alertPage(
  db: Firestore,
  uid: string,
  { agentId, pageSize, after }: { agentId?: string; pageSize: number; after: AlertCursor | null },
): Promise<{ alerts: StoredAlert[]; next: AlertCursor | null }> {
  let query = db.collection(COLLECTIONS.alerts).where("userId", "==", uid);
  if (agentId) query = query.where("agentId", "==", agentId);
  query = query.orderBy("createdAt", "desc").orderBy(FieldPath.documentId(), "desc");
  if (after) query = query.startAfter(new Timestamp(after.seconds, after.nanos), after.id);
  const snap = await query.limit(pageSize + 1).get();
  const docs = snap.docs.slice(0, pageSize);
  const last = docs[docs.length - 1];
  const at = last?.get("createdAt") as Timestamp | undefined;
  const next = snap.docs.length > pageSize && last && at ? { seconds: at.seconds, nanos: at.nanoseconds, id: last.id } : null;
  return { alerts: docs.map((d) => ({ id: d.id, data: d.data() })), next };
}
