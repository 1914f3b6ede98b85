/**
 * The account view from an owner's UTC days (`billing_account_daily`, rolled up by the registry's
 * "account" rollup): totals, agents ranked by cost, models, the days, engagement and insights.
 * Pure. Every sum is of integers, checked exact by analytics.ts's adders.
 */
import type { AccountDayPoint, AccountFigures, AccountOverviewResponse, Engagement, RankedAgent } from "../contract/account";
import type { Figures } from "../contract/analytics";
import { microsToUsd } from "../base/money";
import { daysInRange } from "../base/periods";
import {
  addModes,
  addNamedModes,
  emptyModes,
  modelBreakdown,
  readDayUsage,
  readModeMap,
  type DayUsage,
  type ModeTotals,
} from "./analytics";
import { accountInsights, type AgentFigures, type InsightContext } from "./insights";
import type { ModelPrice, PriceBook } from "./pricing";

/** One UTC day of an owner, validated: the daily bucket's figures plus the same by agent. */
export interface AccountDay extends DayUsage {
  byAgent: Map<string, ModeTotals>;
  /** The credits the day's production rows burnt (domain/rollups.ts creditDeltas): in total and by grant. */
  credits: DayCredits;
}

export interface DayCredits {
  creditMicros: number;
  byGrant: Map<string, number>;
}

const creditFigure = (value: unknown, where: string): number => {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new RangeError(`${where}: must be a non-negative integer`);
  return value as number;
};

/** The credits of a stored day (none on days from before credits burnt down at admission). */
function readDayCredits(day: string, data: unknown): DayCredits {
  const where = `billing_account_daily[${day}].credits`;
  const credits = (data as { credits?: { creditMicros?: unknown; byGrant?: unknown } }).credits ?? {};
  const byGrant = new Map<string, number>();
  for (const [grantId, micros] of Object.entries((credits.byGrant ?? {}) as Record<string, unknown>)) {
    byGrant.set(grantId, creditFigure(micros, `${where}.byGrant.${grantId}`));
  }
  return { creditMicros: creditFigure(credits.creditMicros, `${where}.creditMicros`), byGrant };
}

/** @throws RangeError naming the bad field of a corrupt document. */
export function readAccountDay(day: string, data: unknown): AccountDay {
  const usage = readDayUsage(day, data, "billing_account_daily");
  return {
    ...usage,
    byAgent: readModeMap((data as { byAgent?: unknown }).byAgent, `billing_account_daily[${day}].byAgent`),
    credits: readDayCredits(day, data),
  };
}

/** What the overview needs of an agent's document (null: the agent no longer exists). */
export interface AgentInfo {
  name: string | null;
  model: string | null;
  status: "active" | "paused";
  price: ModelPrice | null;
  monthlyLimitMicros: number | null;
}

/** The caller's sessions whose first message falls in the range, as one aggregation query sums them. */
export interface SessionAggregate {
  sessions: number;
  messages: number;
  /** Sums of the sessions' first and last message instants, in seconds. */
  firstSeconds: number;
  lastSeconds: number;
}

export function accountFigures(modes: ModeTotals): AccountFigures {
  const { production: p, development: d } = modes;
  return {
    costMicros: p.costMicros,
    cost: microsToUsd(p.costMicros),
    messages: p.messages,
    tokens: p.totalTokens,
    promptTokens: p.promptTokens,
    completionTokens: p.completionTokens,
    cachedTokens: p.cachedTokens,
    devMessages: d.messages,
    devTokens: d.totalTokens,
    devShadowCostMicros: d.shadowCostMicros,
  };
}

/** Dearest first: billed cost, then development list price, then id (a stable order). */
function byCost([a, x]: [string, ModeTotals], [b, y]: [string, ModeTotals]): number {
  return (
    y.production.costMicros - x.production.costMicros ||
    y.development.shadowCostMicros - x.development.shadowCostMicros ||
    (a < b ? -1 : a > b ? 1 : 0)
  );
}

/** Every agent's totals over the days, dearest first. */
export function agentTotals(days: readonly AccountDay[]): [string, ModeTotals][] {
  const totals = new Map<string, ModeTotals>();
  for (const day of days) addNamedModes(totals, day.byAgent);
  return [...totals].sort(byCost);
}

/** An agent's production figures over some days (absent days and agents are zero). */
function productionOver(days: readonly AccountDay[], agentId: string, inDays: ReadonlySet<string>): Figures {
  const sum = emptyModes();
  for (const day of days) {
    const modes = inDays.has(day.day) ? day.byAgent.get(agentId) : undefined;
    if (modes) addModes(sum, modes);
  }
  return sum.production;
}

