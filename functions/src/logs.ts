/**
 * Structured logs through named functions: ids as fields, never message text or secrets.
 */
import { logger } from "firebase-functions/v2";

const errorName = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export function logFailure(stage: string, ids: { agentId: string; userId: string; messageId: string }, err: unknown): void {
  logger.error("billing failure", { stage, agentId: ids.agentId, userId: ids.userId, messageId: ids.messageId, error: errorName(err) });
}

export function logUnexpected(fn: string, err: unknown): void {
  logger.error("unexpected error", { fn, error: errorName(err), stack: err instanceof Error ? err.stack : undefined });
}

export function logRollup(rowId: string, outcome: string): void {
  logger.info("rollup", { rowId, outcome });
}

export function logRejectedRow(rowId: string, reason: string): void {
  logger.warn("ledger row refused by the rollup", { rowId, reason });
}

export function logSessionMismatch(sessionId: string, fields: string[]): void {
  logger.warn("client session totals differ from the ledger", { sessionId, fields });
}

export function logRowLeftOut(rowId: string, reason: string): void {
  logger.warn("ledger row left out of history: not a countable row", { rowId, reason });
}

export function logAlertFailed(step: "raise" | "deliver", alertId: string, err: unknown): void {
  logger.error(step === "raise" ? "raising an alert failed; retried next run" : "alert delivery failed; retried next run", {
    alertId,
    error: errorName(err),
  });
}

export function logAlertsRun(figures: Record<string, unknown>): void {
  logger.info("billing alerts run", figures);
}
