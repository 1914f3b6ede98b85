import type { Firestore } from "firebase-admin/firestore";
import type { SessionFigures } from "../contract/send-message";
import { COLLECTIONS } from "./collections";

/** The rolled-up figures of a session (zeros before its first rollup). */
export async function readSessionFigures(db: Firestore, id: string): Promise<SessionFigures> {
  const snap = await db.doc(`${COLLECTIONS.sessions}/${id}`).get();
  const n = (field: string) => (snap.get(field) as number | undefined) ?? 0;
  return { messageCount: n("messageCount"), totalTokens: n("totalTokens"), totalCostMicros: n("totalCostMicros") };
}
