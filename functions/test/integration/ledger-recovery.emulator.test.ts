/**
 * A ledger write that keeps failing after the agent answered: the row is kept in billing_failures,
 * and the client's retry with the same messageId writes it (billed once) without calling the agent
 * again, and its cost reaches the spend windows with it. The failure is injected by a Firestore whose
 * ledger writes fail; everything else is real.
 */
import type { Firestore } from "firebase-admin/firestore";
import { openAiAgentClient } from "../../src/agent/agent-client";
import { handleSendMessage, sendMessageDeps } from "../../src/handlers/send-message";
import { recoverUnwrittenRows } from "../../src/store/ledger";
import { readSpend } from "../../src/store/spend";
import { interceptCommits } from "../helpers/commits";
import { adminDb, agentCompletions, createUser, LOCAL_AGENT, seedAgent, signingKey } from "../helpers/emulator";

/**
 * The real Firestore, except that creating a ledger row fails (as during an outage): a row is
 * written in a batch with its spend, so a batch holding a ledger create fails to commit.
 */
const withFailingLedger = (db: Firestore): Firestore =>
  interceptCommits(db, (commit, created) =>
    created.some((path) => path.startsWith("billable_conversations/")) ? Promise.reject(new Error("UNAVAILABLE: outage")) : commit(),
  );

const agent = openAiAgentClient({ baseURL: LOCAL_AGENT, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 10_000, maxRetries: 0 });
/** sendMessage on `db` with the local agent, no per-user limits and no waits between ledger-write attempts. */
const deps = (db: Firestore) =>
  sendMessageDeps({ db, agent, signingKey: signingKey(), devDailyMessageCap: 500, userLimits: null }, { sleep: async () => undefined });

it("keeps the row of a failed ledger write and writes it on the retry, calling the agent once", async () => {
  const owner = await createUser("recovery");
  const agentId = await seedAgent(owner.uid);
  const request = {
    agentId,
    conversationId: "c",
    message: "Remember me [[tokens:9]]",
    testMode: "production" as const,
    messageId: "m-outage",
  };
  const before = await agentCompletions();

  await expect(handleSendMessage(deps(withFailingLedger(adminDb())), owner.uid, request)).rejects.toMatchObject({ code: "internal" });
  const kept = (await adminDb().doc(`billing_failures/${agentId}:c:m-outage:ledger-write`).get()).data()!;
  expect(kept).toMatchObject({ stage: "ledger-write", charged: false, usage: { completion: 9 } });
  expect((await adminDb().doc(`billable_conversations/${agentId}:c:m-outage`).get()).exists).toBe(false);

  const retried = await handleSendMessage(deps(adminDb()), owner.uid, request);
  expect(retried).toMatchObject({ replayed: true, costMicros: kept.costMicros, response: kept.row.agentResponse });
  expect((await adminDb().doc(`billable_conversations/${agentId}:c:m-outage`).get()).get("costMicros")).toBe(kept.costMicros);
  expect((await adminDb().doc(`billing_failures/${agentId}:c:m-outage:ledger-write`).get()).get("charged")).toBe(true);
  expect((await agentCompletions()) - before).toBe(1);
  // The spend windows have the recovered cost: it was written with the row, in one batch.
  const row = (await adminDb().doc(`billable_conversations/${agentId}:c:m-outage`).get()).data()!;
  const spend = await readSpend(adminDb(), agentId, { day: row.localDay, month: row.localDay.slice(0, 7) });
  expect(spend).toMatchObject({ daySpentMicros: kept.costMicros, monthSpentMicros: kept.costMicros });
});

it("writes a kept row on the scheduler's run when its client never retries, once however often it runs", async () => {
  const owner = await createUser("recovery-sweep");
  const agentId = await seedAgent(owner.uid);
  const request = {
    agentId,
    conversationId: "c",
    message: "Nobody retries [[tokens:7]]",
    testMode: "production" as const,
    messageId: "m-gone",
  };
  const ledgerRow = adminDb().doc(`billable_conversations/${agentId}:c:m-gone`);

  await expect(handleSendMessage(deps(withFailingLedger(adminDb())), owner.uid, request)).rejects.toMatchObject({ code: "internal" });
  const kept = (await adminDb().doc(`billing_failures/${agentId}:c:m-gone:ledger-write`).get()).data()!;
  expect(kept).toMatchObject({ pendingRecovery: true, charged: false });
  expect((await ledgerRow.get()).exists).toBe(false);

  const runs = await Promise.all([recoverUnwrittenRows(adminDb(), Date.now()), recoverUnwrittenRows(adminDb(), Date.now())]);
  expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  expect((await ledgerRow.get()).get("costMicros")).toBe(kept.costMicros);
  expect((await adminDb().doc(`billing_failures/${agentId}:c:m-gone:ledger-write`).get()).data()).toMatchObject({
    pendingRecovery: false,
    charged: true,
  });
  const row = (await ledgerRow.get()).data()!;
  const spend = await readSpend(adminDb(), agentId, { day: row.localDay, month: row.localDay.slice(0, 7) });
  expect(spend).toMatchObject({ daySpentMicros: kept.costMicros, dayReservedMicros: 0 });
  // A late retry replays it; another run finds nothing to do.
  expect(await handleSendMessage(deps(adminDb()), owner.uid, request)).toMatchObject({ replayed: true, costMicros: kept.costMicros });
  const again = await adminDb().collection("billing_failures").where("pendingRecovery", "==", true).where("agentId", "==", agentId).get();
  expect(again.size).toBe(0);
});
