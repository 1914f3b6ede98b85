import type { AccountOverviewResponse } from "../../functions/src/contract/account";
import { compareWithLedger, differences, ledgerSums, overviewReadBound, type LedgerFacts } from "../bench/account-sums";

const row = (
  agentId: string,
  timestamp: string,
  mode: "production" | "development",
  costMicros: number,
  shadow = 0,
  total = 10,
): LedgerFacts => ({
  agentId,
  timestamp,
  mode,
  costMicros,
  shadowCostMicros: shadow,
  tokens: { total },
});

const range = { from: "2026-03-01", to: "2026-03-02" };
const rows = [
  row("a", "2026-02-28T23:59:59.999Z", "production", 1_000), // the UTC day before the range
  row("a", "2026-03-01T00:00:00.000Z", "production", 7, 0, 100),
  row("a", "2026-03-02T23:59:59.999Z", "development", 0, 55, 40),
  row("b", "2026-03-02T12:00:00.000Z", "production", 3, 0, 20),
  row("b", "2026-03-03T00:00:00.000Z", "production", 1_000), // the UTC day after
];

const figures = { cost: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, devTokens: 0 };
function overview(o: {
  totals: { costMicros: number; messages: number; tokens: number; devMessages: number; devShadowCostMicros: number };
  agents: [string, number, number][];
  others?: { agents: number; costMicros: number; messages: number };
}): Pick<AccountOverviewResponse, "totals" | "agents" | "otherAgents"> {
  const none = { costMicros: 0, messages: 0, tokens: 0, devMessages: 0, devShadowCostMicros: 0 };
  return {
    totals: { ...figures, ...o.totals },
    agents: o.agents.map(([agentId, costMicros, messages]) => ({
      ...figures,
      ...none,
      agentId,
      name: agentId,
      model: "gpt-4",
      status: "active" as const,
      costShare: 0,
      costMicros,
      messages,
    })),
    otherAgents: { ...figures, ...none, agents: 0, ...o.others },
  };
}

describe("ledgerSums", () => {
  it("sums the rows of the range's UTC days only, production and development apart", () => {
    const sums = ledgerSums(rows, range);
    expect(sums.rows).toBe(3);
    expect(sums.seen).toBe(5);
    expect(sums.totals).toEqual({ costMicros: 10, messages: 2, tokens: 120, devMessages: 1, devShadowCostMicros: 55 });
    expect(sums.agents.get("a")).toEqual({ costMicros: 7, messages: 1 });
    expect(sums.agents.get("b")).toEqual({ costMicros: 3, messages: 1 });
  });

  it("keeps an agent with development rows only, at zero production", () => {
    const sums = ledgerSums([row("c", "2026-03-01T10:00:00Z", "development", 0, 9)], range);
    expect(sums.agents.get("c")).toEqual({ costMicros: 0, messages: 0 });
  });
});

describe("compareWithLedger", () => {
  const sums = ledgerSums(rows, range);
  const exact = { costMicros: 10, messages: 2, tokens: 120, devMessages: 1, devShadowCostMicros: 55 };
  const both: [string, number, number][] = [
    ["a", 7, 1],
    ["b", 3, 1],
  ];
  const compared = (o: Parameters<typeof overview>[0]) => compareWithLedger(overview(o), sums);

  it("finds nothing to report when every figure equals the ledger's", () => {
    const comparisons = compared({ totals: exact, agents: both });
    expect(comparisons).toHaveLength(5 + 2 * 2 + 3);
    expect(differences(comparisons)).toEqual({ differing: [], microsOff: 0 });
  });

  it("reports a total off by one micro", () => {
    const { differing, microsOff } = differences(compared({ totals: { ...exact, costMicros: 11 }, agents: both }));
    expect(differing.map((c) => c.figure)).toEqual(["totals.costMicros"]);
    expect(microsOff).toBe(1);
  });

  it("reports an agent the overview leaves out, and one it names without ledger rows", () => {
    const { differing, microsOff } = differences(compared({ totals: exact, agents: [both[0], ["z", 2, 1]] }));
    expect(differing.map((c) => `${c.figure}:${c.ledger}:${c.overview}`)).toEqual([
      "agents[z].costMicros:0:2",
      "agents[z].messages:0:1",
      "otherAgents.agents:1:0",
      "otherAgents.costMicros:3:0",
      "otherAgents.messages:1:0",
    ]);
    expect(microsOff).toBe(5);
  });

  it("checks the agents beyond the ranked ones against otherAgents", () => {
    const ranked = compared({ totals: exact, agents: [both[0]], others: { agents: 1, costMicros: 3, messages: 1 } });
    expect(differences(ranked).differing).toEqual([]);
  });

  it("counts messages and tokens as figures, not micro-USD", () => {
    const { differing, microsOff } = differences(compared({ totals: { ...exact, tokens: 119, messages: 3 }, agents: both }));
    expect(differing).toHaveLength(2);
    expect(microsOff).toBe(0);
  });
});

describe("overviewReadBound", () => {
  it("is a read per day, 16 per open day, the ranked agents and the sessions by the thousand", () => {
    expect(overviewReadBound({ days: 90, openDays: 1, shards: 16, rankedAgents: 50, sessions: 4_300 })).toBe(90 + 16 + 50 + 5);
    expect(overviewReadBound({ days: 30, openDays: 0, shards: 16, rankedAgents: 0, sessions: 0 })).toBe(31);
    expect(overviewReadBound({ days: 1, openDays: 1, shards: 16, rankedAgents: 1, sessions: 1_000 })).toBe(1 + 16 + 1 + 1);
  });
});
