/**
 * Agents owned by an org (issue #18), through the real callables: who may send messages to them
 * (billed to the agent's owner, attributed to the member), change their settings and read their
 * conversations; the org's budgets (setOrgBudgets: who may set them, contradictions refused) and a
 * burst of members' messages held by the member and org budgets in the one admission.
 */
import type { OrgRole } from "../../src/contract/orgs";
import type { SendMessageResponse } from "../../src/contract/send-message";
import { countChatTokens } from "../../src/domain/tokens";
import OpenAI from "openai";
import type { OrgBillingInfoResponse } from "../../src/contract/orgs";
import { adminDb, call, createUser, functionUrl, seedAgent, waitFor, type CallResult, type TestUser } from "../helpers/emulator";

type Actor = OrgRole | "outsider";
const ACTORS: Actor[] = ["owner", "admin", "billing", "developer", "viewer", "outsider"];

const statusOf = (res: CallResult) => res.error?.status ?? "OK";

function expectOk<T>(res: CallResult<T>): T {
  expect(res.error).toBeUndefined();
  return res.result as T;
}

/** An org with one member of every role (the owner created it), a signed-in user outside it, and an agent the org owns, created by its owner. */
async function orgAgent(extra: Record<string, unknown> = {}) {
  const list = await Promise.all(ACTORS.map((actor) => createUser(`org-agent-${actor}`)));
  const users = Object.fromEntries(ACTORS.map((actor, i) => [actor, list[i]])) as Record<Actor, TestUser>;
  const { orgId } = expectOk(await call<{ orgId: string }>("createOrg", { name: "Acme" }, users.owner.idToken));
  for (const role of ["admin", "billing", "developer", "viewer"] as const) {
    expectOk(await call("addOrgMember", { orgId, email: users[role].email, role }, users.owner.idToken));
  }
  const agentId = await seedAgent(users.owner.uid, { orgId, ...extra });
  return { orgId, agentId, users };
}

const MESSAGE = "Price me exactly [[tokens:10]]";
/** With maxTokens equal to the answer's length, the worst case is the real cost (gpt-4: $30 / $60 per million). */
const COST = countChatTokens([{ role: "user", content: MESSAGE }], "gpt-4") * 30 + 10 * 60;

const send = (agentId: string, by: TestUser, conversationId: string, messageId?: string) =>
  call<SendMessageResponse>(
    "sendMessage",
    { agentId, conversationId, message: MESSAGE, testMode: "production", maxTokens: 10, ...(messageId ? { messageId } : {}) },
    by.idToken,
  );

/** The holds still open in the agent's spend windows and the org's (none once every message is settled or refused). */
async function openHolds(agentId: string, orgId: string): Promise<string[]> {
  const spend = await adminDb()
    .collection("billing_spend")
    .where("agentId", "in", [agentId, `org:${orgId}`])
    .get();
  return spend.docs.flatMap((d) => Object.keys(d.get("holds") ?? {}));
}
const rowsOf = async (agentId: string) => (await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get()).docs;

