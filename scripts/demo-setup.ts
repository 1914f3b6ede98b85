/**
 * The demo's fixed identities: a demo owner in the Auth emulator and an agent it owns. Idempotent,
 * so `npm start` can run any number of times.
 */
import { getApps, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { getFirestore } from "firebase-admin/firestore";
import { PROJECT_ID } from "./emulators";

export const DEMO = {
  uid: "demo-owner",
  email: "demo@agent-billing.test",
  password: "demo-password",
  agentId: "demo-agent",
  timezone: "Europe/Paris",
} as const;

/** Admin SDK clients pointed at the emulators (the environment names their hosts). */
export function adminClients() {
  if (!getApps().length) initializeApp({ projectId: PROJECT_ID });
  return { auth: getAuth(), db: getFirestore() };
}

/** Creates the demo owner and agent when missing. */
export async function seedDemoIdentities(): Promise<void> {
  const { auth, db } = adminClients();
  await auth
    .getUser(DEMO.uid)
    .catch(() => auth.createUser({ uid: DEMO.uid, email: DEMO.email, password: DEMO.password, displayName: "Demo owner" }));
  await db.doc(`alchemist_agents/${DEMO.agentId}`).set(
    {
      userId: DEMO.uid,
      name: "Demo support agent",
      model: "gpt-4",
      systemPrompt: "You are a helpful support agent.",
      status: "active",
      billing: { timezone: DEMO.timezone },
    },
    { merge: true },
  );
}
