/**
 * Credits burnt down at admission (issue #17): an owner with two small grants (a few messages' worst
 * case each) and an expired one sends a burst of 24 concurrent production messages over HTTP. No
 * grant is overdrawn (the rows naming it never cost more than its amount), the grants pay in
 * priority order, the expired one never, the rest is paid by the owner; every row verifies; the
 * statement's credit lines are the rows' sums; reconcile finds no drift; the grants' lifetime
 * windows survive the sweeper; an abandoned message's grant holds are given back by the claim sweeper.
 */
import type { AgentClient } from "../../src/agent/agent-client";
import { CLAIM_TTL_MS } from "../../src/config";
import { monthOf } from "../../src/base/months";
import type { SendMessageResponse } from "../../src/contract/send-message";
import type { StatementView } from "../../src/contract/statements";
import { creditSpendScope, LIFETIME_WINDOWS } from "../../src/domain/credits";
import type { LedgerRow } from "../../src/domain/ledger";
import { rowProblem } from "../../src/domain/ledger-schema";
import { resolvePrice, worstCaseCostMicros } from "../../src/domain/pricing";
import { countChatTokens } from "../../src/domain/tokens";
import { usageBound } from "../../src/domain/usage-bounds";
import { handleSendMessage, sendMessageDeps } from "../../src/handlers/send-message";
import { AgentCache } from "../../src/store/agents";
import { AccountCache } from "../../src/store/billing-accounts";
import { releaseAbandonedClaims } from "../../src/store/claim-sweep";
import { readShards, readSpend, sweepExpiredHolds } from "../../src/store/spend";
import { reconcile } from "../../../scripts/reconcile";
import { adminDb, call, createUser, seedAgent, signingKey, waitFor, warmUp, type TestUser } from "../helpers/emulator";

jest.setTimeout(240_000);

beforeAll(() => warmUp("sendMessage", 16));

const GPT4 = resolvePrice("gpt-4")!.price;
const MESSAGE = "Credit burst [[tokens:90]] [[sleep:100]]";
const bound = usageBound(countChatTokens([{ role: "user", content: MESSAGE }], "gpt-4"), 100);
const WORST = worstCaseCostMicros(bound.promptTokens, bound.completionTokens, GPT4);
const FIRST = Math.floor(2.5 * WORST);
const SECOND = Math.floor(2.5 * WORST);

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function setGrants(uid: string, credits: unknown[]) {
  await adminDb().doc(`billing_accounts/${uid}`).set({ userId: uid, credits });
}

const send = (owner: TestUser, agentId: string, i: number, testMode = "production") =>
  call<SendMessageResponse>(
    "sendMessage",
    { agentId, conversationId: `c${i % 4}`, message: MESSAGE, testMode, maxTokens: 100, messageId: `m${i}-${testMode}` },
    owner.idToken,
  );

async function rowsOf(agentId: string): Promise<{ id: string; row: LedgerRow }[]> {
  const snap = await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get();
  return snap.docs.map((d) => ({ id: d.id, row: d.data() as LedgerRow }));
}

const costOf = (rows: { row: LedgerRow }[], grantId: string | undefined) =>
  rows.filter((r) => r.row.mode === "production" && r.row.creditGrantId === grantId).reduce((n, r) => n + r.row.costMicros, 0);

/** The grant's scope over its lifetime: spent and held. */
const grantSpend = (uid: string, grantId: string) => readSpend(adminDb(), creditSpendScope(uid, grantId), { ...LIFETIME_WINDOWS });

