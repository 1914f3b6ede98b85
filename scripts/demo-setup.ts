/**
 * The demo's fixed identities: a demo owner in the Auth emulator and an agent it owns. Idempotent,
 * so `npm start` can run any number of times.
 */
import { adminAuth, seedAgent } from "./local-env";

export const DEMO = {
  uid: "demo-owner",
  email: "demo@agent-billing.test",
  password: "demo-password",
  agentId: "demo-agent",
  timezone: "Europe/Paris",
} as const;

/** Creates the demo owner and agent when missing (the agent's fields are merged into an earlier run's). */
export async function seedDemoIdentities(): Promise<void> {
  const auth = adminAuth();
  await auth
    .getUser(DEMO.uid)
    .catch(() =>
      auth.createUser({ uid: DEMO.uid, email: DEMO.email, emailVerified: true, password: DEMO.password, displayName: "Demo owner" }),
    );
  const agent = { name: "Demo support agent", systemPrompt: "You are a helpful support agent.", billing: { timezone: DEMO.timezone } };
  await seedAgent(DEMO.uid, agent, DEMO.agentId);
}
