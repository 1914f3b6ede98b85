/**
 * Builds signed ledger rows as the backend writes them, for tests that seed traffic directly
 * (analytics, alerts, reconcile) or replay a trigger delivery.
 */
import { randomUUID } from "node:crypto";
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { ledgerId, sessionId } from "../../src/domain/ids";
import { LEDGER_WRITER, type LedgerRow } from "../../src/domain/ledger";
import { signRow } from "../../src/domain/ledger-signature";
import { microsToUsd } from "../../src/domain/money";
import { localDay } from "../../src/domain/periods";
import { costMicros, resolvePrice } from "../../src/domain/pricing";

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

/** A signed row priced with the real price book. */
export function makeLedgerRow(spec: RowSpec, key: string): { id: string; row: LedgerRow } {
  const mode = spec.mode ?? "production";
  const model = spec.model ?? "gpt-4";
  const conversationId = spec.conversationId ?? "conv-1";
  const messageId = spec.messageId ?? randomUUID();
  const prompt = spec.prompt ?? 100;
  const completion = spec.completion ?? 50;
  const cached = spec.cached ?? 0;
  const at = spec.at ?? new Date();
  const priced = resolvePrice(model);
  const tokens = { prompt, completion, total: prompt + completion, cached };
  const list = priced ? costMicros(tokens, priced.price) : 0;
  const charged = mode === "production" ? list : 0;
  const unsigned: Omit<LedgerRow, "sig"> = {
    agentId: spec.agentId,
    conversationId,
    userMessage: `message ${messageId}`,
    agentResponse: `answer ${messageId}`,
    tokens,
    cost: microsToUsd(charged),
    timestamp: at.toISOString(),
    billable: mode === "production",
    testMode: mode !== "production",
    userId: spec.userId,
    messageId,
    sessionId: sessionId(spec.agentId, conversationId),
    mode,
    model,
    costMicros: charged,
    shadowCostMicros: list,
    usageSource: "provider",
    priceVersion: priced?.priceVersion ?? "unpriced",
    localDay: localDay(at, spec.timezone ?? "UTC"),
    latencyMs: 5,
    writer: LEDGER_WRITER,
  };
  const row = { ...unsigned, sig: signRow(unsigned, key) };
  return { id: ledgerId(spec.agentId, conversationId, messageId), row };
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
