/**
 * Insights of the account view: rules over an owner's own figures, each saying what it saw and,
 * where one exists, what acting on it would save in a 30-day month (integer micro-USD, rounded half
 * up). Pure. A rule fires only on enough traffic to mean something (MIN_MESSAGES), so a handful of
 * test messages raises nothing.
 */
import type { Insight, InsightKind } from "../contract/account";
import type { Figures } from "../contract/analytics";
import { divRoundHalfUp, microsToUsd } from "../base/money";
import type { ModeTotals } from "./analytics";
import { costMicros, type ModelPrice, type PriceBook } from "./pricing";
import { monthForecast } from "./forecast";

/** Fewest messages (in the range, or in each week compared) for a rule to fire. */
export const MIN_MESSAGES = 20;
/** Answers this short on average (completion tokens) suggest a smaller model may do. */
export const SHORT_ANSWER_TOKENS = 200;
/** Prompts this long on average (tokens) are worth caching: OpenAI caches prompts from 1,024 tokens. */
export const LONG_PROMPT_TOKENS = 1_024;
/** A cached share below this, on long prompts, is low. */
export const LOW_CACHED_SHARE = 0.2;
/** The share of prompt tokens the cache estimate assumes could be cached (a stable system prompt and history). */
export const CACHEABLE_SHARE = 0.5;
/** Development list-price cost this many times production's dwarfs it. */
export const DEV_HEAVY_FACTOR = 3;
/** A week's cost per message this much above the week before is rising. */
export const RISING_FACTOR = 1.25;
/** Savings are stated per month of this many days. */
export const MONTH_DAYS = 30;

/**
 * The smaller sibling suggested for a model: same family, a fraction of the price. Only models of
 * the price book are suggested; a model with no entry here gets no suggestion.
 */
export const SMALLER_MODEL: Readonly<Record<string, string>> = {
  "gpt-4": "gpt-4o-mini",
  "gpt-4-turbo": "gpt-4o-mini",
  "gpt-4o": "gpt-4o-mini",
  "gpt-4.1": "gpt-4.1-mini",
  "gpt-4.1-mini": "gpt-4.1-nano",
  "gpt-5": "gpt-5-mini",
  "gpt-5.1": "gpt-5-mini",
  "gpt-5.2": "gpt-5-mini",
  "gpt-5-mini": "gpt-5-nano",
  o1: "o3-mini",
  o3: "o4-mini",
};

/** One agent's figures as the rules see them. */
export interface AgentFigures {
  agentId: string;
  name: string | null;
  /** The agent's model now, and its price (the agent's own or the book's); null when unknown or unpriced. */
  model: string | null;
  price: ModelPrice | null;
  monthlyLimitMicros: number | null;
  /** Usage in the range. */
  totals: ModeTotals;
  /** Production figures of the range's last 7 days and of the 7 before; null when the range is shorter than 14 days. */
  weeks: { before: Figures; last: Figures } | null;
  /** Production cost of this UTC month to date; null when the range does not cover it. */
  monthToDateMicros: number | null;
}

/** The calendar facts the rules need. */
export interface InsightContext {
  /** Days in the range (the savings of a range are scaled to a month from it). */
  rangeDays: number;
  /** This UTC month: its length and today's day of it. */
  daysInMonth: number;
  dayOfMonth: number;
  book: PriceBook;
}

/**
 * Micros as dollars to the cent, rounded half up in integers (no float on the way). An amount under
 * a cent (but not zero) is shown exactly, to the micro ("$0.004213"), so it never reads as $0.00.
 */
export function usd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  if (abs > 0 && abs < 10_000) return `${sign}$0.${String(BigInt(abs)).padStart(6, "0").replace(/0+$/, "")}`;
  const cents = Number(divRoundHalfUp(BigInt(abs), 10_000n));
  return `${sign}$${Math.floor(cents / 100).toLocaleString("en-US")}.${String(cents % 100).padStart(2, "0")}`;
}
const label = (a: AgentFigures) => (a.name ? `"${a.name}"` : a.agentId);

/** `micros` over `days` as a 30-day month, rounded half up. */
export function perMonth(micros: number, days: number): number {
  return Number(divRoundHalfUp(BigInt(micros) * BigInt(MONTH_DAYS), BigInt(days)));
}

