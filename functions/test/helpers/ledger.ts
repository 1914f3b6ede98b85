/**
 * Builds signed ledger rows as the backend writes them (domain/ledger-row.ts, the builder
 * sendMessage uses), for tests that seed traffic directly (analytics, alerts, reconcile) or replay
 * a trigger delivery.
 */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import { ledgerId } from "../../src/domain/ids";
import type { LedgerRow } from "../../src/domain/ledger";
import { buildLedgerRow, type Attribution } from "../../src/domain/ledger-row";
import { resolvePrice } from "../../src/domain/pricing";
import { writeLedgerRow as storeLedgerRow } from "../../src/store/ledger";

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
  /** Sent through the agent API: its key and end user. */
  attribution?: Attribution;
  /** The credit grant that paid for it (burnt at admission). */
  creditGrantId?: string;
  /** The org of an org agent's row, and the member who sent it. */
  org?: { orgId: string; senderUid?: string };
}

/** A signed row with provider usage, priced with the real price book, with test defaults. */
export function makeLedgerRow(spec: RowSpec, key: string): { id: string; row: LedgerRow } {
  const { agentId, userId, conversationId = "conv-1", messageId = randomUUID(), model = "gpt-4" } = spec;
  const { prompt = 100, completion = 50, cached = 0 } = spec;
  const mode = spec.mode ?? "production";
  // As in sendMessage: development meters an unpriced model, production refuses it.
  const price = resolvePrice(model);
  if (!price && mode === "production") throw new Error(`makeLedgerRow: model "${model}" has no price`);
  const row = buildLedgerRow(
    {
      agentId,
      userId,
      conversationId,
      messageId,
      mode,
      model,
      userMessage: `message ${messageId}`,
      agentResponse: `answer ${messageId}`,
      usage: { prompt, completion, total: prompt + completion, cached },
      usageSource: "provider",
      price,
      at: (spec.at ?? new Date()).getTime(),
      timezone: spec.timezone ?? "UTC",
      latencyMs: 5,
      ...(spec.attribution ? { attribution: spec.attribution } : {}),
      ...(spec.creditGrantId ? { creditGrantId: spec.creditGrantId } : {}),
      ...(spec.org ? { org: spec.org } : {}),
    },
    key,
  );
  return { id: ledgerId(agentId, conversationId, messageId), row };
}

/** Writes a made row as the backend does (store/ledger.ts); a test that writes an id twice is wrong, so that throws. */
async function createRow(db: Firestore, { id, row }: { id: string; row: LedgerRow }): Promise<void> {
  if ((await storeLedgerRow(db, id, row)) !== "created") throw new Error(`ledger row ${id} already exists`);
}

/** Writes made rows to the ledger, 20 at a time (the rollup trigger fires for each, as for real messages). */
export async function writeMadeRows(db: Firestore, made: { id: string; row: LedgerRow }[]): Promise<void> {
  for (let i = 0; i < made.length; i += 20) await Promise.all(made.slice(i, i + 20).map((m) => createRow(db, m)));
}

/** Writes a signed row to the ledger (the rollup trigger then fires as for a real message). */
export async function writeLedgerRow(db: Firestore, spec: RowSpec, key: string): Promise<{ id: string; row: LedgerRow }> {
  const made = makeLedgerRow(spec, key);
  await createRow(db, made);
  return made;
}