export function engagement(s: SessionAggregate, rangeDays: number, totals: ModeTotals): Engagement {
  const all = totals.production.messages + totals.development.messages;
  return {
    sessions: s.sessions,
    messagesPerSession: s.sessions ? s.messages / s.sessions : null,
    avgSessionSeconds: s.sessions ? Math.max(0, s.lastSeconds - s.firstSeconds) / s.sessions : null,
    sessionsPerDay: s.sessions / rangeDays,
    developmentShare: all ? totals.development.messages / all : null,
  };
}

export interface OverviewInput {
  from: string;
  to: string;
  /** Today's UTC day: this month's pace is read from the range when it covers the month to date. */
  today: string;
  days: readonly AccountDay[];
  /** The ranked agents' documents, by id (null: deleted). */
  agents: ReadonlyMap<string, AgentInfo | null>;
  /** How many agents are ranked by name. */
  maxRanked: number;
  maxInsights: number;
  sessions: SessionAggregate;
  documentsRead: number;
  book: PriceBook;
}

const rankedAgent = (agentId: string, modes: ModeTotals, info: AgentInfo | null, totalCost: number): RankedAgent => ({
  agentId,
  name: info?.name ?? null,
  model: info?.model ?? null,
  status: info?.status ?? null,
  ...accountFigures(modes),
  costShare: totalCost ? modes.production.costMicros / totalCost : 0,
});

/** The days of the range as points, empty ones included. */
function dayPoints(from: string, to: string, days: readonly AccountDay[]): AccountDayPoint[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  return daysInRange(from, to).map((day) => {
    const d = byDay.get(day);
    return {
      day,
      costMicros: d?.production.costMicros ?? 0,
      messages: d?.production.messages ?? 0,
      devMessages: d?.development.messages ?? 0,
      devShadowCostMicros: d?.development.shadowCostMicros ?? 0,
    };
  });
}

/** The calendar the insight rules need, and the range's last two weeks and month to date. */
function insightWindows(from: string, to: string, today: string) {
  const range = daysInRange(from, to);
  const monthStart = `${today.slice(0, 8)}01`;
  const [y, m] = today.split("-").map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const coversMonth = from <= monthStart && to >= today;
  return {
    range,
    weeks: range.length >= 14 ? { before: new Set(range.slice(-14, -7)), last: new Set(range.slice(-7)) } : null,
    month: coversMonth ? new Set(daysInRange(monthStart, today)) : null,
    calendar: { rangeDays: range.length, daysInMonth, dayOfMonth: Number(today.slice(8)) },
  };
}

export function buildAccountOverview(input: OverviewInput): AccountOverviewResponse {
  const { from, to, days } = input;
  const total = emptyModes();
  const models = new Map<string, ModeTotals>();
  for (const day of days) {
    addModes(total, day);
    addNamedModes(models, day.byModel);
  }
  const ranked = agentTotals(days);
  const named = ranked.slice(0, input.maxRanked);
  const others = emptyModes();
  for (const [, modes] of ranked.slice(input.maxRanked)) addModes(others, modes);

  const w = insightWindows(from, to, input.today);
  const ctx: InsightContext = { ...w.calendar, book: input.book };
  const figures: AgentFigures[] = named.map(([agentId, modes]) => {
    const info = input.agents.get(agentId) ?? null;
    return {
      agentId,
      name: info?.name ?? null,
      model: info?.model ?? null,
      price: info?.price ?? null,
      monthlyLimitMicros: info?.monthlyLimitMicros ?? null,
      totals: modes,
      weeks: w.weeks && { before: productionOver(days, agentId, w.weeks.before), last: productionOver(days, agentId, w.weeks.last) },
      monthToDateMicros: w.month && productionOver(days, agentId, w.month).costMicros,
    };
  });
  return {
    from,
    to,
    timezone: "UTC",
    totals: accountFigures(total),
    agents: named.map(([id, modes]) => rankedAgent(id, modes, input.agents.get(id) ?? null, total.production.costMicros)),
    otherAgents: { agents: ranked.length - named.length, ...accountFigures(others) },
    byModel: modelBreakdown(models),
    days: dayPoints(from, to, days),
    engagement: engagement(input.sessions, w.range.length, total),
    insights: accountInsights(figures, ctx, input.maxInsights),
    documentsRead: input.documentsRead,
  };
}
