/**
 * A real client app for the emulator tests: a Firebase web app on the demo project, connected to
 * the Auth and Functions emulators, with a freshly signed-up user and a billing client on top.
 */
import { randomUUID } from "node:crypto";
import { deleteApp, initializeApp, type FirebaseApp } from "firebase/app";
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth } from "firebase/auth";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { createBillingClient, type BillingClient, type BillingClientOptions } from "../../src";
import { PROJECT_ID } from "../../../functions/test/helpers/emulator";

const FUNCTIONS = new URL(process.env.FUNCTIONS_EMULATOR_ORIGIN ?? "http://127.0.0.1:5001");
const AUTH = `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? "127.0.0.1:9099"}`;

/** A signed-in user of a web app, with its billing client. */
export interface WebUser {
  app: FirebaseApp;
  uid: string;
  email: string;
  client: BillingClient;
}

const apps: FirebaseApp[] = [];

/** A web app connected to the emulators (one per user: each app has its own signed-in user). */
export function emulatorApp(): FirebaseApp {
  const app = initializeApp(
    { projectId: PROJECT_ID, apiKey: "demo-key", authDomain: `${PROJECT_ID}.firebaseapp.com` },
    `test-${randomUUID()}`,
  );
  connectFunctionsEmulator(getFunctions(app), FUNCTIONS.hostname, Number(FUNCTIONS.port));
  connectAuthEmulator(getAuth(app), AUTH, { disableWarnings: true });
  apps.push(app);
  return app;
}

/** Signs up a fresh user in the Auth emulator and builds a billing client for it. */
export async function signUp(prefix: string, options: Omit<BillingClientOptions, "app"> = {}): Promise<WebUser> {
  const app = emulatorApp();
  const email = `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
  const credential = await createUserWithEmailAndPassword(getAuth(app), email, "password-123");
  return { app, uid: credential.user.uid, email, client: createBillingClient({ app, ...options }) };
}

/** Deletes every app made here, so no token-refresh timer keeps Jest alive. */
export async function deleteApps(): Promise<void> {
  await Promise.all(apps.splice(0).map((app) => deleteApp(app)));
}