function insight(kind: InsightKind, agent: AgentFigures, message: string, figures: Insight["figures"], savings?: number): Insight {
  return { kind, agentId: agent.agentId, message, figures, ...(savings === undefined ? {} : { estimatedSavingsMicros: savings }) };
}

/** Short answers on a model with a smaller sibling: what the same tokens would have cost on the sibling. */
export function cheaperModel(agent: AgentFigures, ctx: InsightContext): Insight | null {
  const p = agent.totals.production;
  const sibling = agent.model && Object.hasOwn(SMALLER_MODEL, agent.model) ? SMALLER_MODEL[agent.model] : undefined;
  if (!sibling || !Object.hasOwn(ctx.book.models, sibling) || p.messages < MIN_MESSAGES) return null;
  const avgCompletion = p.completionTokens / p.messages;
  if (avgCompletion > SHORT_ANSWER_TOKENS) return null;
  const usage = { prompt: p.promptTokens, cached: p.cachedTokens, completion: p.completionTokens, total: p.totalTokens };
  const alternative = costMicros(usage, ctx.book.models[sibling]);
  const saved = p.costMicros - alternative;
  if (saved <= 0) return null;
  const monthly = perMonth(saved, ctx.rangeDays);
  return insight(
    "cheaper-model",
    agent,
    `Agent ${label(agent)} answers in ${Math.round(avgCompletion)} tokens on average on ${agent.model}; ` +
      `the same tokens on ${sibling} would have cost ${usd(alternative)} instead of ${usd(p.costMicros)} ` +
      `(about ${usd(monthly)} a month less), if ${sibling} answers well enough.`,
    {
      model: agent.model!,
      suggestedModel: sibling,
      avgCompletionTokens: Math.round(avgCompletion),
      costMicros: p.costMicros,
      alternativeCostMicros: alternative,
    },
    monthly,
  );
}

/** Long prompts barely served from cache, on a model whose cached input is cheaper. */
export function lowCacheShare(agent: AgentFigures, ctx: InsightContext): Insight | null {
  const p = agent.totals.production;
  const price = agent.price;
  if (!price || price.cachedInputMicrosPerMTok >= price.inputMicrosPerMTok || p.messages < MIN_MESSAGES) return null;
  const avgPrompt = p.promptTokens / p.messages;
  const share = p.promptTokens ? p.cachedTokens / p.promptTokens : 0;
  if (avgPrompt < LONG_PROMPT_TOKENS || share >= LOW_CACHED_SHARE) return null;
  const moreCached = Math.floor(p.promptTokens * CACHEABLE_SHARE) - p.cachedTokens;
  const perMTok = price.inputMicrosPerMTok - price.cachedInputMicrosPerMTok;
  const saved = Number(divRoundHalfUp(BigInt(moreCached) * BigInt(perMTok), 1_000_000n));
  if (saved <= 0) return null;
  const monthly = perMonth(saved, ctx.rangeDays);
  return insight(
    "low-cache-share",
    agent,
    `Agent ${label(agent)} sends ${Math.round(avgPrompt)} prompt tokens a message and ${Math.round(share * 100)}% of them ` +
      `come from the prompt cache; keeping the system prompt and history first and unchanged so that half are cached ` +
      `would save about ${usd(monthly)} a month.`,
    { avgPromptTokens: Math.round(avgPrompt), cachedShare: share, promptTokens: p.promptTokens, cachedTokens: p.cachedTokens },
    monthly,
  );
}

/** Development (free, capped) usage that dwarfs production: worth knowing, saves nothing. */
export function developmentHeavy(agent: AgentFigures): Insight | null {
  const { production: p, development: d } = agent.totals;
  if (d.messages < MIN_MESSAGES || d.shadowCostMicros < DEV_HEAVY_FACTOR * p.costMicros || d.shadowCostMicros === 0) return null;
  const times = p.costMicros ? `${(d.shadowCostMicros / p.costMicros).toFixed(1)}× its production cost` : "with no production use";
  return insight(
    "development-heavy",
    agent,
    `Agent ${label(agent)} ran ${d.messages} development messages worth ${usd(d.shadowCostMicros)} at list price, ${times}. ` +
      `Development is free but capped per agent: move tested traffic to production before it reaches the cap.`,
    { devMessages: d.messages, devShadowCostMicros: d.shadowCostMicros, productionMessages: p.messages, costMicros: p.costMicros },
  );
}

