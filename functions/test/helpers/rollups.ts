/**
 * Rollup totals as every reader sees them: a sharded rollup's main document plus its shards
 * (store/rollup-reads.ts). Tests read totals through these, never a main document alone, which
 * holds only what was folded into it.
 */
import type { DocumentData, Firestore } from "firebase-admin/firestore";
import { dailyId } from "../../src/domain/ids";
import { ROLLUPS } from "../../src/domain/rollups";
import { readRollupDocs } from "../../src/store/rollup-reads";

/** The totals of the rollup document at `path` (`{collection}/{id}`); `{}` when it does not exist. */
export async function rollupTotals(db: Firestore, path: string): Promise<DocumentData> {
  const [collection, id, ...rest] = path.split("/");
  const rollup = ROLLUPS.find((r) => r.collection === collection);
  if (!rollup || !id || rest.length) throw new Error(`rollupTotals: ${path} is not a rollup document`);
  return (await readRollupDocs(db, rollup, [id])).docs[0] ?? {};
}

/** An agent's summary: main document and shards added up. */
export const summaryTotals = (db: Firestore, agentId: string) => rollupTotals(db, `agent_billing_summary/${agentId}`);

/** An agent's daily bucket of `day`: main document and shards added up. */
export const dailyTotals = (db: Firestore, agentId: string, day: string) => rollupTotals(db, `agent_usage_daily/${dailyId(agentId, day)}`);
