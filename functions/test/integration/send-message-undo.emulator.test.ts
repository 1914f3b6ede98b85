/**
 * A throw after the agent answered but before the row exists (here: the row cannot be signed)
 * undoes the message like a failed agent call: the spend hold and the claim are given back and the
 * failure is recorded, so a retry with the same messageId runs at once instead of waiting for a
 * claim nobody holds. In process, with a stub agent; Firestore is the emulator's.
 */
import type { AgentClient } from "../../src/agent/agent-client";
import { handleGetBillingInfo } from "../../src/handlers/billing-info";
import { handleSendMessage, sendMessageDeps } from "../../src/handlers/send-message";
import { adminDb, createUser, seedAgent, signingKey } from "../helpers/emulator";

const agent: AgentClient = { complete: async () => ({ text: "ok", usage: { prompt_tokens: 10, completion_tokens: 2 }, latencyMs: 1 }) };
const depsWith = (key: string) =>
  sendMessageDeps({ db: adminDb(), agent, signingKey: key, devDailyMessageCap: 500, userLimits: null }, { claimWaitMs: 500 });

it("gives the hold and the claim back and records the failure when the row cannot be built", async () => {
  const owner = await createUser("undo");
  const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 1_000_000 } });
  const request = { agentId, conversationId: "c", message: "sign me", testMode: "production" as const, messageId: "m-unsigned" };

  await expect(handleSendMessage(depsWith(""), owner.uid, request)).rejects.toThrow("ledger signing key is empty");
  expect((await adminDb().doc(`billing_claims/${agentId}:c:m-unsigned`).get()).exists).toBe(false);
  const info = await handleGetBillingInfo(adminDb(), owner.uid, { agentId }, { now: Date.now(), devDailyMessageCap: 500 });
  expect(info.limits.daily).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
  const failure = (await adminDb().doc(`billing_failures/${agentId}:c:m-unsigned:agent-call`).get()).data();
  expect(failure).toMatchObject({ stage: "agent-call", charged: false, messageId: "m-unsigned" });

  // 10 input tokens at $30/M and 2 output tokens at $60/M.
  const retried = await handleSendMessage(depsWith(signingKey()), owner.uid, request);
  expect(retried).toMatchObject({ replayed: false, costMicros: 420 });
});
