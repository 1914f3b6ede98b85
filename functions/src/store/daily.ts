/**
 * Reads of the daily buckets (`agent_usage_daily/{agentId}_{day}`), the source of analytics: by id
 * for a bounded range (one read per day, never the ledger), or by query, page by page, for an
 * export of any length.
 */
import type { Firestore } from "firebase-admin/firestore";
import { readDayUsage, type DayUsage } from "../domain/analytics";
import { dailyId } from "../domain/ids";
import { COLLECTIONS } from "../base/collections";

/** Documents per getAll call: keeps each RPC small; the calls run in parallel. */
const GET_ALL_CHUNK = 100;

/**
 * The buckets of `days` (missing days have no bucket). `documentsRead` counts every id asked for,
 * found or not: an upper bound on what the call is billed.
 */
export async function readDailyBuckets(
  db: Firestore,
  agentId: string,
  days: string[],
): Promise<{ usage: DayUsage[]; documentsRead: number }> {
  const chunks: string[][] = [];
  for (let i = 0; i < days.length; i += GET_ALL_CHUNK) chunks.push(days.slice(i, i + GET_ALL_CHUNK));
  const snaps = await Promise.all(
    chunks.map((chunk) => db.getAll(...chunk.map((day) => db.doc(`${COLLECTIONS.daily}/${dailyId(agentId, day)}`)))),
  );
  const usage: DayUsage[] = [];
  snaps.flat().forEach((snap, i) => {
    if (snap.exists) usage.push(readDayUsage(days[i], snap.data()));
  });
  return { usage, documentsRead: days.length };
}

/**
 * The buckets of the owner's agent from `from` to `to` (inclusive), by day ascending, in pages.
 * Needs the composite index agentId ASC, userId ASC, day ASC.
 */
export async function* dailyBucketPages(
  db: Firestore,
  scope: { agentId: string; userId: string; from: string; to: string },
  pageSize: number,
): AsyncGenerator<DayUsage[]> {
  const base = db
    .collection(COLLECTIONS.daily)
    .where("agentId", "==", scope.agentId)
    .where("userId", "==", scope.userId)
    .where("day", ">=", scope.from)
    .where("day", "<=", scope.to)
    .orderBy("day", "asc");
  let after: string | null = null;
  for (;;) {
    const snap = await (after === null ? base : base.startAfter(after)).limit(pageSize).get();
    const page = snap.docs.map((doc) => readDayUsage(String(doc.get("day")), doc.data()));
    if (page.length) yield page;
    if (snap.size < pageSize) return;
    after = page[page.length - 1].day;
  }
}
