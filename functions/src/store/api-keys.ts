/**
 * Agent API keys in Firestore: `agent_api_keys/{keyId}`, written by the backend only and never
 * readable by clients (firestore.rules: the hash stays server-side; owners list their keys through
 * listAgentApiKeys). A key is never deleted: revoking it stamps `revokedAt`.
 */
import {
  FieldValue,
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type WriteBatch,
} from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import { MAX_KEYS_PER_AGENT } from "../domain/api-keys";
import { failedPrecondition, notFound } from "../errors";
import { loadOwnedAgentIn } from "./agents";

/** A stored key. */
export interface ApiKeyDoc {
  keyId: string;
  agentId: string;
  /** The agent's owner: billed for every message sent with the key. */
  userId: string;
  name: string;
  /** SHA-256 of the secret, hex (domain/api-keys.ts). */
  secretHash: string;
  dailyLimitMicros: number | null;
  endUserDailyLimitMicros: number | null;
  createdAt: Timestamp;
  lastUsedAt: Timestamp | null;
  revokedAt: Timestamp | null;
}

export const apiKeyRef = (db: Firestore, keyId: string): DocumentReference => db.doc(`${COLLECTIONS.apiKeys}/${keyId}`);

/** The key of a snapshot, or null when there is none. */
export const apiKeyOf = (snap: DocumentSnapshot): ApiKeyDoc | null => (snap.exists ? (snap.data() as ApiKeyDoc) : null);

/** Reads a key; null when there is none. */
export async function readApiKey(db: Firestore, keyId: string): Promise<ApiKeyDoc | null> {
  return apiKeyOf(await apiKeyRef(db, keyId).get());
}

/**
 * Stores a new key of an agent owned by `key.userId`, in a transaction that checks the owner and that
 * the agent has fewer than {@link MAX_KEYS_PER_AGENT} keys (revoked ones count: they stay listed).
 */
export async function createApiKey(db: Firestore, key: Omit<ApiKeyDoc, "createdAt" | "lastUsedAt" | "revokedAt">, now: number) {
  return db.runTransaction(async (tx) => {
    await loadOwnedAgentIn(tx, db, key.agentId, key.userId);
    const count = (await tx.get(db.collection(COLLECTIONS.apiKeys).where("agentId", "==", key.agentId).count())).data().count;
    if (count >= MAX_KEYS_PER_AGENT)
      throw failedPrecondition(`Agent "${key.agentId}" already has ${MAX_KEYS_PER_AGENT} API keys, the most it may have.`);
    const doc: ApiKeyDoc = { ...key, createdAt: Timestamp.fromMillis(now), lastUsedAt: null, revokedAt: null };
    tx.create(apiKeyRef(db, key.keyId), doc);
    return doc;
  });
}

/** Every key of an agent (at most {@link MAX_KEYS_PER_AGENT}), newest first. */
export async function listApiKeys(db: Firestore, agentId: string): Promise<ApiKeyDoc[]> {
  const snap = await db.collection(COLLECTIONS.apiKeys).where("agentId", "==", agentId).limit(MAX_KEYS_PER_AGENT).get();
  return snap.docs.map((d) => d.data() as ApiKeyDoc).sort((a, b) => b.createdAt.toMillis() - a.createdAt.toMillis());
}

/**
 * Revokes a key of the agent (a key of another agent is not found, as is an unknown one). Revoking
 * a revoked key changes nothing and answers when it was revoked.
 */
export async function revokeApiKey(db: Firestore, agentId: string, keyId: string, now: number): Promise<Timestamp> {
  return db.runTransaction(async (tx) => {
    const key = apiKeyOf(await tx.get(apiKeyRef(db, keyId)));
    if (!key || key.agentId !== agentId) throw notFound(`API key "${keyId}" of agent "${agentId}"`);
    if (key.revokedAt) return key.revokedAt;
    const revokedAt = Timestamp.fromMillis(now);
    tx.update(apiKeyRef(db, keyId), { revokedAt });
    return revokedAt;
  });
}

/** Adds to `batch` the key's `lastUsedAt` (a merge: it rides in the claim batch and cannot fail it). */
export function touchApiKeyInto(batch: WriteBatch, db: Firestore, keyId: string): void {
  batch.set(apiKeyRef(db, keyId), { lastUsedAt: FieldValue.serverTimestamp() }, { merge: true });
}
