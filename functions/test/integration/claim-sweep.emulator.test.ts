/**
 * The sweeper of claims whose request died (issue #14): a request that claimed a message and died
 * before its row leaves the claim, the spend hold and the development counts behind. Here the
 * request "dies" by waiting forever on an agent that never answers (it is never awaited); the
 * sweeper then runs as the scheduler would, later than the claim TTL. In process; Firestore is the
 * emulator's.
 */
import type { AgentClient } from "../../src/agent/agent-client";
import { CLAIM_TTL_MS } from "../../src/config";
import { endUserHashOf, endUserSpendScope, keySpendScope } from "../../src/domain/api-keys";
import { apiSender, authenticate, KeyCache } from "../../src/handlers/agent-api/auth";
import { handleCreateAgentApiKey } from "../../src/handlers/api-keys";
import { handleSendMessage, meterMessage, sendMessageDeps } from "../../src/handlers/send-message";
import { AgentCache } from "../../src/store/agents";
import { releaseAbandonedClaims } from "../../src/store/claim-sweep";
import { readSpend } from "../../src/store/spend";
import { adminDb, createUser, seedAgent, signingKey, waitFor } from "../helpers/emulator";

const USER_LIMITS = { perMinute: 1_000, burst: 1_000, devDailyUserCap: 1_000 };
/** 5 prompt + 2 completion tokens (gpt-4: 150 + 120 µ$), within the bound of the message below. */
const answering: AgentClient = { complete: async () => ({ text: "ok", usage: { prompt_tokens: 5, completion_tokens: 2 }, latencyMs: 1 }) };
/** An agent that never answers: the request that calls it is as good as dead. */
const neverAnswering: AgentClient = { complete: () => new Promise(() => undefined) };

const depsWith = (agent: AgentClient) =>
  sendMessageDeps(
    { db: adminDb(), agent, signingKey: signingKey(), devDailyMessageCap: 500, userLimits: USER_LIMITS },
    { agents: new AgentCache(), claimWaitMs: 500 },
  );

const request = (agentId: string, messageId: string, testMode: "production" | "development") => ({
  agentId,
  conversationId: "c",
  message: "hello",
  testMode,
  messageId,
  maxTokens: 10,
});

const claimDoc = (id: string) => adminDb().doc(`billing_claims/${id}`);
const today = () => new Date().toISOString().slice(0, 10);
/** A run of the sweeper as the scheduler would make it once the claims above are past their TTL. */
const sweepLater = () => releaseAbandonedClaims(adminDb(), Date.now() + CLAIM_TTL_MS + 5_000, CLAIM_TTL_MS);

/** Starts a message whose request then dies, and waits until its claim (with its counts) is written. */
async function dyingMessage(agentId: string, uid: string, messageId: string, mode: "production" | "development") {
  void handleSendMessage(depsWith(neverAnswering), uid, request(agentId, messageId, mode)).catch(() => undefined);
  const id = `${agentId}:c:${messageId}`;
  await waitFor(async () => (await claimDoc(id).get()).exists, "the dying request's claim");
  return id;
}

beforeEach(async () => {
  // Each test sweeps from a fresh cursor (the first run looks back a day).
  await adminDb().doc("billing_alert_runs/claim-sweep").delete();
});

it("releases a production claim whose request died, gives its hold back and records it", async () => {
  const owner = await createUser("sweep-prod");
  const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 1_000_000 } });
  const id = await dyingMessage(agentId, owner.uid, "m1", "production");
  const windows = { day: today(), month: today().slice(0, 7) };
  expect((await readSpend(adminDb(), agentId, windows)).dayReservedMicros).toBeGreaterThan(0);

  expect(await sweepLater()).toBeGreaterThanOrEqual(1);
  expect((await claimDoc(id).get()).exists).toBe(false);
  expect((await readSpend(adminDb(), agentId, windows)).dayReservedMicros).toBe(0);
  const failure = (await adminDb().doc(`billing_failures/${id}:abandoned`).get()).data();
  expect(failure).toMatchObject({
    stage: "abandoned",
    charged: false,
    agentId,
    userId: owner.uid,
    messageId: "m1",
    conversationId: "c",
    attempts: 1,
  });

  // A retry now starts afresh and is billed once.
  const retried = await handleSendMessage(depsWith(answering), owner.uid, request(agentId, "m1", "production"));
  expect(retried).toMatchObject({ replayed: false, costMicros: 270 });
});

