/**
 * The account view (domain/account.ts) from validated UTC days, and the range getAccountOverview
 * reads (handlers/account.ts's accountRange). Expected figures are written out by hand.
 */
import type { TestMode } from "../../src/contract/common";
import { MAX_ACCOUNT_DAYS, type AccountFigures } from "../../src/contract/account";
import {
  accountFigures,
  agentTotals,
  buildAccountOverview,
  engagement,
  readAccountDay,
  type AccountDay,
  type AgentInfo,
  type OverviewInput,
  type SessionAggregate,
} from "../../src/domain/account";
import { emptyFigures, emptyModes, type Figures, type ModeTotals } from "../../src/domain/analytics";
import { PRICE_BOOK } from "../../src/domain/pricing";
import { BillingError } from "../../src/errors";
import { accountRange } from "../../src/handlers/account";

const fig = (f: Partial<Figures> = {}): Figures => {
  const out = { ...emptyFigures(), ...f };
  if (f.totalTokens === undefined) out.totalTokens = out.promptTokens + out.completionTokens;
  return out;
};

/** One agent's usage of one model in one mode on a day. */
interface Entry {
  agent: string;
  model: string;
  mode: TestMode;
  f: Partial<Figures>;
}

type Sums = Record<string, number>;
/** A map with no prototype, so that ids such as "constructor" are plain keys here too. */
const bare = <T>(): Record<string, T> => Object.create(null);

const add = (into: Sums, f: Figures) => {
  for (const [k, v] of Object.entries(f)) into[k] = (into[k] ?? 0) + v;
};

/** The stored document of a day, as the account rollup writes it: the day's sums, by model and by agent. */
function dayDoc(entries: Entry[]): Record<string, unknown> {
  const doc: Partial<Record<TestMode, Sums>> & {
    byModel: Record<string, Record<string, Sums>>;
    byAgent: Record<string, Record<string, Sums>>;
  } = {
    byModel: bare(),
    byAgent: bare(),
  };
  for (const { agent, model, mode, f } of entries) {
    const figures = fig(f);
    add((doc[mode] ??= {}), figures);
    add(((doc.byModel[model] ??= bare())[mode] ??= {}), figures);
    add(((doc.byAgent[agent] ??= bare())[mode] ??= {}), figures);
  }
  return doc;
}

const day = (d: string, entries: Entry[]): AccountDay => readAccountDay(d, dayDoc(entries));

const NO_SESSIONS: SessionAggregate = { sessions: 0, messages: 0, firstSeconds: 0, lastSeconds: 0 };

const info = (over: Partial<AgentInfo> = {}): AgentInfo => ({
  name: "Alpha",
  model: "gpt-4.1",
  status: "active",
  price: PRICE_BOOK.models["gpt-4.1"],
  monthlyLimitMicros: null,
  ...over,
});

const input = (over: Partial<OverviewInput> & Pick<OverviewInput, "from" | "to" | "days">): OverviewInput => ({
  today: over.to,
  agents: new Map(),
  maxRanked: 50,
  maxInsights: 20,
  sessions: NO_SESSIONS,
  documentsRead: 0,
  book: PRICE_BOOK,
  ...over,
});

const ZERO: AccountFigures = {
  costMicros: 0,
  cost: 0,
  messages: 0,
  tokens: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  devMessages: 0,
  devTokens: 0,
  devShadowCostMicros: 0,
};

