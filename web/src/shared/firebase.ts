/**
 * The one Firebase app of the console, connected to the emulators, and the billing client over it.
 * Components never call Firebase directly: they use the hooks in shared/hooks, which use the client
 * SDK (callables) and its live watchers (Firestore listeners on the owner's own documents).
 */
import { createBillingClient, type BillingClient } from "@agent-billing/client";
import { initializeApp, type FirebaseApp } from "firebase/app";
import { connectAuthEmulator, getAuth, type Auth } from "firebase/auth";
import { connectFirestoreEmulator, getFirestore, type Firestore } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { LOCAL } from "./env";

export interface Backend {
  app: FirebaseApp;
  auth: Auth;
  db: Firestore;
  billing: BillingClient;
}

let backend: Backend | undefined;

/** The console's backend, built once. */
export function getBackend(): Backend {
  if (backend) return backend;
  const app = initializeApp({ projectId: LOCAL.projectId, apiKey: LOCAL.apiKey, authDomain: `${LOCAL.projectId}.firebaseapp.com` });
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${LOCAL.host}:${LOCAL.ports.auth}`, { disableWarnings: true });
  const db = getFirestore(app);
  connectFirestoreEmulator(db, LOCAL.host, LOCAL.ports.firestore);
  connectFunctionsEmulator(getFunctions(app, LOCAL.region), LOCAL.host, LOCAL.ports.functions);
  // The SDK reads localStorage DEBUG_BILLING at every call: setItem('DEBUG_BILLING', 'true') logs each call.
  backend = { app, auth, db, billing: createBillingClient({ app, region: LOCAL.region }) };
  return backend;
}