it("gives back a dead development message's counts, for the agent and for the caller", async () => {
  const owner = await createUser("sweep-dev");
  const agentId = await seedAgent(owner.uid);
  const windows = { day: today(), month: today().slice(0, 7) };
  await handleSendMessage(depsWith(answering), owner.uid, request(agentId, "kept", "development"));
  await dyingMessage(agentId, owner.uid, "dies", "development");
  expect((await readSpend(adminDb(), agentId, windows)).devMessagesToday).toBe(2);

  await sweepLater();
  expect((await readSpend(adminDb(), agentId, windows)).devMessagesToday).toBe(1);
  const counter = await adminDb().doc(`billing_rate_limits/${owner.uid}_dev_${today()}`).get();
  expect(counter.get("count")).toBe(1);
});

it("gives a dead development message of an org member back to the member's own counter", async () => {
  const [owner, member] = await Promise.all([createUser("sweep-org-owner"), createUser("sweep-org-member")]);
  const orgId = `sweep-org-${member.uid}`;
  await adminDb().doc(`billing_orgs/${orgId}`).set({ name: "Sweep" });
  await adminDb().doc(`billing_orgs/${orgId}/members/${member.uid}`).set({ uid: member.uid, role: "developer" });
  const agentId = await seedAgent(owner.uid, { orgId });
  const id = await dyingMessage(agentId, member.uid, "dies", "development");
  expect((await claimDoc(id).get()).get("devUserId")).toBe(member.uid);
  const counter = (uid: string) => adminDb().doc(`billing_rate_limits/${uid}_dev_${today()}`).get();
  expect((await counter(member.uid)).get("count")).toBe(1);

  await sweepLater();
  expect((await counter(member.uid)).get("count")).toBe(0);
  expect((await counter(owner.uid)).exists).toBe(false);
});

it("leaves billed messages alone, and gives back once when two runs sweep at the same time", async () => {
  const owner = await createUser("sweep-twice");
  const agentId = await seedAgent(owner.uid);
  await handleSendMessage(depsWith(answering), owner.uid, request(agentId, "billed", "development"));
  const dead = await dyingMessage(agentId, owner.uid, "dies", "development");

  await Promise.all([sweepLater(), sweepLater()]);
  expect((await claimDoc(`${agentId}:c:billed`).get()).exists).toBe(true);
  expect((await claimDoc(dead).get()).exists).toBe(false);
  const windows = { day: today(), month: today().slice(0, 7) };
  expect((await readSpend(adminDb(), agentId, windows)).devMessagesToday).toBe(1);
  expect((await adminDb().doc(`billing_rate_limits/${owner.uid}_dev_${today()}`).get()).get("count")).toBe(1);
  expect((await adminDb().doc(`billing_failures/${dead}:abandoned`).get()).get("attempts")).toBe(1);
  // A run after both finds nothing new.
  expect(await sweepLater()).toBe(0);
});

it("releases an agent API message's holds on its key and its end user too", async () => {
  const owner = await createUser("sweep-api");
  const agentId = await seedAgent(owner.uid, {});
  // The parsed request's limits, already in micros ($1 a day for the key, $0.50 for each end user).
  const created = await handleCreateAgentApiKey(
    adminDb(),
    owner.uid,
    { agentId, name: "app", dailyLimitUsd: 1_000_000, endUserDailyLimitUsd: 500_000 },
    Date.now(),
  );
  const key = await authenticate(adminDb(), new KeyCache(), `Bearer ${created.key}`);
  const sender = apiSender(adminDb(), new KeyCache(), key, "customer-7", Date.now());
  const message = { ...request(agentId, "api-1", "production"), chat: [{ role: "user" as const, content: "hello" }] };
  let failed: unknown;
  void meterMessage(depsWith(neverAnswering), sender, message).catch((err) => (failed = err));
  const id = `${agentId}:c:api-1`;
  await waitFor(async () => {
    if (failed) throw failed;
    return (await claimDoc(id).get()).exists;
  }, "the dying API request's claim");
  const windows = { day: today(), month: today().slice(0, 7) };
  const scopes = [agentId, keySpendScope(key.keyId), endUserSpendScope(key.keyId, endUserHashOf(agentId, "customer-7"))];
  const reserved = async () => Promise.all(scopes.map(async (scope) => (await readSpend(adminDb(), scope, windows)).dayReservedMicros));
  const before = await reserved();
  expect(before.map((held) => held > 0)).toEqual([true, true, true]);

  expect(await sweepLater()).toBeGreaterThanOrEqual(1);
  expect((await claimDoc(id).get()).exists).toBe(false);
  expect(await reserved()).toEqual([0, 0, 0]);
});