describe("readAccountDay", () => {
  it("reads the day's figures, by model and by agent, absent figures as zero", () => {
    const read = readAccountDay("2026-03-01", {
      userId: "u1",
      day: "2026-03-01",
      production: { messages: 3, promptTokens: 300, completionTokens: 60, totalTokens: 360, costMicros: 1_000 },
      development: { messages: 1, shadowCostMicros: 7 },
      byModel: { "gpt-4.1": { production: { messages: 3, costMicros: 1_000 }, development: { messages: 1, shadowCostMicros: 7 } } },
      byAgent: {
        agent_1: { production: { messages: 3, costMicros: 1_000 } },
        agent_2: { development: { messages: 1, shadowCostMicros: 7 } },
      },
    });
    expect(read.day).toBe("2026-03-01");
    expect(read.production).toEqual(fig({ messages: 3, promptTokens: 300, completionTokens: 60, costMicros: 1_000 }));
    expect(read.development).toEqual(fig({ messages: 1, shadowCostMicros: 7 }));
    expect([...read.byModel.keys()]).toEqual(["gpt-4.1"]);
    expect([...read.byAgent.keys()]).toEqual(["agent_1", "agent_2"]);
    expect(read.byAgent.get("agent_1")).toEqual({ production: fig({ messages: 3, costMicros: 1_000 }), development: fig() });
    expect(read.byAgent.get("agent_2")).toEqual({ production: fig(), development: fig({ messages: 1, shadowCostMicros: 7 }) });
  });

  it("reads a document without byAgent as no agents", () => {
    const read = readAccountDay("2026-03-01", { production: { messages: 1, costMicros: 5 } });
    expect(read.byAgent.size).toBe(0);
    expect(read.byModel.size).toBe(0);
    expect(read.production.costMicros).toBe(5);
  });

  it.each<[string, unknown, string]>([
    ["not a document (null)", null, "billing_account_daily[2026-03-01] is not a document"],
    ["not a document (an array)", [], "billing_account_daily[2026-03-01] is not a document"],
    ["not a document (a string)", "x", "billing_account_daily[2026-03-01] is not a document"],
    ["a float cost", { production: { costMicros: 1.5 } }, "billing_account_daily[2026-03-01].production.costMicros must be"],
    ["a negative count", { development: { messages: -1 } }, "billing_account_daily[2026-03-01].development.messages must be"],
    ["an unsafe integer", { production: { totalTokens: 2 ** 53 } }, "billing_account_daily[2026-03-01].production.totalTokens must be"],
    ["a string count", { production: { messages: "3" } }, "billing_account_daily[2026-03-01].production.messages must be"],
    ["a non-map mode", { production: 3 }, "billing_account_daily[2026-03-01].production must be a map"],
    ["a non-map byModel", { byModel: "gpt-4" }, "billing_account_daily[2026-03-01].byModel must be a map"],
    ["a non-map byAgent", { byAgent: [] }, "billing_account_daily[2026-03-01].byAgent must be a map"],
    ["a null byAgent", { byAgent: null }, "billing_account_daily[2026-03-01].byAgent must be a map"],
    ["a non-map agent", { byAgent: { agent_1: 5 } }, "billing_account_daily[2026-03-01].byAgent[agent_1] must be a map"],
    [
      "a corrupt agent figure",
      { byAgent: { agent_1: { production: { costMicros: -2 } } } },
      "billing_account_daily[2026-03-01].byAgent[agent_1].production.costMicros must be a non-negative safe integer",
    ],
    [
      "a corrupt agent mode",
      { byAgent: { agent_1: { development: [] } } },
      "billing_account_daily[2026-03-01].byAgent[agent_1].development must be a map",
    ],
  ])("throws a RangeError naming the field for %s", (_case, data, message) => {
    let thrown: unknown;
    try {
      readAccountDay("2026-03-01", data);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RangeError);
    expect((thrown as Error).message).toContain(message);
  });

  it.each(["constructor", "toString", "hasOwnProperty", "__proto__"])("reads an agent id %j as a plain key", (id) => {
    // Parsed, so that "__proto__" is an own key, as in a Firestore map.
    const data = JSON.parse(`{"byAgent": {${JSON.stringify(id)}: {"production": {"messages": 2, "costMicros": 9}}}}`);
    expect(Object.keys(data.byAgent)).toEqual([id]);

    const read = readAccountDay("2026-03-01", data);

    expect([...read.byAgent.keys()]).toEqual([id]);
    expect(read.byAgent.get(id)).toEqual({ production: fig({ messages: 2, costMicros: 9 }), development: fig() });
    expect(agentTotals([read])).toEqual([[id, { production: fig({ messages: 2, costMicros: 9 }), development: fig() }]]);
  });
});

