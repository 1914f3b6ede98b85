/**
 * sendMessage claims a message from this instance's copy of its agent while it reads the agent
 * again (issue #13): a copy is never trusted alone. Each test sends one message (the copy is made),
 * changes the agent with the Admin SDK as an owner or the backend would, and checks that the next
 * message sees the change, and that what its stale claim counted was given back: no claim, no hold,
 * the rate count once. In process, with a stub agent; Firestore is the emulator's.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { AgentClient } from "../../src/agent/agent-client";
import { handleGetBillingInfo } from "../../src/handlers/billing-info";
import { handleQuoteMessage } from "../../src/handlers/quote-message";
import { handleSendMessage, sendMessageDeps, type SendMessageDeps } from "../../src/handlers/send-message";
import { AgentCache } from "../../src/store/agents";
import { interceptCommits } from "../helpers/commits";
import { adminDb, countWhere, createUser, seedAgent, signingKey } from "../helpers/emulator";

/**
 * A stub agent that counts its calls and reports `usage`: by default 10 prompt + 2 completion tokens
 * (gpt-4: 300 + 120 µ$).
 */
function countingAgent(usage = { prompt_tokens: 10, completion_tokens: 2 }): AgentClient & { calls: number } {
  const agent = {
    calls: 0,
    complete: async () => {
      agent.calls++;
      return { text: "ok", usage, latencyMs: 1 };
    },
  };
  return agent;
}

const USER_LIMITS = { perMinute: 1_000, burst: 1_000, devDailyUserCap: 1_000 };

function setup(agent: AgentClient, db: Firestore = adminDb()): SendMessageDeps {
  return sendMessageDeps(
    { db, agent, signingKey: signingKey(), devDailyMessageCap: 500, userLimits: USER_LIMITS },
    { agents: new AgentCache(), claimWaitMs: 500 },
  );
}

const request = (agentId: string, messageId: string, testMode: "production" | "development" = "production") => ({
  agentId,
  conversationId: "c",
  message: `message ${messageId}`,
  testMode,
  messageId,
  maxTokens: 10,
});

/** The rate counts of `uid`, summed over its minute documents. */
async function rateCount(uid: string): Promise<number> {
  const snaps = await adminDb().collection("billing_rate_limits").where("userId", "==", uid).get();
  return snaps.docs.reduce((n, d) => n + ((d.get("count") as number | undefined) ?? 0), 0);
}

async function expectNothingLeft(uid: string, agentId: string, messageId: string) {
  expect((await adminDb().doc(`billing_claims/${agentId}:c:${messageId}`).get()).exists).toBe(false);
  const info = await handleGetBillingInfo(adminDb(), uid, { agentId }, { now: Date.now(), devDailyMessageCap: 500 });
  expect(info.limits.daily.reservedMicros).toBe(0);
}

const agentDoc = (agentId: string) => adminDb().doc(`alchemist_agents/${agentId}`);

it("keeps the copy of an agent it just read and sends the next message from it", async () => {
  const owner = await createUser("copy-used");
  const agentId = await seedAgent(owner.uid);
  const agent = countingAgent();
  const deps = setup(agent);
  await handleSendMessage(deps, owner.uid, request(agentId, "m1"));
  const copy = deps.agents.get(agentId);
  expect(copy?.agent.userId).toBe(owner.uid);
  await expect(handleSendMessage(deps, owner.uid, request(agentId, "m2"))).resolves.toMatchObject({ replayed: false, costMicros: 420 });
  expect(deps.agents.get(agentId)?.version.isEqual(copy!.version)).toBe(true);
  expect(agent.calls).toBe(2);
});

it("refuses a message to an agent paused after the copy was made, and leaves nothing claimed or held", async () => {
  const owner = await createUser("copy-paused");
  const agentId = await seedAgent(owner.uid);
  const agent = countingAgent();
  const deps = setup(agent);
  await handleSendMessage(deps, owner.uid, request(agentId, "m1"));
  await agentDoc(agentId).update({ status: "paused" });

  await expect(handleSendMessage(deps, owner.uid, request(agentId, "m2"))).rejects.toMatchObject({ code: "failed-precondition" });
  expect(agent.calls).toBe(1);
  await expectNothingLeft(owner.uid, agentId, "m2");
  // m1 and m2 once each: the stale claim's count was given back, the refusal counted.
  expect(await rateCount(owner.uid)).toBe(2);
});

it("applies a limit lowered after the copy was made to the next message", async () => {
  const owner = await createUser("copy-limit");
  const agentId = await seedAgent(owner.uid);
  const agent = countingAgent();
  const deps = setup(agent);
  await handleSendMessage(deps, owner.uid, request(agentId, "m1"));
  // 420 µ$ spent: a limit of 500 µ$ leaves no room for the next message's worst case.
  await agentDoc(agentId).update({ "billing.dailyLimitMicros": 500 });

  await expect(handleSendMessage(deps, owner.uid, request(agentId, "m2"))).rejects.toMatchObject({ code: "resource-exhausted" });
  expect(agent.calls).toBe(1);
  await expectNothingLeft(owner.uid, agentId, "m2");
});