describe("a burst against small grants", () => {
  let owner: TestUser;
  let agentId: string;
  let rows: { id: string; row: LedgerRow }[];

  beforeAll(async () => {
    owner = await createUser("credits");
    agentId = await seedAgent(owner.uid);
    await setGrants(owner.uid, [
      { grantId: "second", amountMicros: SECOND, priority: 10, expiresAt: null },
      { grantId: "first", amountMicros: FIRST, priority: 0, expiresAt: inDays(30) },
      { grantId: "expired", amountMicros: 100 * WORST, priority: 0, expiresAt: inDays(-1) },
      { grantId: "future", amountMicros: 100 * WORST, priority: 0, expiresAt: null, effectiveAt: inDays(1) },
    ]);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => send(owner, agentId, i)));
    expect(results.filter((r) => r.error)).toEqual([]);
    rows = await rowsOf(agentId);
    expect(rows).toHaveLength(24);
    await waitFor(
      async () => (await adminDb().getAll(...rows.map(({ id }) => adminDb().doc(`billing_rollup_markers/${id}`)))).every((m) => m.exists),
      "24 rows rolled up",
      60_000,
    );
  });

  it("never overdraws a grant; pays in priority order; never with an expired or future grant; the rest by the owner", async () => {
    const paid = { first: costOf(rows, "first"), second: costOf(rows, "second"), owner: costOf(rows, undefined) };
    expect(paid.first).toBeLessThanOrEqual(FIRST);
    expect(paid.second).toBeLessThanOrEqual(SECOND);
    expect(paid.first).toBeGreaterThan(0);
    expect(paid.owner).toBeGreaterThan(0);
    expect(rows.filter((r) => r.row.creditGrantId === "expired" || r.row.creditGrantId === "future")).toEqual([]);
    // Each grant's lifetime window is exactly the sum of the rows it paid, with nothing held any more.
    for (const grantId of ["first", "second"] as const) {
      const spend = await grantSpend(owner.uid, grantId);
      expect({ spent: spend.monthSpentMicros, held: spend.monthReservedMicros }).toEqual({ spent: paid[grantId], held: 0 });
    }
    // Neither the expired nor the future grant was even held in.
    expect((await readShards(adminDb(), creditSpendScope(owner.uid, "expired"))).every((s) => !Object.keys(s.holds).length)).toBe(true);
    // In priority order, one message at a time after the burst (no other holds then): each goes to the
    // first grant with room for its worst case, else the owner. (During a burst a grant lower in the
    // order may be passed over: the holds of messages an earlier grant paid count in it until their rows.)
    for (let i = 100; i < 110; i++) {
      const expected = FIRST - paid.first >= WORST ? "first" : SECOND - paid.second >= WORST ? "second" : undefined;
      const one = await send(owner, agentId, i);
      expect(one.error).toBeUndefined();
      const id = `${agentId}:c${i % 4}:m${i}-production`;
      const row = (await adminDb().doc(`billable_conversations/${id}`).get()).data() as LedgerRow;
      expect(row.creditGrantId).toBe(expected);
      if (expected === "first" || expected === "second") paid[expected] += row.costMicros;
      await waitFor(async () => (await adminDb().doc(`billing_rollup_markers/${id}`).get()).exists, "rollup");
      if (expected === undefined) break;
    }
    expect(paid.second).toBeGreaterThan(0);
    expect(paid.first).toBeLessThanOrEqual(FIRST);
    expect(paid.second).toBeLessThanOrEqual(SECOND);
    rows = await rowsOf(agentId);
  });

  it("signs every row; a development message never uses credits", async () => {
    for (const { id, row } of rows) expect(rowProblem(id, row, signingKey())).toBeNull();
    const dev = await send(owner, agentId, 200, "development");
    expect(dev.error).toBeUndefined();
    const row = (await adminDb().doc(`billable_conversations/${agentId}:c0:m200-development`).get()).data() as LedgerRow;
    expect(row).not.toHaveProperty("creditGrantId");
    await waitFor(async () => (await adminDb().doc(`billing_rollup_markers/${agentId}:c0:m200-development`).get()).exists, "rollup");
  });

  it("gives a statement whose credit lines are the rows' sums by grant, and reconcile finds no drift", async () => {
    rows = await rowsOf(agentId);
    const month = monthOf(Date.now());
    const { result, error } = await call<StatementView>("getStatement", { month }, owner.idToken);
    expect(error).toBeUndefined();
    // Rows of this month only (a burst at midnight UTC of a month's end would straddle two).
    const inMonth = rows.filter((r) => r.row.timestamp.startsWith(month));
    const credits = result!.lines.filter((l) => l.kind === "credit");
    const expected = [
      { description: "Credit first", amountMicros: -costOf(inMonth, "first") },
      { description: "Credit second", amountMicros: -costOf(inMonth, "second") },
    ].filter((l) => l.amountMicros !== 0);
    expect(credits.map(({ description, amountMicros }) => ({ description, amountMicros }))).toEqual(expected);
    expect(result!.totalMicros).toBe(costOf(inMonth, undefined));
    expect(result!.lines.reduce((n, l) => n + l.amountMicros, 0)).toBe(result!.totalMicros);
    const drift = await reconcile(adminDb(), { ownerId: owner.uid, signingKey: signingKey(), pageSize: 100 });
    expect(drift.refused).toEqual([]);
    expect(drift.drifts).toEqual([]);
  });

  it("keeps a grant's lifetime window through the sweeper's pruning of old days and months", async () => {
    const before = await grantSpend(owner.uid, "first");
    // A sweep as if months had passed: every shard is due, every real day and month older than the last two is dropped.
    await sweepExpiredHolds(adminDb(), Date.now() + 400 * 86_400_000);
    expect((await grantSpend(owner.uid, "first")).monthSpentMicros).toBe(before.monthSpentMicros);
    expect(before.monthSpentMicros).toBeGreaterThan(0);
  });
});

it("gives back an abandoned message's grant holds with its claim", async () => {
  await adminDb().doc("billing_alert_runs/claim-sweep").delete();
  const owner = await createUser("credits-sweep");
  const agentId = await seedAgent(owner.uid);
  await setGrants(owner.uid, [{ grantId: "g", amountMicros: 1_000_000, priority: 50, expiresAt: null }]);
  const neverAnswering: AgentClient = { complete: () => new Promise(() => undefined) };
  const deps = sendMessageDeps(
    { db: adminDb(), agent: neverAnswering, signingKey: signingKey(), devDailyMessageCap: 500, userLimits: null },
    { agents: new AgentCache(), accounts: new AccountCache(), claimWaitMs: 500 },
  );
  const req = { agentId, conversationId: "c", message: "hello", testMode: "production" as const, messageId: "dies", maxTokens: 10 };
  void handleSendMessage(deps, owner.uid, req).catch(() => undefined);
  const id = `${agentId}:c:dies`;
  await waitFor(async () => (await adminDb().doc(`billing_claims/${id}`).get()).exists, "the dying request's claim");
  expect((await adminDb().doc(`billing_claims/${id}`).get()).get("scopes")).toEqual([creditSpendScope(owner.uid, "g")]);
  expect((await grantSpend(owner.uid, "g")).monthReservedMicros).toBeGreaterThan(0);
  expect(await releaseAbandonedClaims(adminDb(), Date.now() + CLAIM_TTL_MS + 5_000, CLAIM_TTL_MS)).toBeGreaterThanOrEqual(1);
  expect((await grantSpend(owner.uid, "g")).monthReservedMicros).toBe(0);
});
