/**
 * Ledger rows are signed with a server-side key (HMAC-SHA256) so that the rollup can prove a row
 * was written by the backend: a forged row would never be counted, even if rules were wrong.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { LedgerRow } from "./ledger";

type Signed = Omit<LedgerRow, "sig">;

/** The fields that decide what a row bills, in a fixed order. */
function canonical(row: Signed): string {
  const t = row.tokens;
  return JSON.stringify([
    row.writer,
    row.agentId,
    row.userId,
    row.conversationId,
    row.messageId,
    row.sessionId,
    row.mode,
    row.billable,
    row.model,
    [t.prompt, t.completion, t.total, t.cached],
    row.costMicros,
    row.shadowCostMicros,
    row.priceVersion,
    row.localDay,
  ]);
}

/** The signature of a row under `key`. */
export function signRow(row: Signed, key: string): string {
  if (!key) throw new Error("ledger signing key is empty");
  return createHmac("sha256", key).update(canonical(row)).digest("base64url");
}

/** True when `row.sig` is the signature of the row under `key`. */
export function verifyRow(row: LedgerRow, key: string): boolean {
  const expected = Buffer.from(signRow(row, key));
  const actual = Buffer.from(String(row.sig ?? ""));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
