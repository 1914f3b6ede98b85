/**
 * Reads of the end users' days (`billing_end_user_daily/{agentId}_{endUserHash}_{day}`, the
 * registry's `endUser` rollup; not sharded, so a document is its totals).
 */
import type { Firestore } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";

/** One end user's day, as stored. */
export interface EndUserDay {
  endUser: string;
  endUserHash: string;
  day: string;
  production?: { messages?: number; promptTokens?: number; completionTokens?: number; totalTokens?: number; costMicros?: number };
}

/**
 * The owner's end-user days of an agent from `from` to `to` (inclusive), at most `limit`, by day.
 * Needs the composite index agentId ASC, userId ASC, day ASC.
 */
export async function readEndUserDays(
  db: Firestore,
  scope: { agentId: string; userId: string; from: string; to: string },
  limit: number,
): Promise<EndUserDay[]> {
  const snap = await db
    .collection(COLLECTIONS.endUserDaily)
    .where("agentId", "==", scope.agentId)
    .where("userId", "==", scope.userId)
    .where("day", ">=", scope.from)
    .where("day", "<=", scope.to)
    .orderBy("day", "asc")
    .limit(limit)
    .get();
  return snap.docs.map((d) => d.data() as EndUserDay);
}
