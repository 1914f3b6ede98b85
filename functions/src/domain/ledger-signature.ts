/**
 * Ledger rows are signed with a server-side key (HMAC-SHA256) so that the rollup can prove a row
 * was written by the backend: a forged row would never be counted, even if rules were wrong.
 *
 * The secret is a key set: one key, or several separated by commas, newest first. New rows are
 * signed with the first and record its id (`kid`, a hash prefix of the key, which reveals nothing
 * of it); a row is verified with the key its `kid` names, and a row from before key ids with every
 * key of the set. Rotating is adding a key in front and keeping the old ones, so every row ever
 * signed still verifies (history, export, rollups and reconcile read them all).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
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
    // Rows from before key ids sign exactly what they signed then.
    ...(row.kid === undefined ? [] : [row.kid]),
    // So do rows without an attribution (every row before the agent API, and every sendMessage row).
    ...(row.apiKeyId === undefined ? [] : [["api", row.apiKeyId, row.endUserHash ?? null]]),
    // And rows no credit grant paid for (every row before credits burnt down at admission).
    ...(row.creditGrantId === undefined ? [] : [["credit", row.creditGrantId]]),
    // And rows of agents no organisation owns.
    ...(row.orgId === undefined ? [] : [["org", row.orgId, row.senderUid ?? null]]),
  ]);
}

const keyIds = new Map<string, string>();

/** The id of a signing key: 8 hex characters of its SHA-256 (hashed once per key, not per row). */
export function keyId(key: string): string {
  let id = keyIds.get(key);
  if (id === undefined) keyIds.set(key, (id = createHash("sha256").update(key).digest("hex").slice(0, 8)));
  return id;
}

/** The keys of a secret, newest first. */
function keysOf(secret: string): string[] {
  const keys = secret
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  if (!keys.length) throw new Error("ledger signing key is empty");
  return keys;
}

/** The key new rows are signed with (the first of the set) and its id. */
export function currentKey(secret: string): { kid: string; key: string } {
  const [key] = keysOf(secret);
  return { kid: keyId(key), key };
}

const hmac = (row: Signed, key: string) => createHmac("sha256", key).update(canonical(row)).digest("base64url");

/** The signature of a row (its `kid` already set) under the current key of `secret`. */
export function signRow(row: Signed, secret: string): string {
  const { kid, key } = currentKey(secret);
  if (row.kid !== undefined && row.kid !== kid) throw new RangeError(`row names key ${row.kid}, the current key is ${kid}`);
  return hmac(row, key);
}

/** True when `row.sig` is the signature of the row under the key of `secret` it names (any key for a row without `kid`). */
export function verifyRow(row: LedgerRow, secret: string): boolean {
  const keys = keysOf(secret).filter((key) => row.kid === undefined || keyId(key) === row.kid);
  const actual = Buffer.from(String(row.sig ?? ""));
  return keys.some((key) => {
    const expected = Buffer.from(hmac(row, key));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  });
}