describe("sending to an org agent", () => {
  it("lets owner, admin and developer send, billed to the agent's owner and attributed to the sender; refuses the others and leaves nothing", async () => {
    const { orgId, agentId, users } = await orgAgent();
    const results = Object.fromEntries(
      await Promise.all(ACTORS.map(async (actor) => [actor, statusOf(await send(agentId, users[actor], `by-${actor}`))] as const)),
    );
    expect(results).toEqual({
      owner: "OK",
      admin: "OK",
      developer: "OK",
      billing: "PERMISSION_DENIED",
      viewer: "PERMISSION_DENIED",
      outsider: "PERMISSION_DENIED",
    });
    const rows = (await rowsOf(agentId)).map((d) => d.data());
    expect(rows.map((r) => r.senderUid).sort()).toEqual([users.owner.uid, users.admin.uid, users.developer.uid].sort());
    for (const row of rows) expect(row).toMatchObject({ userId: users.owner.uid, orgId, costMicros: COST, billable: true });
    // The refused sent nothing to keep: no claim, and every hold given back.
    const claims = await adminDb().collection("billing_claims").where("agentId", "==", agentId).get();
    expect(claims.docs.map((d) => d.get("conversationId")).sort()).toEqual(["by-admin", "by-developer", "by-owner"]);
    expect(await openHolds(agentId, orgId)).toEqual([]);
  });

  it("answers a repeated message to its sender, and to another member only if their role reads conversations", async () => {
    const { agentId, users } = await orgAgent();
    const first = expectOk(await send(agentId, users.developer, "repeat", "m-1"));
    expect(first.replayed).toBe(false);
    expect(expectOk(await send(agentId, users.developer, "repeat", "m-1"))).toMatchObject({ replayed: true, response: first.response });
    expect(expectOk(await send(agentId, users.admin, "repeat", "m-1"))).toMatchObject({ replayed: true, response: first.response });
    expect(statusOf(await send(agentId, users.viewer, "repeat", "m-1"))).toBe("PERMISSION_DENIED");
    expect(statusOf(await send(agentId, users.outsider, "repeat", "m-1"))).toBe("PERMISSION_DENIED");
    expect(await rowsOf(agentId)).toHaveLength(1);
  });

  it("counts a member's development messages against the member's own free messages, not the owner's (was: the owner's)", async () => {
    const { agentId, users } = await orgAgent();
    const dev = (by: TestUser, conversationId: string) =>
      call<SendMessageResponse>("sendMessage", { agentId, conversationId, message: MESSAGE, testMode: "development" }, by.idToken);
    expect(expectOk(await dev(users.developer, "dev-1"))).toMatchObject({ billable: false, costMicros: 0 });
    expectOk(await dev(users.developer, "dev-2"));
    expectOk(await dev(users.owner, "dev-3"));
    const day = new Date().toISOString().slice(0, 10);
    const count = async (uid: string) => (await adminDb().doc(`billing_rate_limits/${uid}_dev_${day}`).get()).get("count");
    expect(await count(users.developer.uid)).toBe(2);
    expect(await count(users.owner.uid)).toBe(1);
  });

  it("refuses a member removed from the org from then on", async () => {
    const { orgId, agentId, users } = await orgAgent();
    expectOk(await send(agentId, users.developer, "before"));
    expectOk(await call("removeOrgMember", { orgId, uid: users.developer.uid }, users.owner.idToken));
    const after = await send(agentId, users.developer, "after");
    expect(statusOf(after)).toBe("PERMISSION_DENIED");
    expect(after.error!.message).toContain("not a member");
    expect(await rowsOf(agentId)).toHaveLength(1);
  });
});

describe("an org agent's other callables, by role", () => {
  it("lets the roles that change settings change them, and the others not", async () => {
    const { agentId, users } = await orgAgent();
    const results = Object.fromEntries(
      await Promise.all(
        ACTORS.map(
          async (actor) =>
            [actor, statusOf(await call("setAgentBillingSettings", { agentId, dailyAlertUsd: 1 }, users[actor].idToken))] as const,
        ),
      ),
    );
    expect(results).toEqual({
      owner: "OK",
      admin: "OK",
      billing: "OK",
      developer: "PERMISSION_DENIED",
      viewer: "PERMISSION_DENIED",
      outsider: "PERMISSION_DENIED",
    });
  });

  it("shows costs to every member and conversations to the roles that read them", async () => {
    const { agentId, users } = await orgAgent();
    expectOk(await send(agentId, users.developer, "seen"));
    const costs: Record<string, string> = {};
    const texts: Record<string, string> = {};
    const listed: Record<string, number> = {};
    for (const actor of ACTORS) {
      costs[actor] = statusOf(await call("getBillingInfo", { agentId }, users[actor].idToken));
      const history = await call<{ items: unknown[] }>("listBillableConversations", { agentId }, users[actor].idToken);
      texts[actor] = statusOf(history);
      if (history.result) listed[actor] = history.result.items.length;
    }
    expect(costs).toEqual({ owner: "OK", admin: "OK", billing: "OK", developer: "OK", viewer: "OK", outsider: "PERMISSION_DENIED" });
    expect(texts).toEqual({
      owner: "OK",
      admin: "OK",
      billing: "PERMISSION_DENIED",
      developer: "OK",
      viewer: "PERMISSION_DENIED",
      outsider: "PERMISSION_DENIED",
    });
    // Every reader sees the agent's rows, whoever sent them (they are its owner's documents).
    expect(listed).toEqual({ owner: 1, admin: 1, developer: 1 });
  });
});

