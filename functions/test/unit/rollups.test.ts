/**
 * The registry of rollups (domain/rollups.ts): what a row adds, to which documents, and which
 * fields each rollup owns. The store, reconcile and the bench all read it, so it is checked here.
 */
import type { Deltas } from "../../src/domain/rollups";
import { endUserHashOf } from "../../src/domain/api-keys";
import { addDeltas, ROLLUPS, rollupNamed, rollupsOf } from "../../src/domain/rollups";
import { makeLedgerRow } from "../helpers/ledger";

const production = makeLedgerRow(
  {
    agentId: "agent_1",
    userId: "u1",
    conversationId: "c-1",
    model: "gpt-4.1",
    prompt: 1200,
    completion: 345,
    cached: 200,
    // Sent through the agent API, so every rollup of the registry takes it.
    attribution: { apiKeyId: "k".repeat(20), endUser: "alice@example.com" },
    // Of an org's agent, so the org's day takes it too (as its shared cost: no member sent it).
    org: { orgId: "org_1" },
  },
  "key",
).row;
/** The same message sent with sendMessage: no key, no end user. */
const { apiKeyId: _key, endUser: _user, endUserHash: _hash, orgId: _org, ...owned } = production;
const development = makeLedgerRow(
  { agentId: "agent_1", userId: "u1", conversationId: "c-1", mode: "development", org: { orgId: "org_1", senderUid: "m1" } },
  "key",
).row;
const modes = [
  ["production", production],
  ["development", development],
] as const;

/** Every leaf of a nested map, as [dotted path, value]. */
const leaves = (d: Deltas, prefix = ""): [string, unknown][] =>
  Object.entries(d).flatMap(([k, v]) => (typeof v === "object" && v !== null ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]));

describe.each(ROLLUPS.map((r) => [r.name, r] as const))("the %s rollup", (_name, rollup) => {
  it.each(modes)("adds integer deltas for a %s row", (_mode, row) => {
    const found = leaves(rollup.deltas(row));
    expect(found.length).toBeGreaterThan(0);
    for (const [path, value] of found) expect([path, Number.isSafeInteger(value)]).toEqual([path, true]);
  });

  it.each(modes)("owns every top-level field a %s row adds (so reconcile checks it)", (_mode, row) => {
    for (const key of Object.keys(rollup.deltas(row))) expect(rollup.counters).toContain(key);
  });

  it("writes its owner (its org for an org's) on creation and names the agent of its documents (none for an owner's or an org's)", () => {
    const agent = rollup.scope === "agent" ? "agent_1" : undefined;
    expect(rollup.identity(production)).toMatchObject(rollup.scope === "org" ? { orgId: "org_1" } : { userId: "u1" });
    expect(rollup.identity(production).agentId).toBe(agent);
    expect(rollup.agentOf(rollup.docId(production))).toBe(agent);
  });
});

