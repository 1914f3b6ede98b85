/**
 * The account group's checks, pure: the account overview's figures beside sums taken straight from
 * the ledger rows (not from the rollup registry's deltas, which the overview is built from), and the
 * bound on the documents an overview reads.
 */
import type { AccountOverviewResponse } from "../../functions/src/contract/account";
import type { LedgerRow } from "../../functions/src/domain/ledger";

/** What the sums need of a ledger row. */
export type LedgerFacts = Pick<LedgerRow, "agentId" | "mode" | "costMicros" | "shadowCostMicros" | "timestamp"> & {
  tokens: Pick<LedgerRow["tokens"], "total">;
};

/** Production cost and messages of one agent. */
export interface AgentSums {
  costMicros: number;
  messages: number;
}

/** The overview's figures as the ledger gives them, over a range of UTC days. */
export interface LedgerSums {
  totals: { costMicros: number; messages: number; tokens: number; devMessages: number; devShadowCostMicros: number };
  agents: Map<string, AgentSums>;
  /** Rows in the range, and rows seen (in range or not). */
  rows: number;
  seen: number;
}

/**
 * Sums the rows whose instant falls on a UTC day from `range.from` to `range.to` (inclusive):
 * production rows into cost, messages and tokens, per agent too; development rows into messages and
 * shadow cost.
 */
export function ledgerSums(rows: Iterable<LedgerFacts>, range: { from: string; to: string }): LedgerSums {
  const sums: LedgerSums = {
    totals: { costMicros: 0, messages: 0, tokens: 0, devMessages: 0, devShadowCostMicros: 0 },
    agents: new Map(),
    rows: 0,
    seen: 0,
  };
  for (const row of rows) {
    sums.seen++;
    const day = new Date(row.timestamp).toISOString().slice(0, 10);
    if (day < range.from || day > range.to) continue;
    sums.rows++;
    const agent = sums.agents.get(row.agentId) ?? sums.agents.set(row.agentId, { costMicros: 0, messages: 0 }).get(row.agentId)!;
    if (row.mode === "production") {
      sums.totals.costMicros += row.costMicros;
      sums.totals.messages++;
      sums.totals.tokens += row.tokens.total;
      agent.costMicros += row.costMicros;
      agent.messages++;
    } else {
      sums.totals.devMessages++;
      sums.totals.devShadowCostMicros += row.shadowCostMicros;
    }
  }
  return sums;
}

/** One figure of the overview beside the ledger's. `micros`: a money figure. */
export interface Comparison {
  figure: string;
  ledger: number;
  overview: number;
  micros: boolean;
}

type Overview = Pick<AccountOverviewResponse, "totals" | "agents" | "otherAgents">;

/**
 * Every compared figure: the five totals, each ranked agent's production cost and messages (an
 * agent without ledger rows in the range compares with 0), and the agents with rows that the
 * overview does not rank against its `otherAgents` (how many, their cost and messages).
 */
export function compareWithLedger(overview: Overview, sums: LedgerSums): Comparison[] {
  const out: Comparison[] = [];
  const add = (figure: string, ledger: number, shown: number, micros = false) => out.push({ figure, ledger, overview: shown, micros });
  for (const field of ["costMicros", "messages", "tokens", "devMessages", "devShadowCostMicros"] as const) {
    add(`totals.${field}`, sums.totals[field], overview.totals[field], field.endsWith("Micros"));
  }
  const none: AgentSums = { costMicros: 0, messages: 0 };
  for (const agent of overview.agents) {
    const ledger = sums.agents.get(agent.agentId) ?? none;
    add(`agents[${agent.agentId}].costMicros`, ledger.costMicros, agent.costMicros, true);
    add(`agents[${agent.agentId}].messages`, ledger.messages, agent.messages);
  }
  const ranked = new Set(overview.agents.map((a) => a.agentId));
  const unranked = [...sums.agents].filter(([agentId]) => !ranked.has(agentId)).map(([, agent]) => agent);
  add("otherAgents.agents", unranked.length, overview.otherAgents.agents);
  add(
    "otherAgents.costMicros",
    unranked.reduce((n, a) => n + a.costMicros, 0),
    overview.otherAgents.costMicros,
    true,
  );
  add(
    "otherAgents.messages",
    unranked.reduce((n, a) => n + a.messages, 0),
    overview.otherAgents.messages,
  );
  return out;
}

/** The figures that differ, and how many micro-USD the money figures are off in all. */
export function differences(comparisons: readonly Comparison[]): { differing: Comparison[]; microsOff: number } {
  const differing = comparisons.filter((c) => c.ledger !== c.overview);
  return { differing, microsOff: differing.filter((c) => c.micros).reduce((n, c) => n + Math.abs(c.ledger - c.overview), 0) };
}

/**
 * The most documents one overview reads, as handlers/account.ts and store/account.ts promise: each
 * day of the range, the shards of the days not folded, the ranked agents' documents, and the session
 * aggregation (billed one read per 1,000 sessions, at least one).
 */
export function overviewReadBound(b: { days: number; openDays: number; shards: number; rankedAgents: number; sessions: number }): number {
  return b.days + b.shards * b.openDays + b.rankedAgents + Math.max(1, Math.ceil(b.sessions / 1000));
}