describe("agentTotals", () => {
  const days = [
    day("2026-03-01", [
      { agent: "a", model: "m", mode: "production", f: { messages: 1, costMicros: 100 } },
      { agent: "e", model: "m", mode: "production", f: { messages: 3, costMicros: 150 } },
      { agent: "c", model: "m", mode: "production", f: { messages: 1, costMicros: 100 } },
      { agent: "c", model: "m", mode: "development", f: { messages: 1, shadowCostMicros: 50 } },
    ]),
    day("2026-03-02", [
      { agent: "d", model: "m", mode: "development", f: { messages: 9, shadowCostMicros: 999 } },
      { agent: "b", model: "m", mode: "production", f: { messages: 1, costMicros: 100 } },
      { agent: "b", model: "m", mode: "development", f: { messages: 2, shadowCostMicros: 50 } },
      { agent: "e", model: "n", mode: "production", f: { messages: 1, costMicros: 50 } },
      { agent: "f", model: "m", mode: "development", f: { messages: 1, shadowCostMicros: 999 } },
    ]),
  ];

  it("sums each agent over the days", () => {
    const totals = new Map(agentTotals(days));
    expect(totals.get("e")).toEqual({ production: fig({ messages: 4, costMicros: 200 }), development: fig() });
    expect(totals.get("b")).toEqual({
      production: fig({ messages: 1, costMicros: 100 }),
      development: fig({ messages: 2, shadowCostMicros: 50 }),
    });
    expect(totals.size).toBe(6);
  });

  it("orders by billed cost, then development list price, then id", () => {
    // e 200 | b, c 100 with dev 50 (b < c) | a 100 | d, f 0 with dev 999 (d < f)
    expect(agentTotals(days).map(([id]) => id)).toEqual(["e", "b", "c", "a", "d", "f"]);
    expect(agentTotals([...days].reverse()).map(([id]) => id)).toEqual(["e", "b", "c", "a", "d", "f"]);
  });

  it("is empty without days", () => {
    expect(agentTotals([])).toEqual([]);
    expect(agentTotals([readAccountDay("2026-03-01", {})])).toEqual([]);
  });
});

describe("engagement", () => {
  const modes = (prod: number, dev: number): ModeTotals => ({ production: fig({ messages: prod }), development: fig({ messages: dev }) });

  it.each<[string, SessionAggregate, number, ModeTotals, ReturnType<typeof engagement>]>([
    [
      "no sessions, no messages",
      NO_SESSIONS,
      7,
      emptyModes(),
      { sessions: 0, messagesPerSession: null, avgSessionSeconds: null, sessionsPerDay: 0, developmentShare: null },
    ],
    [
      "no sessions but messages",
      NO_SESSIONS,
      7,
      modes(3, 1),
      { sessions: 0, messagesPerSession: null, avgSessionSeconds: null, sessionsPerDay: 0, developmentShare: 0.25 },
    ],
    [
      "averages over sessions and days",
      { sessions: 4, messages: 10, firstSeconds: 1_000, lastSeconds: 2_200 },
      5,
      modes(8, 2),
      { sessions: 4, messagesPerSession: 2.5, avgSessionSeconds: 300, sessionsPerDay: 0.8, developmentShare: 0.2 },
    ],
    [
      "last instants summing below the first (clamped to zero)",
      { sessions: 2, messages: 2, firstSeconds: 5_000, lastSeconds: 4_000 },
      1,
      modes(0, 2),
      { sessions: 2, messagesPerSession: 1, avgSessionSeconds: 0, sessionsPerDay: 2, developmentShare: 1 },
    ],
    [
      "production only",
      { sessions: 3, messages: 9, firstSeconds: 30, lastSeconds: 120 },
      30,
      modes(9, 0),
      { sessions: 3, messagesPerSession: 3, avgSessionSeconds: 30, sessionsPerDay: 0.1, developmentShare: 0 },
    ],
  ])("%s", (_case, s, rangeDays, totals, expected) => {
    expect(engagement(s, rangeDays, totals)).toEqual(expected);
  });
});