/** The range's last week cost more per message than the week before. */
export function costPerMessageRising(agent: AgentFigures): Insight | null {
  if (!agent.weeks) return null;
  const { before, last } = agent.weeks;
  if (before.messages < MIN_MESSAGES || last.messages < MIN_MESSAGES || before.costMicros === 0) return null;
  // last / last.messages >= RISING_FACTOR * before / before.messages, in integers (RISING_FACTOR = 5/4).
  if (BigInt(last.costMicros) * BigInt(before.messages) * 4n < BigInt(before.costMicros) * BigInt(last.messages) * 5n) return null;
  const atLastWeeksRate = Number(divRoundHalfUp(BigInt(last.messages) * BigInt(before.costMicros), BigInt(before.messages)));
  const monthly = perMonth(last.costMicros - atLastWeeksRate, 7);
  const cpm = (f: Figures) => Math.round(f.costMicros / f.messages);
  const rise = Math.round(((last.costMicros * before.messages) / (before.costMicros * last.messages) - 1) * 100);
  // Most messages cost less than a cent: per-message figures are shown to a hundredth of a cent.
  const perMessage = (f: Figures) => `$${microsToUsd(cpm(f)).toFixed(4)}`;
  return insight(
    "cost-per-message-rising",
    agent,
    `Agent ${label(agent)} cost ${perMessage(last)} a message in the last 7 days, up from ${perMessage(before)} the 7 days before ` +
      `(${rise}% more); at the earlier rate a month would cost about ${usd(monthly)} less. ` +
      `Longer prompts or answers are the usual cause.`,
    {
      costPerMessageMicros: cpm(last),
      previousCostPerMessageMicros: cpm(before),
      messages: last.messages,
      previousMessages: before.messages,
    },
    monthly,
  );
}

/** This month's pace would pass the agent's monthly limit (UTC month to date, projected linearly). */
export function forecastOverLimit(agent: AgentFigures, ctx: InsightContext): Insight | null {
  const limit = agent.monthlyLimitMicros;
  const spent = agent.monthToDateMicros;
  if (limit === null || spent === null) return null;
  const forecast = monthForecast(spent, limit, ctx.dayOfMonth, ctx.daysInMonth);
  if (!forecast) return null;
  const { projectedMicros: projected, limitReachedDay: day } = forecast;
  const when = spent >= limit ? "it has reached it" : `at this pace messages will be refused from about day ${day}`;
  return insight(
    "forecast-over-limit",
    agent,
    `Agent ${label(agent)} has spent ${usd(spent)} this month; at this pace it would reach ${usd(projected)} by month end, ` +
      `over its monthly limit of ${usd(limit)}: ${when}. Raise the limit or lower the usage.`,
    { monthToDateMicros: spent, projectedMicros: projected, monthlyLimitMicros: limit, limitReachedDay: day },
  );
}

const KIND_ORDER: readonly InsightKind[] = [
  "forecast-over-limit",
  "cheaper-model",
  "low-cache-share",
  "cost-per-message-rising",
  "development-heavy",
];

/**
 * Every insight of every agent, at most `max`: a monthly limit about to bite first, then the
 * largest saving, then by kind and agent (a stable order).
 */
export function accountInsights(agents: readonly AgentFigures[], ctx: InsightContext, max: number): Insight[] {
  const found = agents.flatMap((a) =>
    [forecastOverLimit(a, ctx), cheaperModel(a, ctx), lowCacheShare(a, ctx), costPerMessageRising(a), developmentHeavy(a)].filter(
      (i): i is Insight => i !== null,
    ),
  );
  return found
    .sort(
      (a, b) =>
        Number(b.kind === "forecast-over-limit") - Number(a.kind === "forecast-over-limit") ||
        (b.estimatedSavingsMicros ?? 0) - (a.estimatedSavingsMicros ?? 0) ||
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        (a.agentId! < b.agentId! ? -1 : a.agentId! > b.agentId! ? 1 : 0),
    )
    .slice(0, max);
}
