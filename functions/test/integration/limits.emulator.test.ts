/**
 * Hard limits in sendMessage: a reservation of the worst case before the agent is called, so
 * concurrency can never push spend past a limit; and the development message cap.
 */
import { openAiAgentClient } from "../../src/agent/agent-client";
import type { GetBillingInfoResponse } from "../../src/contract/billing-info";
import type { SendMessageResponse } from "../../src/contract/send-message";
import { countChatTokens } from "../../src/domain/tokens";
import { handleSendMessage, sendMessageDeps } from "../../src/handlers/send-message";
import {
  adminDb,
  agentCompletions,
  call,
  createUser,
  LOCAL_AGENT,
  seedAgent,
  signingKey,
  waitFor,
  type TestUser,
} from "../helpers/emulator";
import { summaryTotals } from "../helpers/rollups";

let owner: TestUser;
beforeAll(async () => {
  owner = await createUser("limits");
});

const MESSAGE = "Price me exactly [[tokens:10]]";
/** With maxTokens equal to the answer's length, the worst case is the real cost. */
const COST = countChatTokens([{ role: "user", content: MESSAGE }], "gpt-4") * 30 + 10 * 60;

it("never lets concurrent production messages spend past the daily limit, nor calls the agent for refused ones", async () => {
  const limit = Math.floor(3.5 * COST);
  const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: limit, timezone: "Asia/Tokyo" } });
  const before = await agentCompletions();
  const request = { agentId, conversationId: "burst", message: MESSAGE, testMode: "production", maxTokens: 10 };
  const results = await Promise.all(Array.from({ length: 12 }, () => call<SendMessageResponse>("sendMessage", request, owner.idToken)));

  const admitted = results.filter((r) => r.result);
  const refused = results.filter((r) => r.error);
  expect(admitted).toHaveLength(3);
  expect(refused.map((r) => r.error!.status)).toEqual(Array(9).fill("RESOURCE_EXHAUSTED"));
  expect(refused[0].error!.message).toContain("daily spending limit");
  expect((await agentCompletions()) - before).toBe(3);

  const rows = await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get();
  const billed = rows.docs.reduce((sum, d) => sum + (d.get("costMicros") as number), 0);
  expect(rows.size).toBe(3);
  expect(billed).toBe(3 * COST);
  expect(billed).toBeLessThanOrEqual(limit);

  const info = await call<GetBillingInfoResponse>("getBillingInfo", { agentId }, owner.idToken);
  expect(info.result!.limits.daily).toMatchObject({
    limitMicros: limit,
    spentMicros: 3 * COST,
    reservedMicros: 0,
    remainingMicros: limit - 3 * COST,
  });
  expect(info.result!.limits.timezone).toBe("Asia/Tokyo");
});

it("releases the hold of a message whose agent call failed", async () => {
  const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 10 * COST } });
  const failed = await call(
    "sendMessage",
    { agentId, conversationId: "f", message: "[[fail:500]]", testMode: "production", maxTokens: 10 },
    owner.idToken,
  );
  expect(failed.error?.status).toBe("UNAVAILABLE");
  const info = await call<GetBillingInfoResponse>("getBillingInfo", { agentId }, owner.idToken);
  expect(info.result!.limits.daily).toMatchObject({ spentMicros: 0, reservedMicros: 0, remainingMicros: 10 * COST });
});

it("caps development messages per local day so free mode is not a loophole", async () => {
  const agentId = await seedAgent(owner.uid);
  const deps = sendMessageDeps({
    db: adminDb(),
    agent: openAiAgentClient({ baseURL: LOCAL_AGENT, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 10_000, maxRetries: 0 }),
    signingKey: signingKey(),
    devDailyMessageCap: 3,
    userLimits: null,
  });
  const send = () =>
    handleSendMessage(deps, owner.uid, { agentId, conversationId: "dev", message: "free [[tokens:2]]", testMode: "development" });
  for (let i = 0; i < 3; i++) await send();
  const before = await agentCompletions();
  await expect(send()).rejects.toMatchObject({ code: "resource-exhausted", message: expect.stringContaining("development message cap") });
  expect(await agentCompletions()).toBe(before);
});

it("counts what was already spent today when a limit is set in the middle of the day", async () => {
  const agentId = await seedAgent(owner.uid);
  const request = { agentId, conversationId: "mid", message: MESSAGE, testMode: "production", maxTokens: 10 };
  for (let i = 0; i < 2; i++) expect((await call("sendMessage", request, owner.idToken)).error).toBeUndefined();
  await waitFor(async () => (await summaryTotals(adminDb(), agentId)).totalMessages === 2, "rollup");

  const limitMicros = 2 * COST + Math.floor(COST / 2);
  const set = await call("setAgentBillingSettings", { agentId, dailyLimitUsd: limitMicros / 1e6 }, owner.idToken);
  expect(set.error).toBeUndefined();
  const info = await call<GetBillingInfoResponse>("getBillingInfo", { agentId }, owner.idToken);
  expect(info.result!.limits.daily).toMatchObject({ limitMicros, spentMicros: 2 * COST, remainingMicros: limitMicros - 2 * COST });
  const third = await call("sendMessage", request, owner.idToken);
  expect(third.error?.status).toBe("RESOURCE_EXHAUSTED");
});