describe("buildAccountOverview", () => {
  const days = [
    day("2026-03-01", [
      {
        agent: "agent_a",
        model: "gpt-4.1",
        mode: "production",
        f: { messages: 3, promptTokens: 300, completionTokens: 60, cachedTokens: 30, costMicros: 1_000 },
      },
      {
        agent: "agent_b",
        model: "gpt-4o",
        mode: "production",
        f: { messages: 1, promptTokens: 100, completionTokens: 10, costMicros: 250 },
      },
      {
        agent: "agent_c",
        model: "gpt-4.1",
        mode: "development",
        f: { messages: 5, promptTokens: 500, completionTokens: 50, shadowCostMicros: 800 },
      },
    ]),
    day("2026-03-03", [
      {
        agent: "agent_a",
        model: "gpt-4.1",
        mode: "production",
        f: { messages: 2, promptTokens: 200, completionTokens: 40, costMicros: 700 },
      },
      { agent: "agent_d", model: "gpt-4o", mode: "production", f: { messages: 1, promptTokens: 50, completionTokens: 5, costMicros: 40 } },
      {
        agent: "agent_e",
        model: "gpt-4o",
        mode: "development",
        f: { messages: 2, promptTokens: 20, completionTokens: 2, shadowCostMicros: 10 },
      },
    ]),
    day("2026-03-04", [
      {
        agent: "agent_b",
        model: "gpt-4o",
        mode: "production",
        f: { messages: 4, promptTokens: 400, completionTokens: 40, cachedTokens: 100, costMicros: 900 },
      },
    ]),
  ];
  const agents = new Map<string, AgentInfo | null>([
    ["agent_a", info({ name: "Alpha", status: "paused" })],
    ["agent_b", null], // deleted
  ]);
  const base = input({ from: "2026-03-01", to: "2026-03-05", days, agents, maxRanked: 2, documentsRead: 17 });
  const overview = buildAccountOverview(base);

  const TOTALS: AccountFigures = {
    costMicros: 2_890,
    cost: 0.00289,
    messages: 11,
    tokens: 1_205,
    promptTokens: 1_050,
    completionTokens: 155,
    cachedTokens: 130,
    devMessages: 7,
    devTokens: 572,
    devShadowCostMicros: 810,
  };

  it("totals the day documents", () => {
    expect(overview.totals).toEqual(TOTALS);
    expect(overview).toMatchObject({ from: "2026-03-01", to: "2026-03-05", timezone: "UTC", documentsRead: 17 });
  });

  it("ranks the dearest agents and sums the rest exactly in otherAgents", () => {
    expect(overview.agents).toEqual([
      {
        agentId: "agent_a",
        name: "Alpha",
        model: "gpt-4.1",
        status: "paused",
        costMicros: 1_700,
        cost: 0.0017,
        messages: 5,
        tokens: 600,
        promptTokens: 500,
        completionTokens: 100,
        cachedTokens: 30,
        devMessages: 0,
        devTokens: 0,
        devShadowCostMicros: 0,
        costShare: 1_700 / 2_890,
      },
      {
        agentId: "agent_b",
        name: null,
        model: null,
        status: null,
        costMicros: 1_150,
        cost: 0.00115,
        messages: 5,
        tokens: 550,
        promptTokens: 500,
        completionTokens: 50,
        cachedTokens: 100,
        devMessages: 0,
        devTokens: 0,
        devShadowCostMicros: 0,
        costShare: 1_150 / 2_890,
      },
    ]);
    // agent_d (40), agent_c (dev 800), agent_e (dev 10).
    expect(overview.otherAgents).toEqual({
      agents: 3,
      costMicros: 40,
      cost: 0.00004,
      messages: 1,
      tokens: 55,
      promptTokens: 50,
      completionTokens: 5,
      cachedTokens: 0,
      devMessages: 7,
      devTokens: 572,
      devShadowCostMicros: 810,
    });
  });

  it("ranked agents plus otherAgents add up to the totals, for every cap", () => {
    for (const maxRanked of [0, 1, 2, 3, 5, 50]) {
      const o = buildAccountOverview({ ...base, maxRanked });
      expect(o.agents).toHaveLength(Math.min(maxRanked, 5));
      expect(o.otherAgents.agents).toBe(5 - o.agents.length);
      for (const key of Object.keys(ZERO) as (keyof AccountFigures)[]) {
        if (key === "cost") continue;
        const sum = o.agents.reduce((s, a) => s + a[key], o.otherAgents[key]);
        expect([maxRanked, key, sum]).toEqual([maxRanked, key, TOTALS[key]]);
      }
    }
    expect(buildAccountOverview({ ...base, maxRanked: 50 }).agents.map((a) => a.agentId)).toEqual([
      "agent_a",
      "agent_b",
      "agent_d",
      "agent_c",
      "agent_e",
    ]);
    expect(buildAccountOverview({ ...base, maxRanked: 50 }).otherAgents).toEqual({ agents: 0, ...ZERO });
  });

  it("treats an agent missing from the documents read like a deleted one", () => {
    const o = buildAccountOverview({ ...base, agents: new Map(), maxRanked: 1 });
    expect(o.agents[0]).toMatchObject({ agentId: "agent_a", name: null, model: null, status: null });
  });

  it("breaks the account down by model, dearest first", () => {
    expect(
      overview.byModel.map((m) => [
        m.model,
        m.production.costMicros,
        m.production.messages,
        m.development.messages,
        m.development.shadowCostMicros,
      ]),
    ).toEqual([
      ["gpt-4.1", 1_700, 5, 5, 800],
      ["gpt-4o", 1_190, 6, 2, 10],
    ]);
    expect(overview.byModel[1].production).toMatchObject({ promptTokens: 550, completionTokens: 55, cachedTokens: 100, cost: 0.00119 });
  });

  it("has one point per day of the range, empty days included", () => {
    expect(overview.days).toEqual([
      { day: "2026-03-01", costMicros: 1_250, messages: 4, devMessages: 5, devShadowCostMicros: 800 },
      { day: "2026-03-02", costMicros: 0, messages: 0, devMessages: 0, devShadowCostMicros: 0 },
      { day: "2026-03-03", costMicros: 740, messages: 3, devMessages: 2, devShadowCostMicros: 10 },
      { day: "2026-03-04", costMicros: 900, messages: 4, devMessages: 0, devShadowCostMicros: 0 },
      { day: "2026-03-05", costMicros: 0, messages: 0, devMessages: 0, devShadowCostMicros: 0 },
    ]);
  });

  it("computes engagement over the range", () => {
    expect(overview.engagement).toEqual({
      sessions: 0,
      messagesPerSession: null,
      avgSessionSeconds: null,
      sessionsPerDay: 0,
      developmentShare: 7 / 18,
    });
    const o = buildAccountOverview({ ...base, sessions: { sessions: 8, messages: 40, firstSeconds: 1_000, lastSeconds: 3_400 } });
    expect(o.engagement).toEqual({
      sessions: 8,
      messagesPerSession: 5,
      avgSessionSeconds: 300,
      sessionsPerDay: 1.6,
      developmentShare: 7 / 18,
    });
  });

  it("is all zeros for a range without usage", () => {
    const o = buildAccountOverview(input({ from: "2026-02-27", to: "2026-03-02", days: [] }));
    expect(o.totals).toEqual(ZERO);
    expect(o.agents).toEqual([]);
    expect(o.otherAgents).toEqual({ agents: 0, ...ZERO });
    expect(o.byModel).toEqual([]);
    expect(o.insights).toEqual([]);
    expect(o.days.map((d) => [d.day, d.costMicros, d.messages])).toEqual([
      ["2026-02-27", 0, 0],
      ["2026-02-28", 0, 0],
      ["2026-03-01", 0, 0],
      ["2026-03-02", 0, 0],
    ]);
    expect(o.engagement).toEqual({
      sessions: 0,
      messagesPerSession: null,
      avgSessionSeconds: null,
      sessionsPerDay: 0,
      developmentShare: null,
    });
  });

  it("gives every agent a cost share of 0 when the account cost nothing", () => {
    const dev = [day("2026-03-01", [{ agent: "x", model: "gpt-4.1", mode: "development", f: { messages: 1, shadowCostMicros: 5 } }])];
    const o = buildAccountOverview(input({ from: "2026-03-01", to: "2026-03-01", days: dev }));
    expect(o.agents.map((a) => [a.agentId, a.costShare])).toEqual([["x", 0]]);
    expect(o.engagement.developmentShare).toBe(1);
  });

  it("keeps an agent id such as constructor as a plain key throughout", () => {
    const d = [day("2026-03-01", [{ agent: "constructor", model: "toString", mode: "production", f: { messages: 2, costMicros: 30 } }])];
    const o = buildAccountOverview(
      input({ from: "2026-03-01", to: "2026-03-01", days: d, agents: new Map([["constructor", info({ name: "Ctor" })]]) }),
    );
    expect(o.agents.map((a) => [a.agentId, a.name, a.costMicros, a.costShare])).toEqual([["constructor", "Ctor", 30, 1]]);
    expect(o.byModel.map((m) => [m.model, m.production.costMicros])).toEqual([["toString", 30]]);
  });
});

