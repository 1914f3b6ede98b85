/**
 * Helpers for tests that run under the emulator harness (`npm run test:emulators`): they talk to
 * the emulators over HTTP exactly as a client app or an operator would.
 */
import { randomUUID } from "node:crypto";
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";

export const PROJECT_ID = "demo-agent-billing";
const FUNCTIONS = process.env.FUNCTIONS_EMULATOR_ORIGIN ?? "http://127.0.0.1:5001";
const AUTH = `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? "127.0.0.1:9099"}`;
const FIRESTORE = `http://${process.env.FIRESTORE_EMULATOR_HOST ?? "127.0.0.1:8080"}`;
export const LOCAL_AGENT = process.env.LOCAL_AGENT_URL ?? "http://127.0.0.1:4010/v1";

/** Fails loudly when a test of this tier is run without the harness. */
function requireEmulators(): void {
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    throw new Error("emulator tests run under the harness: npm run test:emulators");
  }
}

/** The Admin SDK's Firestore, pointed at the emulator. */
export function adminDb(): Firestore {
  requireEmulators();
  if (!getApps().length) initializeApp({ projectId: PROJECT_ID });
  return getFirestore();
}

export interface TestUser {
  uid: string;
  email: string;
  idToken: string;
}

/** Signs up a fresh user in the Auth emulator and returns its ID token. */
export async function createUser(prefix = "user"): Promise<TestUser> {
  const email = `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
  const res = await fetch(`${AUTH}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "password-123", returnSecureToken: true }),
  });
  const body = (await res.json()) as { localId: string; idToken: string };
  if (!res.ok) throw new Error(`signUp failed: ${JSON.stringify(body)}`);
  return { uid: body.localId, email, idToken: body.idToken };
}

export interface CallResult<T = unknown> {
  status: number;
  result?: T;
  error?: { status: string; message: string; details?: unknown };
}

/** Calls a callable function over HTTP, as the Firebase client SDKs do. */
export async function call<T = unknown>(
  name: string,
  data: unknown,
  idToken?: string,
  headers: Record<string, string> = {},
): Promise<CallResult<T>> {
  const res = await fetch(`${FUNCTIONS}/${PROJECT_ID}/us-central1/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(idToken ? { authorization: `Bearer ${idToken}` } : {}), ...headers },
    body: JSON.stringify({ data }),
  });
  const body = (await res.json()) as { result?: T; error?: CallResult["error"] };
  return { status: res.status, result: body.result, error: body.error };
}

/** Calls a callable with streaming: collects the chunks and the final result. */
export async function callStreaming<T = unknown, C = unknown>(
  name: string,
  data: unknown,
  idToken: string,
): Promise<CallResult<T> & { chunks: C[] }> {
  const res = await fetch(`${FUNCTIONS}/${PROJECT_ID}/us-central1/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${idToken}` },
    body: JSON.stringify({ data }),
  });
  const text = await res.text();
  const chunks: C[] = [];
  let final: { result?: T; error?: CallResult["error"] } = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const event = JSON.parse(line.slice(6)) as { message?: C; result?: T; error?: CallResult["error"] };
    if ("message" in event) chunks.push(event.message as C);
    else final = event;
  }
  return { status: res.status, chunks, ...final };
}

/** Creates an agent owned by `userId` directly (as the owner's app would, through the rules). */
export async function seedAgent(userId: string, fields: Record<string, unknown> = {}): Promise<string> {
  const agentId = `agent-${randomUUID().slice(0, 12)}`;
  await adminDb()
    .doc(`alchemist_agents/${agentId}`)
    .set({ userId, name: "Test agent", model: "gpt-4", status: "active", ...fields });
  return agentId;
}

/** Waits until `probe` returns a value that is not undefined/false. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many requests the local agent has answered (chat completions). */
export async function agentCompletions(): Promise<number> {
  const res = await fetch(`${LOCAL_AGENT.replace(/\/v1$/, "")}/_local/stats`);
  return ((await res.json()) as { completions: number }).completions;
}

/** Counts the documents of a collection whose `field` equals `value`. */
export async function countWhere(collection: string, field: string, value: unknown): Promise<number> {
  const snap = await adminDb().collection(collection).where(field, "==", value).count().get();
  return snap.data().count;
}

/** Deletes every document in the Firestore emulator. */
export async function clearFirestore(): Promise<void> {
  const res = await fetch(`${FIRESTORE}/emulator/v1/projects/${PROJECT_ID}/databases/(default)/documents`, { method: "DELETE" });
  if (!res.ok) throw new Error(`clearing Firestore failed: ${res.status}`);
}

/** The ledger signing key the harness gave the functions (for tests that forge or replay rows). */
export function signingKey(): string {
  const key = process.env.LEDGER_SIGNING_KEY;
  if (!key) throw new Error("LEDGER_SIGNING_KEY is not set: run under the emulator harness");
  return key;
}