describe("setOrgBudgets", () => {
  it("lets owner, admin and billing set budgets, and no one else", async () => {
    const { orgId, users } = await orgAgent();
    const results: Record<string, string> = {};
    for (const actor of ACTORS) results[actor] = statusOf(await call("setOrgBudgets", { orgId, dailyLimitUsd: 5 }, users[actor].idToken));
    expect(results).toEqual({
      owner: "OK",
      admin: "OK",
      billing: "OK",
      developer: "PERMISSION_DENIED",
      viewer: "PERMISSION_DENIED",
      outsider: "PERMISSION_DENIED",
    });
    const set = expectOk(await call("setOrgBudgets", { orgId, memberDailyLimitUsd: 1.25, monthlyLimitUsd: 50 }, users.billing.idToken));
    expect(set).toEqual({
      orgId,
      dailyLimitMicros: 5_000_000,
      monthlyLimitMicros: 50_000_000,
      memberDailyLimitMicros: 1_250_000,
      memberMonthlyLimitMicros: null,
    });
  });

  it.each([
    ["a member's daily budget above the org's", { dailyLimitUsd: 1, memberDailyLimitUsd: 2 }, "above the org's daily budget"],
    ["a daily budget above the monthly", { dailyLimitUsd: 10, monthlyLimitUsd: 5 }, "above its monthly budget"],
    ["a member's monthly budget above the org's", { monthlyLimitUsd: 5, memberMonthlyLimitUsd: 6 }, "above the org's monthly budget"],
    [
      "a member's daily budget above a member's monthly",
      { memberDailyLimitUsd: 3, memberMonthlyLimitUsd: 2 },
      "above a member's monthly budget",
    ],
  ])("refuses %s with invalid-argument and changes nothing", async (_what, budgets, words) => {
    const { orgId, users } = await orgAgent();
    expectOk(await call("setOrgBudgets", { orgId, dailyLimitUsd: 4 }, users.owner.idToken));
    const res = await call("setOrgBudgets", { orgId, ...budgets }, users.owner.idToken);
    expect(statusOf(res)).toBe("INVALID_ARGUMENT");
    expect(res.error!.message).toContain(words);
    expect((await adminDb().doc(`billing_orgs/${orgId}`).get()).get("budgets")).toMatchObject({
      dailyLimitMicros: 4_000_000,
      memberDailyLimitMicros: null,
    });
  });

  it("refuses a budget that contradicts one set before", async () => {
    const { orgId, users } = await orgAgent();
    expectOk(await call("setOrgBudgets", { orgId, dailyLimitUsd: 1 }, users.owner.idToken));
    const res = await call("setOrgBudgets", { orgId, memberDailyLimitUsd: 1.5 }, users.owner.idToken);
    expect(statusOf(res)).toBe("INVALID_ARGUMENT");
    expect((await adminDb().doc(`billing_orgs/${orgId}`).get()).get("budgets.memberDailyLimitMicros")).toBeNull();
  });

  it.each([
    ["a negative budget", { dailyLimitUsd: -1 }],
    ["sub-micro precision", { dailyLimitUsd: 0.0000001 }],
    ["a budget as text", { dailyLimitUsd: "5" }],
    ["an unknown field", { weeklyLimitUsd: 5 }],
  ])("refuses %s with invalid-argument and writes nothing", async (_what, fields) => {
    const { orgId, users } = await orgAgent();
    expect(statusOf(await call("setOrgBudgets", { orgId, ...fields }, users.owner.idToken))).toBe("INVALID_ARGUMENT");
    expect((await adminDb().doc(`billing_orgs/${orgId}`).get()).get("budgets")).toBeUndefined();
  });
});