describe("the registry", () => {
  it("puts a row in the documents the contract names", () => {
    const paths = Object.fromEntries(rollupsOf(production).map((r) => [r.name, `${r.collection}/${r.docId(production)}`]));
    const hash = endUserHashOf("agent_1", "alice@example.com");
    expect(paths).toEqual({
      summary: "agent_billing_summary/agent_1",
      daily: `agent_usage_daily/agent_1_${production.localDay}`,
      session: "billing_sessions/agent_1:c-1",
      account: `billing_account_daily/u1_${production.timestamp.slice(0, 10)}`,
      endUser: `billing_end_user_daily/agent_1_${hash}_${production.localDay}`,
      org: `billing_org_daily/org_1_${production.timestamp.slice(0, 10)}`,
    });
    expect(production.localDay).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
  });

  it("counts an end user's day only for rows that name an end user, by hash, never by its text", () => {
    expect(rollupsOf(owned as typeof production).map((r) => r.name)).toEqual(["summary", "daily", "session", "account"]);
    const endUser = rollupNamed("endUser");
    expect(endUser.identity(production)).toMatchObject({ endUser: "alice@example.com", endUserHash: production.endUserHash });
    expect(endUser.docId(production)).not.toContain("alice");
    expect(endUser.deltas(production)).toEqual({ production: expect.objectContaining({ messages: 1, costMicros: production.costMicros }) });
  });

  it("counts an org's day only for its agents' rows, by agent and by the member who sent it (the agent API's as shared)", () => {
    expect(rollupsOf(development).map((r) => r.name)).toContain("org");
    const org = rollupNamed("org");
    const member = org.deltas(development) as { byMember: Deltas; byAgent: Deltas };
    expect(Object.keys(member.byMember)).toEqual(["m1"]);
    expect(member.byAgent).toEqual({ agent_1: { development: expect.objectContaining({ messages: 1 }) } });
    expect(Object.keys((org.deltas(production) as { byMember: Deltas }).byMember)).toEqual(["~api"]);
  });

  it("adds what the contract says a row adds, development apart from billed totals", () => {
    const { costMicros, shadowCostMicros } = production;
    expect(rollupNamed("summary").deltas(production)).toEqual({
      totalMessages: 1,
      totalTokens: 1545,
      totalPromptTokens: 1200,
      totalCompletionTokens: 345,
      totalCachedTokens: 200,
      totalCostMicros: costMicros,
    });
    expect(rollupNamed("summary").deltas(development)).toMatchObject({ devMessages: 1, devShadowCostMicros: development.shadowCostMicros });
    const figures = {
      messages: 1,
      promptTokens: 1200,
      completionTokens: 345,
      cachedTokens: 200,
      totalTokens: 1545,
      costMicros,
      shadowCostMicros,
    };
    expect(rollupNamed("daily").deltas(production)).toEqual({ production: figures, byModel: { "gpt-4.1": { production: figures } } });
    expect(rollupNamed("session").deltas(production)).toEqual({
      messageCount: 1,
      totalTokens: 1545,
      promptTokens: 1200,
      completionTokens: 345,
      totalCostMicros: costMicros,
      shadowCostMicros,
    });
    expect(rollupNamed("account").deltas(production)).toEqual({
      production: figures,
      byModel: { "gpt-4.1": { production: figures } },
      byAgent: { agent_1: { production: figures } },
      credits: { creditMicros: 0 },
    });
    // A row a credit grant paid for burns its cost from that grant; development never uses credits.
    expect(rollupNamed("account").deltas({ ...production, creditGrantId: "welcome" })).toMatchObject({
      credits: { creditMicros: costMicros, byGrant: { welcome: costMicros } },
    });
    expect(rollupNamed("account").deltas(development)).not.toHaveProperty("credits");
    expect(costMicros).toBeGreaterThan(0);
    expect(development.costMicros).toBe(0);
  });

  it("counts an owner's day in UTC whatever the agent's timezone", () => {
    const late = { ...production, timestamp: "2026-03-01T23:30:00.000Z", localDay: "2026-03-02" };
    expect(rollupNamed("account").docId(late)).toBe("u1_2026-03-01");
    expect(rollupNamed("daily").docId(late)).toBe("agent_1_2026-03-02");
    expect(rollupNamed("account").identity(late)).toEqual({ userId: "u1", day: "2026-03-01" });
  });

  it("bounds a session by its first and last message in seconds, outside its totals", () => {
    const session = rollupNamed("session");
    const at = { ...production, timestamp: "2026-03-01T10:00:05.900Z" };
    const second = Date.UTC(2026, 2, 1, 10, 0, 5) / 1000;
    expect(session.bounds?.(at)).toEqual({ min: { firstMessageSecond: second }, max: { lastMessageSecond: second } });
    expect(session.counters).not.toContain("lastMessageSecond");
    expect(session.counters).not.toContain("firstMessageSecond");
  });

  it("sums rows leaf by leaf", () => {
    const summary = rollupNamed("summary");
    const total = [production, production, development].reduce((into, row) => addDeltas(into, summary.deltas(row)), {} as Deltas);
    expect(total).toMatchObject({ totalMessages: 2, totalTokens: 3090, devMessages: 1, devTokens: development.tokens.total });
  });

  it("sums keys named like Object.prototype members as keys of their own", () => {
    const total: Deltas = {};
    for (let i = 0; i < 2; i++)
      addDeltas(total, { byModel: { constructor: { production: { messages: 1 } }, toString: { development: { messages: 2 } } } });
    expect(JSON.parse(JSON.stringify(total))).toEqual({
      byModel: { constructor: { production: { messages: 2 } }, toString: { development: { messages: 4 } } },
    });
    expect(Object.keys(Object)).toEqual([]);
  });

  it("has one entry per collection and name", () => {
    expect(new Set(ROLLUPS.map((r) => r.collection)).size).toBe(ROLLUPS.length);
    expect(new Set(ROLLUPS.map((r) => r.name)).size).toBe(ROLLUPS.length);
    expect(() => rollupNamed("weekly")).toThrow(/summary, daily, session, account, endUser/);
  });
});
