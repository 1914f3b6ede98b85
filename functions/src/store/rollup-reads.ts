/**
 * Reads of rollup documents, shards included: a sharded rollup's totals are its main document plus
 * the sum of its shards (store/rollups.ts writes them), read at one snapshot (a read-only
 * transaction) and added up exactly. Only the main documents that say `openShards` have shards to
 * read: a folded daily bucket (store/fold.ts) is one read. Every reader of a summary or a daily
 * bucket goes through here, so none sees a main document without its shards.
 */
import {
  Timestamp,
  type DocumentData,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type Transaction,
} from "firebase-admin/firestore";
import { rollupNamed, SHARD_COLLECTION, sumCounters, type Rollup } from "../domain/rollups";

/** A rollup document as readers see it: the main document's fields, its counters summed with its shards'. */
export type RollupData = DocumentData;

/** The later of the timestamps found (shards carry their own `updatedAt` and `lastActivity`). */
function latest(values: unknown[]): Timestamp | undefined {
  const stamps = values.filter((v): v is Timestamp => v instanceof Timestamp);
  return stamps.length ? stamps.reduce((a, b) => (b.toMillis() > a.toMillis() ? b : a)) : undefined;
}

/** A main document with its shards added in: counters summed exactly, `updatedAt` and `lastActivity` the latest. */
export function addShards(rollup: Rollup, main: DocumentData, shards: DocumentData[]): RollupData {
  const all = [main, ...shards];
  const out: RollupData = { ...main, ...sumCounters(rollup, all) };
  for (const field of ["updatedAt", "lastActivity"]) {
    const at = latest(all.map((d) => d[field]));
    if (at) out[field] = at;
  }
  return out;
}

/**
 * Adds their shards to main documents read in `tx`, reading the shards of those that say
 * `openShards` (in parallel, in the same snapshot). `shardsRead` is what the shard queries are
 * billed: one per shard found, one for a query that finds none.
 */
async function withShards(
  tx: Transaction,
  rollup: Rollup,
  mains: DocumentSnapshot[],
): Promise<{ docs: (RollupData | undefined)[]; shardsRead: number }> {
  let shardsRead = 0;
  const docs = await Promise.all(
    mains.map(async (main) => {
      const data = main.data();
      if (data?.openShards !== true) return data;
      const shards = await tx.get(main.ref.collection(SHARD_COLLECTION));
      shardsRead += Math.max(1, shards.size);
      return addShards(
        rollup,
        data,
        shards.docs.map((d) => d.data()),
      );
    }),
  );
  return { docs, shardsRead };
}

/**
 * Documents of `rollup` by id, at one snapshot; undefined for one that does not exist.
 * `documentsRead` counts every id asked for, found or not, plus the shards read: an upper bound
 * on what the call is billed.
 */
export async function readRollupDocs(
  db: Firestore,
  rollup: Rollup,
  ids: string[],
): Promise<{ docs: (RollupData | undefined)[]; documentsRead: number }> {
  if (!ids.length) return { docs: [], documentsRead: 0 };
  return db.runTransaction(
    async (tx) => {
      const mains = await tx.getAll(...ids.map((id) => db.doc(`${rollup.collection}/${id}`)));
      const { docs, shardsRead } = await withShards(tx, rollup, mains);
      return { docs, documentsRead: ids.length + shardsRead };
    },
    { readOnly: true },
  );
}

/** The main documents of `rollup` a query returns, in its order, with their shards, at one snapshot. */
export async function queryRollupDocs(db: Firestore, rollup: Rollup, query: Query): Promise<{ id: string; data: RollupData }[]> {
  if (!rollup.shards) return (await query.get()).docs.map((d) => ({ id: d.id, data: d.data() }));
  return db.runTransaction(
    async (tx) => {
      const snap = await tx.get(query);
      const { docs } = await withShards(tx, rollup, snap.docs);
      return snap.docs.map((d, i) => ({ id: d.id, data: docs[i] ?? d.data() }));
    },
    { readOnly: true },
  );
}

const SUMMARY = rollupNamed("summary");

/** An agent's summary, main document and shards added up; undefined before its first rollup. */
export async function readSummary(db: Firestore, agentId: string): Promise<RollupData | undefined> {
  return (await readRollupDocs(db, SUMMARY, [agentId])).docs[0];
}
