/**
 * Folding the shards of daily buckets (the agents' and the owners', every rollup of the registry
 * with `daily`) into the buckets: compaction, not correctness. A reader adds
 * a bucket's open shards to it whatever their age (store/rollup-reads.ts); folding the days that
 * are over keeps a long range to one read per day. A fold is one transaction per bucket: read the
 * bucket and its shards, add the shards' sums to the bucket's counters, delete the shards and clear
 * `openShards`. A row rolled up later for that day finds its shard missing, and the rollup's
 * create-what-is-missing transaction recreates it and reopens the bucket: still exact.
 */
import type { DocumentReference, Firestore, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { ROLLUPS, SHARD_COLLECTION, type Rollup } from "../domain/rollups";
import { addShards } from "./rollup-reads";

/** The rollups with one sharded document per day: the ones a fold compacts. */
export const DAILY_ROLLUPS: readonly Rollup[] = ROLLUPS.filter((r) => r.daily && r.shards);

/**
 * Pages of `rollup`'s buckets with open shards whose day is before `day`. Needs the composite
 * index openShards ASC, day ASC on its collection.
 */
export async function* openBucketsBefore(
  db: Firestore,
  rollup: Rollup,
  day: string,
  pageSize: number,
): AsyncGenerator<QueryDocumentSnapshot[]> {
  const query = db.collection(rollup.collection).where("openShards", "==", true).where("day", "<", day).orderBy("day").limit(pageSize);
  for (let after: QueryDocumentSnapshot | undefined; ;) {
    const page = await (after ? query.startAfter(after) : query).get();
    if (page.size) yield page.docs;
    if (page.size < pageSize) return;
    after = page.docs[page.size - 1];
  }
}

/**
 * Folds one bucket's shards into it, in one transaction; its totals are unchanged, and so is its
 * `updatedAt` (the latest write to its totals, which the alert scheduler looks for). The shards are
 * read by id, not by a query, so the transaction locks those documents only.
 *
 * @returns the shards folded: 0 when the bucket was not open (folded meanwhile).
 */
export async function foldBucket(db: Firestore, rollup: Rollup, ref: DocumentReference): Promise<number> {
  const shardRefs = Array.from({ length: rollup.shards! }, (_, k) => ref.collection(SHARD_COLLECTION).doc(String(k)));
  return db.runTransaction(async (tx) => {
    const [main, ...all] = await tx.getAll(ref, ...shardRefs);
    if (main.get("openShards") !== true) return 0;
    const shards = all.filter((s) => s.exists);
    const total = addShards(
      rollup,
      main.data()!,
      shards.map((s) => s.data()!),
    );
    const fields = [...rollup.counters, "updatedAt"].filter((field) => total[field] !== undefined);
    tx.update(ref, { ...Object.fromEntries(fields.map((field) => [field, total[field]])), openShards: false });
    for (const shard of shards) tx.delete(shard.ref);
    return shards.length;
  });
}
