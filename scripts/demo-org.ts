/**
 * The demo's team part (issue #18): the demo owner's org "Demo team" with two developers, an agent
 * the org owns, budgets for the team and for each member, and messages from both members (billed
 * to the agent's owner, attributed to each) and from an app through the agent API (the team's
 * shared cost). Then getOrgBillingInfo: the cost by member and by agent, the shared cost split
 * between the members in proportion to their own, exactly (largest remainder).
 */
import OpenAI from "openai";
import { getAuth, signInWithEmailAndPassword } from "firebase/auth";
import { createBillingClient, type BillingClient } from "../client/src";
import { createOrg } from "../functions/src/store/orgs";
import { count, table, usd } from "./cli-format";
import { AGENT_API_URL, DEMO_KEY_NAME, forgetEarlierDemoKeys } from "./demo-agent-api";
import { DEMO } from "./demo-setup";
import { adminAuth, adminDb, connectedWebApp, seedAgent } from "./local-env";

export const TEAM = {
  orgId: "demo-team",
  name: "Demo team",
  agentId: "demo-team-agent",
  members: [
    { uid: "demo-alice", email: "alice@agent-billing.test", password: "demo-password", questions: 2 },
    { uid: "demo-bob", email: "bob@agent-billing.test", password: "demo-password", questions: 1 },
  ],
} as const;

const ROLLUP_TIMEOUT_MS = 60_000;

/** The org, its agent and the members' accounts, when missing (idempotent: `npm start` runs any number of times). */
async function seedTeam(): Promise<void> {
  const auth = adminAuth();
  for (const m of TEAM.members) {
    await auth.getUser(m.uid).catch(() => auth.createUser({ uid: m.uid, email: m.email, emailVerified: true, password: m.password }));
  }
  const db = adminDb();
  if (!(await db.doc(`billing_orgs/${TEAM.orgId}`).get()).exists) {
    await createOrg(db, { orgId: TEAM.orgId, name: TEAM.name, owner: { uid: DEMO.uid, email: DEMO.email } }, Date.now());
  }
  await seedAgent(
    DEMO.uid,
    { name: "Team support agent", systemPrompt: "You are a helpful support agent.", orgId: TEAM.orgId },
    TEAM.agentId,
  );
}

/** A member, signed in with their own web app (each app has its own Auth session). */
async function signIn(member: (typeof TEAM.members)[number]): Promise<BillingClient> {
  const app = connectedWebApp(`agent-billing-demo-${member.uid}`);
  await signInWithEmailAndPassword(getAuth(app), member.email, member.password);
  return createBillingClient({ app });
}

/** The demo owner adds both members as developers (already members on a later run) and sets the budgets. */
async function setUpTeam(owner: BillingClient): Promise<void> {
  for (const m of TEAM.members) {
    await owner.addOrgMember({ orgId: TEAM.orgId, email: m.email, role: "developer" }).catch((err: { code?: string }) => {
      if (!String(err.code).includes("already-exists")) throw err;
    });
  }
  const budgets = await owner.setOrgBudgets({ orgId: TEAM.orgId, dailyLimitUsd: 5, memberDailyLimitUsd: 1 });
  console.log(
    `  org "${TEAM.name}": ${DEMO.email} (owner), ${TEAM.members.map((m) => `${m.email} (developer)`).join(", ")}; agent "${TEAM.agentId}"`,
  );
  console.log(
    `  budgets (setOrgBudgets): ${usd(budgets.dailyLimitMicros ?? 0, 2)} a day for the team, ${usd(budgets.memberDailyLimitMicros ?? 0, 2)} a day per member`,
  );
}

/** One app request through the agent API: no member sent it, so it is the team's shared cost. */
async function sharedCall(owner: BillingClient): Promise<number> {
  await forgetEarlierDemoKeys(TEAM.agentId);
  const { key } = await owner.createAgentApiKey({ agentId: TEAM.agentId, name: DEMO_KEY_NAME });
  const reply = await new OpenAI({ baseURL: AGENT_API_URL, apiKey: key }).chat.completions.create({
    model: "gpt-4",
    messages: [{ role: "user", content: "Hi! What are your opening hours?" }],
    user: "visitor-7",
  });
  const billed = (reply as { billing?: { cost_micros: number } }).billing?.cost_micros ?? 0;
  console.log(`  app through the agent API (shared) › billed ${usd(billed)}`);
  return 1;
}

/** Waits until the org's figures count `messages` more than `before` (the rollup trigger runs after each row). */
async function waitForOrg(owner: BillingClient, before: number, messages: number) {
  const started = Date.now();
  for (;;) {
    const info = await owner.getOrgBillingInfo({ orgId: TEAM.orgId });
    if (info.totals.messages >= before + messages) return info;
    if (Date.now() - started > ROLLUP_TIMEOUT_MS)
      throw new Error(`the org's figures did not catch up within ${ROLLUP_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The team's part of the demo, as the demo owner `owner`. */
export async function runTeamDemo(owner: BillingClient): Promise<void> {
  await seedTeam();
  await setUpTeam(owner);
  const before = (await owner.getOrgBillingInfo({ orgId: TEAM.orgId })).totals.messages;
  const stamp = Date.now().toString(36);
  let sent = 0;
  for (const m of TEAM.members) {
    const member = await signIn(m);
    for (let i = 0; i < m.questions; i++) {
      const message = `Hello from ${m.email.split("@")[0]}, question ${i + 1}`;
      const res = await member.sendMessage({
        agentId: TEAM.agentId,
        conversationId: `team-${m.uid}-${stamp}`,
        message,
        testMode: "production",
      });
      console.log(`  ${m.email} › ${message}: billed ${usd(res.costMicros)} to ${DEMO.email}`);
      sent++;
    }
  }
  sent += await sharedCall(owner);
  const info = await waitForOrg(owner, before, sent);
  const rows = info.byMember.map((m) => [
    m.email ?? m.uid,
    m.role ?? "former member",
    count(m.messages),
    usd(m.costMicros),
    usd(m.sharedCostMicros),
    usd(m.allocatedCostMicros),
  ]);
  console.log(`  this month (getOrgBillingInfo, ${info.from} to ${info.to}):`);
  console.log(table(["member", "role", "messages", "own cost", "share of shared", "allocated"], rows));
  const allocated = info.byMember.reduce((sum, m) => sum + m.allocatedCostMicros, 0);
  console.log(
    `  shared (agent API) ${usd(info.shared.costMicros)} over ${count(info.shared.messages)} message${info.shared.messages === 1 ? "" : "s"}; allocated ${usd(allocated)} = the team's total ${usd(info.totals.costMicros)}: ${allocated === info.totals.costMicros ? "exact" : "NOT EXACT"}`,
  );
}