describe("budgets at every level, under a burst", () => {
  it("holds each member's budget, then the org's, for concurrent messages of several members", async () => {
    const { orgId, agentId, users } = await orgAgent();
    const second = await createUser("org-agent-developer-2");
    expectOk(await call("addOrgMember", { orgId, email: second.email, role: "developer" }, users.owner.idToken));
    const usd = (micros: number) => micros / 1e6;
    // Each member's budget fits exactly two messages; the org's, ten, does not bind this burst.
    const memberDaily = Math.floor(2.5 * COST);
    expectOk(
      await call("setOrgBudgets", { orgId, dailyLimitUsd: usd(10 * COST), memberDailyLimitUsd: usd(memberDaily) }, users.owner.idToken),
    );

    const senders = [users.developer, second];
    const burst = await Promise.all(senders.flatMap((by, s) => Array.from({ length: 8 }, (_, i) => send(agentId, by, `burst-${s}-${i}`))));
    const billedBy = (k: number) => burst.slice(8 * k, 8 * k + 8).filter((r) => r.result).length;
    expect(burst.map(statusOf).filter((s) => s !== "OK" && s !== "RESOURCE_EXHAUSTED")).toEqual([]);
    expect([billedBy(0), billedBy(1)]).toEqual([2, 2]);
    expect(burst.find((r) => r.error)!.error!.message).toContain("your own daily spending limit");

    // The org's budget lowered to 4.5 messages (4 spent): an admin's burst is refused by it, whatever their own budget.
    const orgDaily = Math.floor(4.5 * COST);
    expectOk(await call("setOrgBudgets", { orgId, dailyLimitUsd: usd(orgDaily) }, users.owner.idToken));
    const more = await Promise.all(Array.from({ length: 4 }, (_, i) => send(agentId, users.admin, `org-${i}`)));
    expect(more.map(statusOf)).toEqual(Array(4).fill("RESOURCE_EXHAUSTED"));
    expect(more[0].error!.message).toContain("the organisation's daily spending limit");

    const rows = (await rowsOf(agentId)).map((d) => d.data());
    const spent = rows.reduce((sum, r) => sum + (r.costMicros as number), 0);
    expect(rows).toHaveLength(4);
    expect(spent).toBeLessThanOrEqual(orgDaily);
    expect(await openHolds(agentId, orgId)).toEqual([]);
  });

  it("takes a budget set on another instance's copy into account at once", async () => {
    const { orgId, agentId, users } = await orgAgent();
    // Warm this instance's copies of the agent and of the org (no budgets yet).
    expectOk(await send(agentId, users.developer, "warm"));
    expectOk(await call("setOrgBudgets", { orgId, memberDailyLimitUsd: (COST * 1.5) / 1e6 }, users.owner.idToken));
    // The developer has spent one message today: a second does not fit their budget of 1.5.
    const res = await send(agentId, users.developer, "after-budget");
    expect(statusOf(res)).toBe("RESOURCE_EXHAUSTED");
    expect(expectOk(await send(agentId, users.admin, "admin-fits")).costMicros).toBe(COST);
  });
});

