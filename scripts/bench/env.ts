/**
 * What the benchmark needs from the running emulators beyond scripts/local-env.ts: signed-in web
 * users with their billing clients and agents, the hub's switch for background triggers, and the
 * Functions emulator's worker processes (to read their memory).
 */
import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import type { FirebaseApp } from "firebase/app";
import { getAuth as getWebAuth, signInWithEmailAndPassword } from "firebase/auth";
import { createBillingClient, type BillingClient } from "../../client/src";
import { mapWithConcurrency } from "../../functions/src/base/pool";
import { adminAuth, connectedWebApp, endpoint, localAgentUrl, seedAgent, signUpWebUser, USER_PASSWORD } from "../local-env";

/** The local agent's base URL (…/v1), as the harness set it. */
export const LOCAL_AGENT_URL = localAgentUrl();

/** Fails with one clear line when the benchmark is not run under the harness. */
export function requireEmulators(): void {
  if (!process.env.FIRESTORE_EMULATOR_HOST || !process.env.AGENT_API_KEY) {
    throw new Error("the benchmark runs under the emulator harness: npm run bench");
  }
}

/** A signed-up user of its own web app, with a billing client that never retries (failures must show). */
export interface BenchUser {
  app: FirebaseApp;
  uid: string;
  client: BillingClient;
}

const benchUser = (app: FirebaseApp, uid: string): BenchUser => ({
  app,
  uid,
  client: createBillingClient({ app, retry: { maxRetries: 0 } }),
});

async function signUp(prefix: string): Promise<BenchUser> {
  const app = connectedWebApp(`bench-${randomUUID()}`);
  const { uid } = await signUpWebUser(app, prefix);
  return benchUser(app, uid);
}

/**
 * The user `uid` (created in the Auth emulator unless it exists: the same uid every run, so what is
 * seeded for it lands on the same documents), signed in with the web SDK in its own app.
 */
export async function signedInUser(uid: string): Promise<BenchUser> {
  const email = `${uid}@example.com`;
  await adminAuth()
    .createUser({ uid, email, password: USER_PASSWORD })
    .catch((err: { code?: string }) => {
      if (err.code !== "auth/uid-already-exists") throw err;
    });
  const app = connectedWebApp(`bench-${uid}`);
  await signInWithEmailAndPassword(getWebAuth(app), email, USER_PASSWORD);
  return benchUser(app, uid);
}

/** `n` users, each owning a fresh agent (`fields` merged into the agent document). */
export async function usersWithAgents(
  prefix: string,
  n: number,
  fields: Record<string, unknown> = {},
): Promise<(BenchUser & { agentId: string })[]> {
  return mapWithConcurrency(
    Array.from({ length: n }, (_, i) => i),
    8,
    async (i) => {
      const user = await signUp(`${prefix}${i}`);
      const agentId = await seedAgent(
        user.uid,
        { name: `Bench agent ${i}`, ...fields },
        `bench-${prefix}-${i}-${randomUUID().slice(0, 8)}`,
      );
      return { ...user, agentId };
    },
  );
}

/**
 * Turns the Functions emulator's background triggers off or on (the hub's switch, as
 * @firebase/rules-unit-testing's withFunctionTriggersDisabled uses). Turning them on reloads them.
 */
export async function setBackgroundTriggers(enabled: boolean): Promise<void> {
  const res = await fetch(`${endpoint("hub").origin}/functions/${enabled ? "enable" : "disable"}BackgroundTriggers`, { method: "PUT" });
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

/** Socket inodes listening on a TCP port (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1] (ADDR:PORT in hex), st is cols[3] (0A = LISTEN), inode is cols[9].
      if (cols.length > 9 && cols[1].endsWith(`:${hex}`) && cols[3] === "0A") inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The pid of the process listening on a TCP port of this machine (from /proc), or null. */
export function listenerPid(port: number): number | null {
  const inodes = listeningInodes(port);
  if (!inodes.size) return null;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of fs.readdirSync(`/proc/${entry}/fd`)) {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (match && inodes.has(match[1])) return Number(entry);
      }
    } catch {
      // A process that exited while we looked, or one we may not read.
    }
  }
  return null;
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
