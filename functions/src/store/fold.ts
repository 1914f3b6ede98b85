/**
 * Folding the shards of daily buckets into the buckets: compaction, not correctness. A reader adds
 * a bucket's open shards to it whatever their age (store/rollup-reads.ts); folding the days that
 * are over keeps a long range to one read per day. A fold is one transaction per bucket: read the
 * bucket and its shards, add the shards' sums to the bucket's counters, delete the shards and clear
 * `openShards`. A row rolled up later for that day finds its shard missing, and the rollup's
 * create-what-is-missing transaction recreates it and reopens the bucket: still exact.
 */
import type { DocumentReference, Firestore, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { rollupNamed, SHARD_COLLECTION } from "../domain/rollups";
import { addShards } from "./rollup-reads";

const DAILY = rollupNamed("daily");

/**
 * Pages of daily buckets with open shards whose day is before `day`. Needs the composite index
 * openShards ASC, day ASC.
 */
export async function* openBucketsBefore(db: Firestore, day: string, pageSize: number): AsyncGenerator<QueryDocumentSnapshot[]> {
  const query = db.collection(DAILY.collection).where("openShards", "==", true).where("day", "<", day).orderBy("day").limit(pageSize);
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
export async function foldBucket(db: Firestore, ref: DocumentReference): Promise<number> {
  const shardRefs = Array.from({ length: DAILY.shards! }, (_, k) => ref.collection(SHARD_COLLECTION).doc(String(k)));
  return db.runTransaction(async (tx) => {
    const [main, ...all] = await tx.getAll(ref, ...shardRefs);
    if (main.get("openShards") !== true) return 0;
    const shards = all.filter((s) => s.exists);
    const total = addShards(
      DAILY,
      main.data()!,
      shards.map((s) => s.data()!),
    );
    const fields = [...DAILY.counters, "updatedAt"].filter((field) => total[field] !== undefined);
    tx.update(ref, { ...Object.fromEntries(fields.map((field) => [field, total[field]])), openShards: false });
    for (const shard of shards) tx.delete(shard.ref);
    return shards.length;
  });
}
