/**
 * The agent API's keys at request time: the bearer key parsed, its document found by key id
 * (this instance's copy, or one read), its secret checked against the stored hash in constant
 * time. A copy is never trusted alone for a completion: the key is read again in the metering
 * pipeline's admission read (no round trip of its own), so a revoked key refuses every message read
 * after the revocation. `lastUsedAt` is written at most once a minute per key and instance, in the
 * claim batch (no write of its own).
 */
import type { Firestore, WriteBatch } from "firebase-admin/firestore";
import { endUserHashOf, keySpendScope, parseKey, secretMatches } from "../../domain/api-keys";
import { BillingError } from "../../errors";
import { apiKeyOf, apiKeyRef, readApiKey, touchApiKeyInto, type ApiKeyDoc } from "../../store/api-keys";
import type { Sender } from "../send-message";
import { invalidApiKey } from "./errors";

/** How often one instance records a key's `lastUsedAt`. */
export const LAST_USED_EVERY_MS = 60_000;

/** This instance's copies of the keys it served (at most `capacity`; the one read longest ago is dropped). */
export class KeyCache {
  private readonly entries = new Map<string, { key: ApiKeyDoc; touchedAt: number }>();

  constructor(private readonly capacity = 1_000) {}

  get(keyId: string): ApiKeyDoc | undefined {
    return this.entries.get(keyId)?.key;
  }

  set(key: ApiKeyDoc): void {
    const touchedAt = this.entries.get(key.keyId)?.touchedAt ?? 0;
    this.entries.delete(key.keyId);
    this.entries.set(key.keyId, { key, touchedAt });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(keyId: string): void {
    this.entries.delete(keyId);
  }

  /** True (and noted) when the key's `lastUsedAt` is due from this instance at `now`. */
  touchDue(keyId: string, now: number): boolean {
    const entry = this.entries.get(keyId);
    if (!entry || now - entry.touchedAt < LAST_USED_EVERY_MS) return false;
    entry.touchedAt = now;
    return true;
  }
}

/** The key a request's `Authorization: Bearer <key>` names, checked; `fresh` reads it even when a copy is kept. */
export async function authenticate(
  db: Firestore,
  cache: KeyCache,
  authorization: string | undefined,
  { fresh = false } = {},
): Promise<ApiKeyDoc> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  const parsed = bearer ? parseKey(bearer) : null;
  if (!parsed) throw invalidApiKey();
  let key = fresh ? undefined : cache.get(parsed.keyId);
  if (!key) {
    const read = await readApiKey(db, parsed.keyId);
    // Unknown ids are not kept: a caller cannot fill the copies with keys that do not exist.
    if (read) cache.set(read);
    key = read ?? undefined;
  }
  if (!key || !secretMatches(parsed.secret, key.secretHash)) throw invalidApiKey();
  if (key.revokedAt) {
    cache.forget(key.keyId);
    throw invalidApiKey();
  }
  return key;
}

/**
 * The metering pipeline's sender for a message sent with `key`: billed to the agent's owner, rate
 * limited per key, counted against the key's and the end user's daily limits, the key confirmed
 * in the admission read.
 */
export function apiSender(db: Firestore, cache: KeyCache, key: ApiKeyDoc, endUser: string | undefined, now: number): Sender {
  return {
    uid: key.userId,
    rateKey: keySpendScope(key.keyId),
    api: {
      keyId: key.keyId,
      ...(endUser === undefined ? {} : { endUser, endUserHash: endUserHashOf(key.agentId, endUser) }),
      keyDailyLimitMicros: key.dailyLimitMicros,
      endUserDailyLimitMicros: key.endUserDailyLimitMicros,
      confirm: {
        ref: apiKeyRef(db, key.keyId),
        check: (snap) => {
          const current = apiKeyOf(snap);
          if (current && !current.revokedAt && current.secretHash === key.secretHash) return null;
          cache.forget(key.keyId);
          return invalidApiKeyAsBilling();
        },
      },
      claimWrites: (batch: WriteBatch) => {
        if (cache.touchDue(key.keyId, now)) touchApiKeyInto(batch, db, key.keyId);
      },
    },
  };
}

/** The pipeline throws BillingErrors: a revoked key is its `unauthenticated`, which the API answers as {@link invalidApiKey}. */
const invalidApiKeyAsBilling = () => new BillingError("unauthenticated", "The API key was revoked.");
