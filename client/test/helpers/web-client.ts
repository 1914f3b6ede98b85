/**
 * A real client app for the emulator tests: a Firebase web app on the demo project, connected to
 * the Auth and Functions emulators (scripts/local-env.ts), with a freshly signed-up user and a
 * billing client on top.
 */
import { randomUUID } from "node:crypto";
import { deleteApp, type FirebaseApp } from "firebase/app";
import { createBillingClient, type BillingClient, type BillingClientOptions } from "../../src";
import { connectedWebApp, signUpWebUser } from "../../../scripts/local-env";

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
  const app = connectedWebApp(`test-${randomUUID()}`);
  apps.push(app);
  return app;
}

/** Signs up a fresh user in the Auth emulator and builds a billing client for it. */
export async function signUp(prefix: string, options: Omit<BillingClientOptions, "app"> = {}): Promise<WebUser> {
  const app = emulatorApp();
  const { uid, email } = await signUpWebUser(app, prefix);
  return { app, uid, email, client: createBillingClient({ app, ...options }) };
}

/** Deletes every app made here, so no token-refresh timer keeps Jest alive. */
export async function deleteApps(): Promise<void> {
  await Promise.all(apps.splice(0).map((app) => deleteApp(app)));
}
