/**
 * The local environment, in one place for every tier (emulator, client and rules tests, the
 * harness, the demo, reconcile, the benchmark): the demo project id, the emulators' ports (the same
 * as firebase.json's, which a unit test checks), their endpoints, Admin SDK clients and web apps on
 * them, and the fixtures (sign up a user, seed an agent, the running emulators' ledger signing key).
 * It must not import jest: scripts use it too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { getApps as getWebApps, initializeApp as initializeWebApp, type FirebaseApp } from "firebase/app";
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth as getWebAuth } from "firebase/auth";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { getApps as getAdminApps, initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getAuth, type Auth } from "firebase-admin/auth";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { REGION } from "../functions/src/config";

/** The repository's root directory. */
export const ROOT = path.resolve(__dirname, "..");

/** The local project: a `demo-` project, so no client can reach a real one. */
export const PROJECT_ID = "demo-agent-billing";

/** The web API key of the demo project (the Auth emulator accepts any). */
export const API_KEY = "demo-key";

/** Where everything listens. */
export const HOST = "127.0.0.1";

/**
 * The fixed ports of DESIGN.md's "Local defaults". The emulators' keys are firebase.json's
 * `emulators` keys, and the values must stay equal to its ports (scripts/test/local-env.test.ts).
 */
export const PORTS = {
  auth: 9099,
  functions: 5001,
  firestore: 8080,
  pubsub: 8085,
  /** The owner's web console (web/, built to web/dist), served by the Hosting emulator. */
  hosting: 5000,
  hub: 4400,
  logging: 4500,
  localAgent: 4010,
  /** The local Stripe-compatible server (scripts/local-stripe.ts): stripe-mock's port. */
  localStripe: 12111,
} as const;

/**
 * The environment every emulator client (tests, scripts) uses to reach the emulators: what the
 * harness sets, and the default of each variable when it is not set.
 */
export const LOCAL_ENV = {
  GCLOUD_PROJECT: PROJECT_ID,
  FIREBASE_PROJECT: PROJECT_ID,
  FIRESTORE_EMULATOR_HOST: `${HOST}:${PORTS.firestore}`,
  FIREBASE_AUTH_EMULATOR_HOST: `${HOST}:${PORTS.auth}`,
  PUBSUB_EMULATOR_HOST: `${HOST}:${PORTS.pubsub}`,
  FIREBASE_EMULATOR_HUB: `${HOST}:${PORTS.hub}`,
  FUNCTIONS_EMULATOR_ORIGIN: `http://${HOST}:${PORTS.functions}`,
  LOCAL_AGENT_URL: `http://${HOST}:${PORTS.localAgent}/v1`,
  /** The local Stripe's origin: the `stripe` SDK's host, port and protocol (functions/src/stripe/client.ts). */
  LOCAL_STRIPE_URL: `http://${HOST}:${PORTS.localStripe}`,
};

/** An emulator a client talks to. */
export type Emulator = "auth" | "firestore" | "functions" | "pubsub" | "hub";

const VARIABLE: Record<Emulator, keyof typeof LOCAL_ENV> = {
  auth: "FIREBASE_AUTH_EMULATOR_HOST",
  firestore: "FIRESTORE_EMULATOR_HOST",
  functions: "FUNCTIONS_EMULATOR_ORIGIN",
  pubsub: "PUBSUB_EMULATOR_HOST",
  hub: "FIREBASE_EMULATOR_HUB",
};

/** Where an emulator listens: `host` without IPv6 brackets, and `origin` as `http://host:port`. */
export interface Endpoint {
  host: string;
  port: number;
  origin: string;
}

/**
 * Where `emulator` listens: from its variable when set (`host:port`, or an origin for the
 * Functions emulator), else the default. Read at each call, since the harness may set it later.
 */
export function endpoint(emulator: Emulator): Endpoint {
  const variable = VARIABLE[emulator];
  const value = process.env[variable] ?? LOCAL_ENV[variable];
  const href = value.includes("://") ? value : `http://${value}`;
  const url = URL.canParse(href) ? new URL(href) : null;
  const port = Number(url?.port);
  if (!url || !Number.isInteger(port) || port <= 0) throw new Error(`${variable} must be host:port, got "${value}"`);
  return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port, origin: url.origin };
}

/** The URL of a function of the project on the Functions emulator. */
export function functionUrl(name: string): string {
  return `${endpoint("functions").origin}/${PROJECT_ID}/${REGION}/${name}`;
}

/** Where the Hosting emulator serves the owner's web console. */
export const CONSOLE_URL = `http://${HOST}:${PORTS.hosting}`;

/** The local agent's OpenAI-compatible base URL (ends in /v1). */
export function localAgentUrl(): string {
  return process.env.LOCAL_AGENT_URL ?? LOCAL_ENV.LOCAL_AGENT_URL;
}

/** The local Stripe's origin (no path: the SDK adds /v1). */
export function localStripeUrl(): string {
  return process.env.LOCAL_STRIPE_URL ?? LOCAL_ENV.LOCAL_STRIPE_URL;
}

