/**
 * The fold of daily-bucket shards (store/fold.ts), as a plain function with an injected clock: the
 * scheduled trigger calls it, and so do tests and the bench. Running it twice is running it once.
 */
import type { Firestore } from "firebase-admin/firestore";
import { localDay } from "../base/periods";
import { mapWithConcurrency } from "../base/pool";
import { DAILY_ROLLUPS, foldBucket, openBucketsBefore } from "../store/fold";

/** The westernmost timezone (UTC-12; POSIX names count the offset backwards): every local day ends there last. */
const LAST_ZONE = "Etc/GMT+12";
const PAGE = 100;
const CONCURRENCY = 8;

/**
 * The first day not folded: today at UTC-12, the last timezone to finish a day. Every day before it
 * is over in every timezone (this is at least UTC yesterday, and from noon UTC on, UTC today), so
 * only a late delivery still adds to it, and that reopens it.
 */
export function foldCutoff(now: number): string {
  return localDay(now, LAST_ZONE);
}

/** What one fold did. */
export interface FoldSummary {
  /** Buckets whose shards were folded into them. */
  buckets: number;
  /** Shard documents folded and deleted. */
  shards: number;
  /** Buckets whose transaction failed: left open (still exact) for the next run. */
  failed: number;
}

/**
 * Folds the shards of every daily bucket whose day is over (before {@link foldCutoff}): the agents'
 * local days and the owners' UTC days alike (an account's UTC day is over by then too).
 */
export async function foldRollupShards(db: Firestore, now: number): Promise<FoldSummary> {
  const summary: FoldSummary = { buckets: 0, shards: 0, failed: 0 };
  for (const rollup of DAILY_ROLLUPS) {
    for await (const page of openBucketsBefore(db, rollup, foldCutoff(now), PAGE)) {
      // A bucket that fails is counted, not thrown: the others still fold, and none is left running.
      const folded = await mapWithConcurrency(page, CONCURRENCY, (bucket) => foldBucket(db, rollup, bucket.ref).catch(() => null));
      for (const n of folded) {
        if (n === null) summary.failed += 1;
        else if (n > 0) [summary.buckets, summary.shards] = [summary.buckets + 1, summary.shards + n];
      }
    }
  }
  return summary;
}