describe("buildAccountOverview insights", () => {
  const prod = (agent: string, f: Partial<Figures>): Entry => ({ agent, model: "gpt-4.1", mode: "production", f });
  const anonymous = new Map([["x", info({ name: "Rising", model: null, price: null })]]);

  describe("cost per message over the range's last two weeks", () => {
    // Before: 03-01..03-07, last: 03-08..03-14. The boundary days carry the usage.
    const weekDays = [
      day("2026-02-24", [prod("x", { messages: 100, costMicros: 1_000 })]),
      day("2026-03-07", [prod("x", { messages: 20, costMicros: 24_000 })]),
      day("2026-03-08", [prod("x", { messages: 20, costMicros: 30_000 })]),
    ];
    const rising = (from: string) =>
      buildAccountOverview(
        input({ from, to: "2026-03-14", today: "2026-03-20", days: weekDays.filter((d) => d.day >= from), agents: anonymous }),
      ).insights;

    it.each(["2026-03-01", "2026-02-20"])("fires over the last 14 days of a range from %s", (from) => {
      const found = rising(from);
      expect(found.map((i) => [i.kind, i.agentId])).toEqual([["cost-per-message-rising", "x"]]);
      expect(found[0].figures).toEqual({
        costPerMessageMicros: 1_500,
        previousCostPerMessageMicros: 1_200,
        messages: 20,
        previousMessages: 20,
      });
      expect(found[0].estimatedSavingsMicros).toBe(25_714); // (30,000 - 24,000) * 30 / 7 = 25,714.28..
      expect(found[0].message).toContain('Agent "Rising" ');
    });

    it("does not fire on a range shorter than 14 days", () => {
      expect(rising("2026-03-02")).toEqual([]);
    });

    it("does not fire when the weeks do not line up with the usage", () => {
      // A range ending a day later moves 03-08 into the week before (03-07 drops out) and leaves the last week empty.
      const o = buildAccountOverview(
        input({ from: "2026-03-01", to: "2026-03-15", today: "2026-03-20", days: weekDays.slice(1), agents: anonymous }),
      );
      expect(o.insights).toEqual([]);
    });
  });

  describe("the monthly limit forecast over the UTC month to date", () => {
    const limited = new Map([["f", info({ name: "Limited", monthlyLimitMicros: 1_000_000 })]]);
    const monthDays = [
      day("2026-02-27", [prod("f", { messages: 1, costMicros: 5_000_000 })]),
      day("2026-03-01", [prod("f", { messages: 1, costMicros: 200_000 })]),
      day("2026-03-10", [prod("f", { messages: 1, costMicros: 200_000 })]),
    ];
    const forecasts = (from: string, to: string, today = "2026-03-10") =>
      buildAccountOverview(
        input({ from, to, today, days: monthDays.filter((d) => d.day >= from && d.day <= to), agents: limited }),
      ).insights.filter((i) => i.kind === "forecast-over-limit");

    it.each<[string, string]>([
      ["2026-03-01", "2026-03-10"],
      ["2026-02-20", "2026-03-10"],
      ["2026-03-01", "2026-03-31"],
    ])("fires for a range %s..%s covering the month to date, counting only this month", (from, to) => {
      const found = forecasts(from, to);
      expect(found).toHaveLength(1);
      // 400,000 * 31 / 10 = 1,240,000 > 1,000,000; reached on day ceil(1,000,000 * 10 / 400,000) = 25.
      expect(found[0].figures).toEqual({
        monthToDateMicros: 400_000,
        projectedMicros: 1_240_000,
        monthlyLimitMicros: 1_000_000,
        limitReachedDay: 25,
      });
      expect(found[0].agentId).toBe("f");
    });

    it.each<[string, string]>([
      ["2026-03-02", "2026-03-10"],
      ["2026-03-01", "2026-03-09"],
      ["2026-02-01", "2026-02-28"],
    ])("does not fire for a range %s..%s not covering the month to date", (from, to) => {
      expect(forecasts(from, to)).toEqual([]);
    });

    it.each<[string, number]>([
      ["2026-02-10", 28],
      ["2028-02-10", 29],
      ["2026-04-10", 30],
      ["2026-12-10", 31],
      ["2027-01-10", 31],
    ])("projects over the length of the month of %s (%i days)", (today, daysInMonth) => {
      const monthStart = `${today.slice(0, 8)}01`;
      const d = [day(monthStart, [prod("f", { messages: 1, costMicros: 400_000 })])];
      const found = buildAccountOverview(input({ from: monthStart, to: today, today, days: d, agents: limited })).insights;
      expect(found.map((i) => [i.kind, i.figures.projectedMicros])).toEqual([["forecast-over-limit", 40_000 * daysInMonth]]);
    });
  });

  it("scales savings from the length of the range", () => {
    const d = [
      day("2026-03-05", [
        {
          agent: "g",
          model: "gpt-4o",
          mode: "production",
          f: { messages: 40, promptTokens: 20_000, cachedTokens: 4_000, completionTokens: 6_000, costMicros: 105_000 },
        },
      ]),
    ];
    const agents = new Map([["g", info({ model: "gpt-4o", price: PRICE_BOOK.models["gpt-4o"] })]]);
    const found = buildAccountOverview(input({ from: "2026-03-01", to: "2026-03-10", today: "2026-03-20", days: d, agents })).insights;
    // 105,000 billed against 6,300 on gpt-4o-mini, over 10 days: 98,700 * 3.
    expect(found.map((i) => [i.kind, i.estimatedSavingsMicros])).toEqual([["cheaper-model", 296_100]]);
  });

  it("looks only at ranked agents and caps the insights", () => {
    const d = [
      day("2026-03-10", [
        prod("big", { messages: 1, costMicros: 900_000 }),
        prod("small", { messages: 1, costMicros: 800_000 }),
        prod("tiny", { messages: 1, costMicros: 700_000 }),
      ]),
    ];
    const agents = new Map(["big", "small", "tiny"].map((id) => [id, info({ name: id, monthlyLimitMicros: 1_000_000 })]));
    const over = (maxRanked: number, maxInsights: number) =>
      buildAccountOverview(input({ from: "2026-03-01", to: "2026-03-10", days: d, agents, maxRanked, maxInsights })).insights.map(
        (i) => i.agentId,
      );
    expect(over(3, 20)).toEqual(["big", "small", "tiny"]);
    expect(over(2, 20)).toEqual(["big", "small"]);
    expect(over(3, 1)).toEqual(["big"]);
    expect(over(3, 0)).toEqual([]);
  });
});