it("prices the next message at a model set after the copy was made", async () => {
  const owner = await createUser("copy-model");
  const agentId = await seedAgent(owner.uid);
  const deps = setup(countingAgent());
  await handleSendMessage(deps, owner.uid, request(agentId, "m1"));
  await agentDoc(agentId).update({ model: "gpt-4o-mini" });

  const sent = await handleSendMessage(deps, owner.uid, request(agentId, "m2"));
  expect(sent.model).toBe("gpt-4o-mini");
  const row = (await adminDb().doc(`billable_conversations/${agentId}:c:m2`).get()).data();
  expect(row).toMatchObject({ model: "gpt-4o-mini", costMicros: sent.costMicros });
  expect(sent.costMicros).toBeLessThan(420);
  expect(await rateCount(owner.uid)).toBe(2);
});

it("answers not-found for an agent deleted after the copy was made, and leaves nothing claimed or held", async () => {
  const owner = await createUser("copy-deleted");
  const agentId = await seedAgent(owner.uid);
  const agent = countingAgent();
  const deps = setup(agent);
  await handleSendMessage(deps, owner.uid, request(agentId, "m1", "development"));
  await agentDoc(agentId).delete();

  await expect(handleSendMessage(deps, owner.uid, request(agentId, "m2", "development"))).rejects.toMatchObject({ code: "not-found" });
  expect(agent.calls).toBe(1);
  expect((await adminDb().doc(`billing_claims/${agentId}:c:m2`).get()).exists).toBe(false);
  expect(deps.agents.get(agentId)).toBeUndefined();
  // The development counts of the stale claim were given back: only m1's remains.
  const devCounter = await adminDb().collection("billing_rate_limits").where("userId", "==", owner.uid).get();
  const devCount = devCounter.docs.filter((d) => d.id.includes("_dev_")).reduce((n, d) => n + (d.get("count") as number), 0);
  expect(devCount).toBe(1);
});

it("never uses the copy of one owner's agent for another caller: refused before anything is written", async () => {
  const owner = await createUser("copy-owner");
  const other = await createUser("copy-other");
  const agentId = await seedAgent(owner.uid);
  const agent = countingAgent();
  const deps = setup(agent);
  await handleSendMessage(deps, owner.uid, request(agentId, "m1"));

  await expect(handleSendMessage(deps, other.uid, request(agentId, "m2"))).rejects.toMatchObject({ code: "permission-denied" });
  expect(agent.calls).toBe(1);
  expect((await adminDb().doc(`billing_claims/${agentId}:c:m2`).get()).exists).toBe(false);
  expect(await countWhere("billing_rate_limits", "userId", other.uid)).toBe(0);
});

it("replays a stored row from the copy, after the agent changed too", async () => {
  const owner = await createUser("copy-replay");
  const agentId = await seedAgent(owner.uid);
  const agent = countingAgent();
  const deps = setup(agent);
  const first = await handleSendMessage(deps, owner.uid, request(agentId, "m1"));
  await agentDoc(agentId).update({ "billing.dailyLimitMicros": 1 });

  await expect(handleSendMessage(deps, owner.uid, request(agentId, "m1"))).resolves.toMatchObject({
    replayed: true,
    costMicros: first.costMicros,
  });
  expect(agent.calls).toBe(1);
});

/**
 * The emulator's Firestore, except that the first batch it commits runs `before` first: for a
 * message sent from a fresh instance, the moment after its agent was read and before its claim and
 * hold are committed.
 */
function pausedBeforeFirstCommit(before: () => Promise<void>): Firestore {
  let paused = false;
  return interceptCommits(adminDb(), async (commit) => {
    if (!paused) {
      paused = true;
      await before();
    }
    return commit();
  });
}

it("counts a limit set while a fresh instance's first message is being claimed (was: billed past the limit)", async () => {
  const owner = await createUser("copy-first-limit");
  const agentId = await seedAgent(owner.uid);
  const quote = await handleQuoteMessage(
    adminDb(),
    owner.uid,
    { agentId, message: "message m1", testMode: "production", maxTokens: 10 },
    Date.now(),
  );
  const worst = quote.worstCaseMicros!;
  // Room for one message at its worst case; not for the 420 µ$ it is billed plus another worst case.
  const limit = worst + 100;
  const elsewhere = setup(countingAgent());
  // Far more usage than a message may bill: it would be billed at its worst case.
  const agent = countingAgent({ prompt_tokens: 1_000_000, completion_tokens: 1_000_000 });
  // The limit is set, and another instance fills it, after this instance read the agent (no limit
  // then) and before its claim and hold are committed.
  const deps = setup(
    agent,
    pausedBeforeFirstCommit(async () => {
      await agentDoc(agentId).update({ "billing.dailyLimitMicros": limit });
      await handleSendMessage(elsewhere, owner.uid, request(agentId, "m1"));
    }),
  );

  await expect(handleSendMessage(deps, owner.uid, request(agentId, "m2"))).rejects.toMatchObject({ code: "resource-exhausted" });
  expect(agent.calls).toBe(0);
  const rows = await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get();
  expect(rows.docs.map((d) => d.get("costMicros") as number)).toEqual([420]);
  await expectNothingLeft(owner.uid, agentId, "m2");
});