/**
 * Points the Admin SDK at the Firestore and Auth emulators (the harness's hosts when set, else the
 * defaults): it reads them from the environment, and without them it would look for a real project.
 */
export function useEmulators(): void {
  process.env.FIRESTORE_EMULATOR_HOST ??= LOCAL_ENV.FIRESTORE_EMULATOR_HOST;
  process.env.FIREBASE_AUTH_EMULATOR_HOST ??= LOCAL_ENV.FIREBASE_AUTH_EMULATOR_HOST;
}

function ensureAdminApp(): void {
  useEmulators();
  if (!getAdminApps().length) initializeAdminApp({ projectId: PROJECT_ID });
}

/** The Admin SDK's Firestore, on the emulator. */
export function adminDb(): Firestore {
  ensureAdminApp();
  return getFirestore();
}

/** The Admin SDK's Auth, on the emulator. */
export function adminAuth(): Auth {
  ensureAdminApp();
  return getAuth();
}

/**
 * A web app on the demo project connected to the Auth and Functions emulators. An app of that name
 * is returned as it is (connecting twice throws); each app has its own signed-in user.
 */
export function connectedWebApp(name: string): FirebaseApp {
  const existing = getWebApps().find((app) => app.name === name);
  if (existing) return existing;
  const app = initializeWebApp({ projectId: PROJECT_ID, apiKey: API_KEY, authDomain: `${PROJECT_ID}.firebaseapp.com` }, name);
  const functions = endpoint("functions");
  connectFunctionsEmulator(getFunctions(app, REGION), functions.host, functions.port);
  connectAuthEmulator(getWebAuth(app), endpoint("auth").origin, { disableWarnings: true });
  return app;
}

/** The password of every user signed up here. */
export const USER_PASSWORD = "password-123";

/** A fresh address: `prefix`, then 8 random characters. */
const freshEmail = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

/** A user signed up over the Auth emulator's REST API. */
export interface SignedUpUser {
  uid: string;
  email: string;
  idToken: string;
}

/**
 * fetch, sent once more if the socket it went out on was closed by the server before any answer
 * (undici's "other side closed", UND_ERR_SOCKET): a pooled keep-alive socket the emulator closed as
 * idle (after 5 s) just as it was reused. One CI run lost a whole browser test file to it, on the
 * file's first request. Another failure of any kind, or a second one, is thrown as it is.
 */
async function fetchOnFreshSocket(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code !== "UND_ERR_SOCKET") throw err;
    return fetch(url, init);
  }
}

/** Signs up a fresh user in the Auth emulator over its REST API (as any client could); returns its ID token. */
export async function signUpUser(prefix = "user"): Promise<SignedUpUser> {
  const email = freshEmail(prefix);
  const res = await fetchOnFreshSocket(`${endpoint("auth").origin}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=${API_KEY}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: USER_PASSWORD, returnSecureToken: true }),
  });
  const body = (await res.json()) as { localId: string; idToken: string };
  if (!res.ok) throw new Error(`signUp failed: ${JSON.stringify(body)}`);
  return { uid: body.localId, email, idToken: body.idToken };
}

/** Signs up a fresh user with the web SDK in `app` (from connectedWebApp), which stays signed in as it. */
export async function signUpWebUser(app: FirebaseApp, prefix = "user"): Promise<{ uid: string; email: string }> {
  const email = freshEmail(prefix);
  const credential = await createUserWithEmailAndPassword(getWebAuth(app), email, USER_PASSWORD);
  return { uid: credential.user.uid, email };
}

/**
 * Writes an agent owned by `userId` with the Admin SDK (an active gpt-4 agent, `fields` merged
 * over it); merged into an existing document of that id. Returns its id (random unless given).
 */
export async function seedAgent(
  userId: string,
  fields: Record<string, unknown> = {},
  agentId = `agent-${randomUUID().slice(0, 12)}`,
): Promise<string> {
  await adminDb()
    .doc(`alchemist_agents/${agentId}`)
    .set({ userId, name: "Test agent", model: "gpt-4", status: "active", ...fields }, { merge: true });
  return agentId;
}

/** Where the harness writes the emulators' secrets (git-ignored; fresh random values each run). */
export const LOCAL_SECRETS_FILE = path.join(ROOT, "functions", ".secret.local");

/**
 * The ledger signing key of the running emulators: the environment's, else the one the harness
 * wrote for the emulators to functions/.secret.local (a random local value, never a real secret).
 */
export function localSigningKey(): string {
  if (process.env.LEDGER_SIGNING_KEY) return process.env.LEDGER_SIGNING_KEY;
  const line = fs.existsSync(LOCAL_SECRETS_FILE)
    ? fs
        .readFileSync(LOCAL_SECRETS_FILE, "utf8")
        .split("\n")
        .find((l) => l.startsWith("LEDGER_SIGNING_KEY="))
    : undefined;
  if (!line) throw new Error("LEDGER_SIGNING_KEY is not set and functions/.secret.local has none: run under the emulator harness");
  return line.slice("LEDGER_SIGNING_KEY=".length).trim();
}
