/**
 * Usage analytics from daily buckets (and export summaries from ledger rows): series with their
 * empty periods, totals, breakdowns and efficiency. Pure. Every sum is of integers (micros and
 * tokens), checked to stay exact; the only divisions are the efficiency figures, each rounded as
 * its name says.
 */
import type {
  ModelCost,
  Figures,
  Granularity,
  ModeFigures,
  ModelBreakdown,
  SeriesPoint,
  UsageBreakdown,
  UsageEfficiency,
  UsageFigures,
} from "../contract/analytics";
import type { TestMode } from "../contract/common";
import type { LedgerRow } from "./ledger";
import { divRoundHalfUp, microsToUsd } from "../base/money";
import { periodOf, periodsInRange } from "../base/periods";

/** The integer figures of one mode in a bucket (as `dailyDeltas` in rollups.ts writes them). */
export type { Figures } from "../contract/analytics";

export type ModeTotals = Record<TestMode, Figures>;

/** One day's bucket, validated. Models are a Map: their names come from agents, so never object keys. */
export interface DayUsage extends ModeTotals {
  day: string;
  byModel: Map<string, ModeTotals>;
}

export interface Analytics {
  series: SeriesPoint[];
  totals: UsageFigures;
  breakdown: UsageBreakdown;
  efficiency: UsageEfficiency;
}

const FIGURE_KEYS: readonly (keyof Figures)[] = [
  "messages",
  "promptTokens",
  "completionTokens",
  "cachedTokens",
  "totalTokens",
  "costMicros",
  "shadowCostMicros",
];
const MODES: readonly TestMode[] = ["production", "development"];

export const emptyFigures = (): Figures => ({
  messages: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  totalTokens: 0,
  costMicros: 0,
  shadowCostMicros: 0,
});

export const emptyModes = (): ModeTotals => ({ production: emptyFigures(), development: emptyFigures() });

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A bucket's figure map: absent fields are zero (a bucket holds only the modes it saw); anything else must be a count. */
function readFigures(value: unknown, where: string): Figures {
  const out = emptyFigures();
  if (value === undefined) return out;
  if (!isMap(value)) throw new RangeError(`${where} must be a map of figures`);
  for (const key of FIGURE_KEYS) {
    const figure = value[key];
    if (figure === undefined) continue;
    if (typeof figure !== "number" || !Number.isSafeInteger(figure) || figure < 0) {
      throw new RangeError(`${where}.${key} must be a non-negative safe integer, got ${String(figure)}`);
    }
    out[key] = figure;
  }
  return out;
}

function readModes(value: Record<string, unknown>, where: string): ModeTotals {
  return {
    production: readFigures(value.production, `${where}.production`),
    development: readFigures(value.development, `${where}.development`),
  };
}

/**
 * Validates a stored daily bucket (`agent_usage_daily`): `{production?, development?, byModel?}`.
 *
 * @throws RangeError naming the bad field: a corrupt bucket must not turn into a wrong bill.
 */
export function readDayUsage(day: string, data: unknown, collection = "agent_usage_daily"): DayUsage {
  const where = `${collection}[${day}]`;
  if (!isMap(data)) throw new RangeError(`${where} is not a document`);
  return { day, ...readModes(data, where), byModel: readModeMap(data.byModel, `${where}.byModel`) };
}

/**
 * A stored map of names (models, agents) to figures by mode, validated; absent is empty. A Map,
 * since the names come from callers and must never be looked up as object keys.
 *
 * @throws RangeError naming the bad field.
 */
export function readModeMap(value: unknown, where: string): Map<string, ModeTotals> {
  const out = new Map<string, ModeTotals>();
  if (value === undefined) return out;
  if (!isMap(value)) throw new RangeError(`${where} must be a map`);
  for (const [name, modes] of Object.entries(value)) {
    if (!isMap(modes)) throw new RangeError(`${where}[${name}] must be a map`);
    out.set(name, readModes(modes, `${where}[${name}]`));
  }
  return out;
}

/** Adds integer figures, refusing a sum that a double can no longer hold exactly. */
function addFigures(into: Figures, from: Figures): void {
  for (const key of FIGURE_KEYS) {
    const sum = into[key] + from[key];
    if (!Number.isSafeInteger(sum)) throw new RangeError(`${key} total exceeds Number.MAX_SAFE_INTEGER`);
    into[key] = sum;
  }
}

export function addModes(into: ModeTotals, from: ModeTotals): void {
  for (const mode of MODES) addFigures(into[mode], from[mode]);
}

/** Adds one ledger row (the export summary is the sum of its rows). */
export function addRow(into: ModeTotals, row: Pick<LedgerRow, "mode" | "tokens" | "costMicros" | "shadowCostMicros">): void {
  addFigures(into[row.mode], {
    messages: 1,
    promptTokens: row.tokens.prompt,
    completionTokens: row.tokens.completion,
    cachedTokens: row.tokens.cached,
    totalTokens: row.tokens.total,
    costMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
  });
}

