/**
 * What the benchmark needs from the running emulators: the Admin SDK, signed-in web users with
 * their billing clients, the hub's switch for background triggers, and the Functions emulator's
 * worker processes (to read their memory).
 */
import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import { initializeApp as initializeWebApp, type FirebaseApp } from "firebase/app";
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth } from "firebase/auth";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { createBillingClient, type BillingClient } from "../../client/src";
import { mapWithConcurrency } from "../../functions/src/base/pool";
import { CLIENT_ENV, PROJECT_ID } from "../emulators";

const FUNCTIONS = new URL(process.env.FUNCTIONS_EMULATOR_ORIGIN ?? CLIENT_ENV.FUNCTIONS_EMULATOR_ORIGIN);
const AUTH = `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? CLIENT_ENV.FIREBASE_AUTH_EMULATOR_HOST}`;
const HUB = `http://${process.env.FIREBASE_EMULATOR_HUB ?? "127.0.0.1:4400"}`;
export const LOCAL_AGENT_URL = process.env.LOCAL_AGENT_URL ?? CLIENT_ENV.LOCAL_AGENT_URL;

/** Fails with one clear line when the benchmark is not run under the harness. */
export function requireEmulators(): void {
  if (!process.env.FIRESTORE_EMULATOR_HOST || !process.env.AGENT_API_KEY) {
    throw new Error("the benchmark runs under the emulator harness: npm run bench");
  }
}

/** The Admin SDK's Firestore, on the emulator. */
export function adminDb(): Firestore {
  if (!getApps().length) initializeApp({ projectId: PROJECT_ID });
  return getFirestore();
}

/** A signed-up user of its own web app, with a billing client that never retries (failures must show). */
export interface BenchUser {
  app: FirebaseApp;
  uid: string;
  client: BillingClient;
}

async function signUp(prefix: string): Promise<BenchUser> {
  const app = initializeWebApp({ projectId: PROJECT_ID, apiKey: "demo-key" }, `bench-${randomUUID()}`);
  connectFunctionsEmulator(getFunctions(app), FUNCTIONS.hostname, Number(FUNCTIONS.port));
  connectAuthEmulator(getAuth(app), AUTH, { disableWarnings: true });
  const email = `${prefix}-${randomUUID().slice(0, 8)}@bench.test`;
  const { user } = await createUserWithEmailAndPassword(getAuth(app), email, "bench-password");
  return { app, uid: user.uid, client: createBillingClient({ app, retry: { maxRetries: 0 } }) };
}

/** `n` users, each owning a fresh agent (`fields` merged into the agent document). */
export async function usersWithAgents(
  prefix: string,
  n: number,
  fields: Record<string, unknown> = {},
): Promise<(BenchUser & { agentId: string })[]> {
  const db = adminDb();
  return mapWithConcurrency(
    Array.from({ length: n }, (_, i) => i),
    8,
    async (i) => {
      const user = await signUp(`${prefix}${i}`);
      const agentId = `bench-${prefix}-${i}-${randomUUID().slice(0, 8)}`;
      await db
        .doc(`alchemist_agents/${agentId}`)
        .set({ userId: user.uid, name: `Bench agent ${i}`, model: "gpt-4", status: "active", ...fields });
      return { ...user, agentId };
    },
  );
}

/**
 * Turns the Functions emulator's background triggers off or on (the hub's switch, as
 * @firebase/rules-unit-testing's withFunctionTriggersDisabled uses). Turning them on reloads them.
 */
export async function setBackgroundTriggers(enabled: boolean): Promise<void> {
  const res = await fetch(`${HUB}/functions/${enabled ? "enable" : "disable"}BackgroundTriggers`, { method: "PUT" });
  if (!res.ok) throw new Error(`could not ${enabled ? "enable" : "disable"} background triggers: HTTP ${res.status} ${await res.text()}`);
}

/** Runs `work` with background triggers off, turning them back on whatever happens. */
export async function withTriggersDisabled<T>(work: () => Promise<T>): Promise<T> {
  await setBackgroundTriggers(false);
  try {
    return await work();
  } finally {
    await setBackgroundTriggers(true);
  }
}

/** Pids of the Functions emulator's worker processes serving `functionName` (from /proc). */
export function workerPids(functionName: string): number[] {
  if (!fs.existsSync("/proc/self/environ")) return [];
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "latin1").split("\0");
      if (environ.includes(`FUNCTION_TARGET=${functionName}`)) pids.push(Number(entry));
    } catch {
      // A process that exited while we looked, or one we may not read: not a worker of ours.
    }
  }
  return pids;
}

/** Resident set size of a process in bytes (VmRSS), or null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `work` without the backend's structured log lines (one JSON object per line on stdout, with
 * a "severity"): the handlers run in-process here log every rollup, which would bury the report.
 */
export async function withoutBackendLogs<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  const filtered = (chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === "string" && chunk.startsWith('{"') && chunk.includes('"severity"')
      ? true
      : (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  process.stdout.write = filtered as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}