describe("accountFigures", () => {
  it("keeps production billed and development apart", () => {
    expect(
      accountFigures({
        production: fig({
          messages: 2,
          promptTokens: 10,
          completionTokens: 5,
          cachedTokens: 4,
          costMicros: 1_500_000,
          shadowCostMicros: 1_500_000,
        }),
        development: fig({ messages: 3, promptTokens: 7, completionTokens: 1, costMicros: 0, shadowCostMicros: 42 }),
      }),
    ).toEqual({
      costMicros: 1_500_000,
      cost: 1.5,
      messages: 2,
      tokens: 15,
      promptTokens: 10,
      completionTokens: 5,
      cachedTokens: 4,
      devMessages: 3,
      devTokens: 8,
      devShadowCostMicros: 42,
    });
  });
});

describe("accountRange", () => {
  const NOW = Date.UTC(2026, 2, 15, 12, 30); // 2026-03-15 12:30 UTC

  it.each<[string, { from?: string; to?: string }, number, { from: string; to: string; today: string }]>([
    ["nothing: this UTC month to date", {}, NOW, { from: "2026-03-01", to: "2026-03-15", today: "2026-03-15" }],
    ["nothing, on the first of the month", {}, Date.UTC(2026, 2, 1), { from: "2026-03-01", to: "2026-03-01", today: "2026-03-01" }],
    [
      "nothing, a millisecond before midnight UTC",
      {},
      Date.UTC(2026, 2, 31, 23, 59, 59, 999),
      { from: "2026-03-01", to: "2026-03-31", today: "2026-03-31" },
    ],
    ["nothing, at midnight UTC", {}, Date.UTC(2026, 3, 1), { from: "2026-04-01", to: "2026-04-01", today: "2026-04-01" }],
    ["from only: to today", { from: "2026-02-10" }, NOW, { from: "2026-02-10", to: "2026-03-15", today: "2026-03-15" }],
    ["from today only", { from: "2026-03-15" }, NOW, { from: "2026-03-15", to: "2026-03-15", today: "2026-03-15" }],
    ["to only: from the first of to's month", { to: "2026-01-20" }, NOW, { from: "2026-01-01", to: "2026-01-20", today: "2026-03-15" }],
    ["to only, in the future", { to: "2026-04-30" }, NOW, { from: "2026-04-01", to: "2026-04-30", today: "2026-03-15" }],
    ["both, after today", { from: "2026-04-01", to: "2026-04-02" }, NOW, { from: "2026-04-01", to: "2026-04-02", today: "2026-03-15" }],
    ["from only, exactly MAX_ACCOUNT_DAYS", { from: "2025-03-15" }, NOW, { from: "2025-03-15", to: "2026-03-15", today: "2026-03-15" }],
    ["a whole leap year", { from: "2024-01-01", to: "2024-12-31" }, NOW, { from: "2024-01-01", to: "2024-12-31", today: "2026-03-15" }],
  ])("%s", (_case, req, now, expected) => {
    expect(accountRange(req, now)).toEqual(expected);
  });

  const refusal = (req: { from?: string; to?: string }, now = NOW): BillingError => {
    try {
      accountRange(req, now);
    } catch (err) {
      expect(err).toBeInstanceOf(BillingError);
      return err as BillingError;
    }
    throw new Error(`accountRange(${JSON.stringify(req)}) did not throw`);
  };

  it.each<[string, { from?: string; to?: string }]>([
    ["from tomorrow without to", { from: "2026-03-16" }],
    ["from next year without to", { from: "2027-01-01" }],
  ])("refuses %s", (_case, req) => {
    const err = refusal(req);
    expect(err.code).toBe("invalid-argument");
    expect(err.message.startsWith("from:")).toBe(true);
    expect(err.message).toContain("2026-03-15");
  });

  it.each<[string, { from?: string; to?: string }, number]>([
    ["from only, a day too long", { from: "2025-03-14" }, 367],
    ["a leap year and a day", { from: "2023-12-31", to: "2024-12-31" }, 367],
    ["two years", { from: "2024-03-01", to: "2026-02-28" }, 730],
  ])("refuses a range longer than MAX_ACCOUNT_DAYS: %s", (_case, req, days) => {
    expect(MAX_ACCOUNT_DAYS).toBe(366);
    const err = refusal(req);
    expect(err.code).toBe("invalid-argument");
    expect(err.message.startsWith("from:")).toBe(true);
    expect(err.message).toContain(`got ${days}`);
  });
});