/** Billable figures with development apart: the shape of a series point and of totals. */
export function usageFigures(modes: ModeTotals): UsageFigures {
  const p = modes.production;
  const d = modes.development;
  return {
    messages: p.messages,
    promptTokens: p.promptTokens,
    completionTokens: p.completionTokens,
    totalTokens: p.totalTokens,
    costMicros: p.costMicros,
    cost: microsToUsd(p.costMicros),
    development: {
      messages: d.messages,
      totalTokens: d.totalTokens,
      shadowCostMicros: d.shadowCostMicros,
      shadowCost: microsToUsd(d.shadowCostMicros),
    },
  };
}

export function modeFigures(f: Figures): ModeFigures {
  return { ...f, cost: microsToUsd(f.costMicros), shadowCost: microsToUsd(f.shadowCostMicros) };
}

export const byMode = (modes: ModeTotals): Record<TestMode, ModeFigures> => ({
  production: modeFigures(modes.production),
  development: modeFigures(modes.development),
});

/** Dearest model first (billed, then list price), then by name, so the order is stable. */
function modelOrder(a: ModelBreakdown, b: ModelBreakdown): number {
  return (
    b.production.costMicros - a.production.costMicros ||
    b.development.shadowCostMicros - a.development.shadowCostMicros ||
    (a.model < b.model ? -1 : a.model > b.model ? 1 : 0)
  );
}

/** Models with their figures, dearest first (the analytics breakdown and the account view). */
export const modelBreakdown = (models: Map<string, ModeTotals>): ModelBreakdown[] =>
  [...models].map(([model, modes]) => ({ model, ...byMode(modes) })).sort(modelOrder);

function breakdown(total: ModeTotals, models: Map<string, ModeTotals>): UsageBreakdown {
  return { byModel: modelBreakdown(models), byMode: byMode(total) };
}

/** `numerator / denominator` in micros, rounded half up; null when there is nothing to divide by. */
function perUnitMicros(numerator: number, denominator: number, scale = 1): number | null {
  if (denominator === 0) return null;
  return Number(divRoundHalfUp(BigInt(numerator) * BigInt(scale), BigInt(denominator)));
}

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? null : numerator / denominator);
const usd = (micros: number | null) => (micros === null ? null : microsToUsd(micros));

/** Efficiency of billable usage, plus what development usage would have cost. */
export function efficiency(modes: ModeTotals): UsageEfficiency {
  const p = modes.production;
  const perMessage = perUnitMicros(p.costMicros, p.messages);
  const per1k = perUnitMicros(p.costMicros, p.totalTokens, 1_000);
  return {
    costPerMessageMicros: perMessage,
    costPerMessage: usd(perMessage),
    tokensPerMessage: ratio(p.totalTokens, p.messages),
    completionPromptRatio: ratio(p.completionTokens, p.promptTokens),
    costPer1kTokensMicros: per1k,
    costPer1kTokens: usd(per1k),
    developmentShadowCostMicros: modes.development.shadowCostMicros,
    developmentShadowCost: microsToUsd(modes.development.shadowCostMicros),
  };
}

/** Adds named figures (by model, by agent) into `into`, name by name. */
export function addNamedModes(into: Map<string, ModeTotals>, from: Map<string, ModeTotals>): void {
  for (const [model, modes] of from) {
    if (!into.has(model)) into.set(model, emptyModes());
    addModes(into.get(model) as ModeTotals, modes);
  }
}

/** A period's cost by model, by model name. */
function modelCosts(models: Map<string, ModeTotals> | undefined): ModelCost[] {
  return [...(models ?? [])]
    .map(([model, m]) => ({ model, costMicros: m.production.costMicros, shadowCostMicros: m.development.shadowCostMicros }))
    .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/**
 * Analytics of the inclusive local-day range: one series point per period the range touches
 * (empty ones included; a partial first or last week or month counts only its days in range).
 * Days outside the range are ignored, so a caller may pass buckets loosely.
 *
 * @throws RangeError for an invalid range or granularity (see periods.ts).
 */
export function buildAnalytics(days: Iterable<DayUsage>, from: string, to: string, granularity: Granularity): Analytics {
  const periods = new Map(periodsInRange(from, to, granularity).map((period) => [period, emptyModes()]));
  const periodModels = new Map<string, Map<string, ModeTotals>>();
  const total = emptyModes();
  const models = new Map<string, ModeTotals>();
  for (const usage of days) {
    if (usage.day < from || usage.day > to) continue;
    const key = periodOf(usage.day, granularity);
    const period = periods.get(key);
    if (!period) throw new RangeError(`day ${usage.day} falls in no period of ${from}..${to}`);
    addModes(period, usage);
    addModes(total, usage);
    if (!periodModels.has(key)) periodModels.set(key, new Map());
    addNamedModes(models, usage.byModel);
    addNamedModes(periodModels.get(key) as Map<string, ModeTotals>, usage.byModel);
  }
  return {
    series: [...periods].map(([period, modes]) => ({ period, ...usageFigures(modes), byModel: modelCosts(periodModels.get(period)) })),
    totals: usageFigures(total),
    breakdown: breakdown(total, models),
    efficiency: efficiency(total),
  };
}