describe("getOrgBillingInfo", () => {
  it("shows every member the org's costs by agent and by member, the agent API's shared cost allocated exactly", async () => {
    const { orgId, agentId, users } = await orgAgent();
    const second = await seedAgent(users.admin.uid, { orgId, name: "Second agent" });
    expectOk(await send(agentId, users.developer, "d-1"));
    expectOk(await send(agentId, users.developer, "d-2"));
    expectOk(await send(second, users.admin, "a-1"));
    // An app of the agent's users, through the agent API: no member sent it.
    const { key } = expectOk(await call<{ key: string }>("createAgentApiKey", { agentId, name: "app" }, users.owner.idToken));
    await new OpenAI({ baseURL: `${functionUrl("agentApi")}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({
      model: "gpt-4",
      messages: [{ role: "user", content: "Shared [[tokens:7]]" }],
      max_tokens: 7,
    });
    const rows = (await adminDb().collection("billable_conversations").where("orgId", "==", orgId).get()).docs.map((d) => d.data());
    expect(rows).toHaveLength(4);
    const ledgerTotal = rows.reduce((sum, r) => sum + (r.costMicros as number), 0);
    const info = await waitFor(async () => {
      const res = expectOk(await call<OrgBillingInfoResponse>("getOrgBillingInfo", { orgId }, users.viewer.idToken));
      return res.totals.messages === 4 && res;
    }, "the org's days to count the four rows");

    expect(info.totals.costMicros).toBe(ledgerTotal);
    expect(info.byAgent.reduce((sum, a) => sum + a.costMicros, 0)).toBe(ledgerTotal);
    expect(info.byAgent.find((a) => a.agentId === second)).toMatchObject({ name: "Second agent", messages: 1 });
    const sharedRow = rows.find((r) => r.senderUid === undefined)!;
    expect(info.shared).toMatchObject({ messages: 1, costMicros: sharedRow.costMicros });
    const own = (uid: string) => rows.filter((r) => r.senderUid === uid).reduce((sum, r) => sum + (r.costMicros as number), 0);
    const dev = info.byMember.find((m) => m.uid === users.developer.uid)!;
    const admin = info.byMember.find((m) => m.uid === users.admin.uid)!;
    expect([dev.costMicros, admin.costMicros]).toEqual([own(users.developer.uid), own(users.admin.uid)]);
    expect(dev.sharedCostMicros + admin.sharedCostMicros).toBe(sharedRow.costMicros);
    expect(info.byMember.reduce((sum, m) => sum + m.allocatedCostMicros, 0)).toBe(ledgerTotal);
    expect(info.byMember).toHaveLength(5);
    expect(info.byMember.find((m) => m.uid === users.viewer.uid)).toMatchObject({ role: "viewer", costMicros: 0, allocatedCostMicros: 0 });
    expect(info.limits).toMatchObject({ dailyLimitMicros: null, todaySpentMicros: ledgerTotal });

    const roles: Record<string, string> = {};
    for (const actor of ACTORS) roles[actor] = statusOf(await call("getOrgBillingInfo", { orgId }, users[actor].idToken));
    expect(roles).toEqual({ owner: "OK", admin: "OK", billing: "OK", developer: "OK", viewer: "OK", outsider: "PERMISSION_DENIED" });
  });

  it.each([
    ["no orgId", {}],
    ["a bad day", { orgId: "x", from: "2026-02-30" }],
    ["from after to", { orgId: "x", from: "2026-03-02", to: "2026-03-01" }],
    ["a range of 367 days", { orgId: "x", from: "2025-01-01", to: "2026-01-02" }],
    ["an unknown field", { orgId: "x", agentId: "y" }],
  ])("refuses %s with invalid-argument", async (_what, data) => {
    const user = await createUser("org-billing-bad");
    expect(statusOf(await call("getOrgBillingInfo", data, user.idToken))).toBe("INVALID_ARGUMENT");
  });

  it("answers not-found for an org that does not exist", async () => {
    const user = await createUser("org-billing-missing");
    expect(statusOf(await call("getOrgBillingInfo", { orgId: "no-such-org" }, user.idToken))).toBe("NOT_FOUND");
  });
});
