/**
 * A claim taken over while its first holder still runs (2nd gen does not stop a request at its
 * timeout). In process against the emulator's Firestore and the local agent; the second request
 * sees the claim as stale after 200 ms (its claimTtlMs), the first one answers after 1.5 s.
 */
import { openAiAgentClient } from "../../src/agent/agent-client";
import { handleSendMessage, sendMessageDeps } from "../../src/handlers/send-message";
import { readSpend } from "../../src/store/spend";
import { adminDb, countWhere, createUser, LOCAL_AGENT, seedAgent, signingKey, type TestUser } from "../helpers/emulator";

jest.setTimeout(30_000);

const agent = openAiAgentClient({ baseURL: LOCAL_AGENT, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 10_000, maxRetries: 0 });
const deps = (claimTtlMs: number) =>
  sendMessageDeps(
    { db: adminDb(), agent, signingKey: signingKey(), devDailyMessageCap: 500, userLimits: null },
    { claimTtlMs, claimWaitMs: 5_000 },
  );
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let owner: TestUser;
beforeAll(async () => {
  owner = await createUser("takeover");
});

/** The first request, then, 400 ms later, a second one with the same messageId that takes its claim over. */
function race(agentId: string, message: string) {
  const request = { agentId, conversationId: "race", messageId: "m-race", message, testMode: "production" as const };
  const first = handleSendMessage(deps(60_000), owner.uid, request);
  const second = pause(400).then(() => handleSendMessage(deps(200), owner.uid, request));
  return { first, second, claim: adminDb().doc(`billing_claims/${agentId}:race:m-race`) };
}

it("never lets the first holder release the claim of the request that took it over", async () => {
  const agentId = await seedAgent(owner.uid);
  const { first, second, claim } = race(agentId, "fails late [[sleep:1500]] [[fail:500]]");
  await expect(first).rejects.toMatchObject({ code: "unavailable" });
  // The second request is still waiting for its agent: its claim must still be there.
  expect((await claim.get()).exists).toBe(true);
  await expect(second).rejects.toMatchObject({ code: "unavailable" });
  expect((await claim.get()).exists).toBe(false);
  expect(await countWhere("billable_conversations", "agentId", agentId)).toBe(0);
});

it("answers the request whose row lost the race with the stored row, billed once, and records its answer", async () => {
  const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 1_000_000 } });
  const { first, second } = race(agentId, "both answer [[sleep:1500]] [[tokens:5]]");
  const [won, lost] = await Promise.all([first, second]);
  expect(won.replayed).toBe(false);
  expect(lost).toMatchObject({ replayed: true, messageId: won.messageId, costMicros: won.costMicros, response: won.response });
  expect(await countWhere("billable_conversations", "agentId", agentId)).toBe(1);
  const row = (await adminDb().doc(`billable_conversations/${agentId}:race:m-race`).get()).data()!;
  const spend = await readSpend(adminDb(), agentId, { day: row.localDay, month: row.localDay.slice(0, 7) });
  expect(spend).toMatchObject({ daySpentMicros: won.costMicros, dayReservedMicros: 0 });
  const failure = (await adminDb().doc(`billing_failures/${agentId}:race:m-race:duplicate-answer`).get()).data();
  expect(failure).toMatchObject({ stage: "duplicate-answer", charged: false });
});
