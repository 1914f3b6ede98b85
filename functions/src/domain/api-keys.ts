/**
 * Agent API keys, pure: the key's format, the hash it is stored as, the constant-time check, and
 * the names of what an API message is counted against. A key is `ak_<keyId>_<secret>`: the key id
 * (public, the document id of `agent_api_keys/{keyId}`) lets a request find its key in one read,
 * and the secret (32 random bytes, base64url) is stored only as its SHA-256. A secret of 256 random
 * bits needs no slow hash: nobody can guess it, and its hash reveals nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** The prefix of every agent API key. */
export const API_KEY_PREFIX = "ak_";
/** Random bytes of a key's secret. */
export const SECRET_BYTES = 32;
/** The most keys (revoked ones included) an agent may have. */
export const MAX_KEYS_PER_AGENT = 100;

const KEY_ID = /^[a-z0-9]{20}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A key as issued: its id, the key shown once, and the hash stored in its place. */
export interface IssuedKey {
  keyId: string;
  key: string;
  secretHash: string;
}

/** The SHA-256 of a key's secret, hex: what `agent_api_keys` stores instead of the secret. */
export const secretHashOf = (secret: string): string => createHash("sha256").update(secret).digest("hex");

/** A new key: a random id and secret (`random` is injectable so tests can pin them). */
export function issueKey(random: (bytes: number) => Buffer = randomBytes): IssuedKey {
  const keyId = Array.from(random(20), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  const secret = random(SECRET_BYTES).toString("base64url");
  return { keyId, key: `${API_KEY_PREFIX}${keyId}_${secret}`, secretHash: secretHashOf(secret) };
}

/** The id and secret of a well-formed key, or null (the caller answers 401 either way). */
export function parseKey(key: string): { keyId: string; secret: string } | null {
  if (!key.startsWith(API_KEY_PREFIX)) return null;
  const rest = key.slice(API_KEY_PREFIX.length);
  const keyId = rest.slice(0, 20);
  const secret = rest.slice(21);
  if (rest[20] !== "_" || !KEY_ID.test(keyId) || !SECRET.test(secret)) return null;
  return { keyId, secret };
}

/** Whether `secret` is the one `storedHash` was made from, compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(secretHashOf(secret), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The longest `user` (end user) an API request may name. */
export const MAX_END_USER_CHARS = 256;

/**
 * The id of an end user in document ids: the caller's text never becomes a path. 32 hex characters
 * of the SHA-256 of the agent and the text (128 bits: no collision among an agent's end users).
 */
export const endUserHashOf = (agentId: string, endUser: string): string =>
  createHash("sha256").update(`${agentId}\n${endUser}`).digest("hex").slice(0, 32);

/**
 * The spend scopes an API message is held and settled in, beside its agent's (store/spend.ts keys
 * `billing_spend/{scope}_{shard}` by them; agent ids never contain ":", so these never collide
 * with an agent's): its key, and its end user through that key.
 */
export const keySpendScope = (keyId: string) => `apikey:${keyId}`;
export const endUserSpendScope = (keyId: string, endUserHash: string) => `apikey:${keyId}:${endUserHash}`;

/** The scopes of a message sent with `keyId`, for `endUserHash` if it named one. */
export const apiSpendScopes = (keyId: string | undefined, endUserHash: string | undefined): string[] =>
  keyId === undefined ? [] : [keySpendScope(keyId), ...(endUserHash === undefined ? [] : [endUserSpendScope(keyId, endUserHash)])];

/**
 * The conversation an API message is recorded in: one per key and end user (requests without a
 * `user` share the key's), so an end user's messages form one session and an idempotency key is
 * scoped to its key and end user.
 */
export const apiConversationId = (keyId: string, endUserHash: string | undefined) => `api-${keyId}-${endUserHash ?? "anonymous"}`;

/** The messageId of an API request: from its Idempotency-Key (hashed, so any text works), else fresh. */
export const apiMessageId = (idempotencyKey: string) => `idem-${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 40)}`;
