/**
 * Builds signed ledger rows as the backend writes them, for tests that seed traffic directly
 * (analytics, alerts, reconcile) or replay a trigger delivery.
 */
import { randomUUID } from "node:crypto";
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { ledgerRowOf } from "../../../scripts/seed-traffic";
import type { LedgerRow } from "../../src/domain/ledger";

export interface RowSpec {
  agentId: string;
  userId: string;
  conversationId?: string;
  messageId?: string;
  mode?: "production" | "development";
  model?: string;
  prompt?: number;
  completion?: number;
  cached?: number;
  at?: Date;
  timezone?: string;
}

/** A signed row priced with the real price book (`ledgerRowOf`, as the demo and the bench seed them), with test defaults. */
export function makeLedgerRow(spec: RowSpec, key: string): { id: string; row: LedgerRow } {
  const messageId = spec.messageId ?? randomUUID();
  return ledgerRowOf(
    {
      agentId: spec.agentId,
      userId: spec.userId,
      conversationId: spec.conversationId ?? "conv-1",
      messageId,
      mode: spec.mode ?? "production",
      model: spec.model ?? "gpt-4",
      prompt: spec.prompt ?? 100,
      completion: spec.completion ?? 50,
      cached: spec.cached ?? 0,
      at: spec.at ?? new Date(),
      timezone: spec.timezone ?? "UTC",
      userMessage: `message ${messageId}`,
      agentResponse: `answer ${messageId}`,
      latencyMs: 5,
    },
    key,
  );
}

/** Writes made rows to the ledger, 20 at a time (the rollup trigger fires for each, as for real messages). */
export async function writeMadeRows(db: Firestore, made: { id: string; row: LedgerRow }[]): Promise<void> {
  for (let i = 0; i < made.length; i += 20) {
    await Promise.all(
      made
        .slice(i, i + 20)
        .map(({ id, row }) =>
          db.doc(`billable_conversations/${id}`).create({ ...row, createdAt: Timestamp.fromDate(new Date(row.timestamp)) }),
        ),
    );
  }
}

/** Writes a signed row to the ledger (the rollup trigger then fires as for a real message). */
export async function writeLedgerRow(db: Firestore, spec: RowSpec, key: string): Promise<{ id: string; row: LedgerRow }> {
  const made = makeLedgerRow(spec, key);
  await db.doc(`billable_conversations/${made.id}`).create({ ...made.row, createdAt: Timestamp.fromDate(new Date(made.row.timestamp)) });
  return made;
}
