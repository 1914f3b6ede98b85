/**
 * Helpers for tests that run under the emulator harness (`npm run test:emulators`): they talk to
 * the emulators over HTTP exactly as a client app or an operator would. The project, endpoints and
 * fixtures are scripts/local-env.ts's; what only these tests need (callables over HTTP, waiting,
 * counting) is here.
 */
import type { Firestore } from "firebase-admin/firestore";
import {
  adminDb as localAdminDb,
  functionUrl,
  localAgentUrl,
  localSigningKey,
  signUpUser,
  type SignedUpUser,
} from "../../../scripts/local-env";

export { functionUrl, PROJECT_ID, seedAgent } from "../../../scripts/local-env";

/** The local agent's base URL (…/v1). */
export const LOCAL_AGENT = localAgentUrl();

/** Fails loudly when a test of this tier is run without the harness. */
function requireEmulators(): void {
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    throw new Error("emulator tests run under the harness: npm run test:emulators");
  }
}

/** The Admin SDK's Firestore, pointed at the emulator. */
export function adminDb(): Firestore {
  requireEmulators();
  return localAdminDb();
}

/** A user signed up in the Auth emulator, with its ID token. */
export type TestUser = SignedUpUser;

/** Signs up a fresh user in the Auth emulator and returns its ID token. */
export const createUser = signUpUser;

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
  const res = await fetch(functionUrl(name), {
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
  const res = await fetch(functionUrl(name), {
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

/**
 * Starts `workers` worker processes of a function in the Functions emulator before a burst, a few at
 * a time: it starts one per concurrent call (and keeps it), and many cold starts at once on two
 * cores can outlast its load timeout. Unauthenticated calls load the code and bill nothing.
 */
export async function warmUp(name: string, workers: number): Promise<void> {
  for (let n = Math.min(4, workers); n <= workers; n = n === workers ? workers + 1 : Math.min(n + 4, workers)) {
    await Promise.all(Array.from({ length: n }, () => call(name, {})));
  }
}

/** Counts the documents of a collection whose `field` equals `value`. */
export async function countWhere(collection: string, field: string, value: unknown): Promise<number> {
  const snap = await adminDb().collection(collection).where(field, "==", value).count().get();
  return snap.data().count;
}

/** The ledger signing key the harness gave the functions (for tests that forge or replay rows). */
export const signingKey = localSigningKey;
