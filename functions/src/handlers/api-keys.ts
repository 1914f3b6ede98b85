/**
 * The owner's callables for agent API keys: create (the key shown once, its hash stored), list
 * (metadata only) and revoke. Only the agent's owner may do any of them.
 */
import type { Firestore } from "firebase-admin/firestore";
import { isoOf } from "../store/sessions";
import type {
  AgentApiKeyView,
  CreateAgentApiKeyRequest,
  CreateAgentApiKeyResponse,
  ListAgentApiKeysResponse,
  RevokeAgentApiKeyRequest,
  RevokeAgentApiKeyResponse,
} from "../contract/agent-api";
import { API_KEY_PREFIX, issueKey, type IssuedKey } from "../domain/api-keys";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyDoc } from "../store/api-keys";
import { loadOwnedAgent } from "../store/agents";

/** A key as its owner sees it: never the hash. */
export function keyView(key: ApiKeyDoc): AgentApiKeyView {
  return {
    keyId: key.keyId,
    agentId: key.agentId,
    name: key.name,
    prefix: `${API_KEY_PREFIX}${key.keyId}_`,
    dailyLimitMicros: key.dailyLimitMicros,
    endUserDailyLimitMicros: key.endUserDailyLimitMicros,
    createdAt: key.createdAt.toDate().toISOString(),
    lastUsedAt: isoOf(key.lastUsedAt),
    revokedAt: isoOf(key.revokedAt),
  };
}

/** createAgentApiKey: a new key of the caller's agent; `issue` makes its id and secret (injectable for tests). */
export async function handleCreateAgentApiKey(
  db: Firestore,
  uid: string,
  req: CreateAgentApiKeyRequest,
  now: number,
  issue: () => IssuedKey = issueKey,
): Promise<CreateAgentApiKeyResponse> {
  const issued = issue();
  const stored = await createApiKey(
    db,
    {
      keyId: issued.keyId,
      agentId: req.agentId,
      userId: uid,
      name: req.name,
      secretHash: issued.secretHash,
      dailyLimitMicros: req.dailyLimitUsd ?? null,
      endUserDailyLimitMicros: req.endUserDailyLimitUsd ?? null,
    },
    now,
  );
  return { ...keyView(stored), key: issued.key };
}

/** listAgentApiKeys: every key of the caller's agent, newest first. */
export async function handleListAgentApiKeys(db: Firestore, uid: string, req: { agentId: string }): Promise<ListAgentApiKeysResponse> {
  await loadOwnedAgent(db, req.agentId, uid);
  return { items: (await listApiKeys(db, req.agentId)).map(keyView) };
}

/** revokeAgentApiKey: the key stops working for every request read after this (README "Agent API"). */
export async function handleRevokeAgentApiKey(
  db: Firestore,
  uid: string,
  req: RevokeAgentApiKeyRequest,
  now: number,
): Promise<RevokeAgentApiKeyResponse> {
  await loadOwnedAgent(db, req.agentId, uid);
  const revokedAt = await revokeApiKey(db, req.agentId, req.keyId, now);
  return { revoked: true, revokedAt: revokedAt.toDate().toISOString() };
}
