/** Rolls a new ledger row into every rollup (summary, daily bucket, session: domain/rollups.ts), exactly once. */
import type { Firestore } from "firebase-admin/firestore";
import type { LedgerRow } from "../domain/ledger";
import { rowProblem } from "../domain/ledger-schema";
import { logRejectedRow, logRollup } from "../logs";
import { applyRollup, type RollupOutcome } from "../store/rollups";

/** Safe to run any number of times, concurrently too: only the first run changes anything. */
export async function handleLedgerRowCreated(
  db: Firestore,
  signingKey: string,
  rowId: string,
  data: unknown,
): Promise<RollupOutcome | "refused"> {
  const problem = rowProblem(rowId, data, signingKey);
  if (problem) {
    logRejectedRow(rowId, problem);
    return "refused";
  }
  const outcome = await applyRollup(db, rowId, data as LedgerRow);
  logRollup(rowId, outcome);
  return outcome;
}
