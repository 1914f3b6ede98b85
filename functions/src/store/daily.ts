/**
 * Reads of the daily buckets (`agent_usage_daily/{agentId}_{day}`, plus the shards of a day not
 * yet folded), the source of analytics: by id for a bounded range (one read per day and one per
 * open shard, never the ledger), or by query, page by page, for an export of any length.
 */
import type { Firestore } from "firebase-admin/firestore";
import { readDayUsage, type DayUsage } from "../domain/analytics";
import { dailyId } from "../domain/ids";
import { rollupNamed } from "../domain/rollups";
import { COLLECTIONS } from "../base/collections";
import { queryRollupDocs, readRollupDocs } from "./rollup-reads";

const DAILY = rollupNamed("daily");

/**
 * The buckets of `days` (missing days have no bucket), at one snapshot. `documentsRead` counts
 * every id asked for, found or not, and the shards of the days not folded: an upper bound on what
 * the call is billed (days + 16 per open day).
 */
export async function readDailyBuckets(
  db: Firestore,
  agentId: string,
  days: string[],
): Promise<{ usage: DayUsage[]; documentsRead: number }> {
  const { docs, documentsRead } = await readRollupDocs(
    db,
    DAILY,
    days.map((day) => dailyId(agentId, day)),
  );
  const usage = docs.flatMap((data, i) => (data ? [readDayUsage(days[i], data)] : []));
  return { usage, documentsRead };
}

/**
 * The buckets of the owner's agent from `from` to `to` (inclusive), by day ascending, in pages
 * (each page with its shards at one snapshot). Needs the composite index agentId ASC, userId ASC,
 * day ASC.
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
    const docs = await queryRollupDocs(db, DAILY, (after === null ? base : base.startAfter(after)).limit(pageSize));
    const page = docs.map(({ data }) => readDayUsage(String(data.day), data));
    if (page.length) yield page;
    if (docs.length < pageSize) return;
    after = page[page.length - 1].day;
  }
}
