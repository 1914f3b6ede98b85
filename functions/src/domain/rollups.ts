/**
 * What one ledger row adds to each rollup: pure integer deltas. The store turns them into Firestore
 * increments, so every total is a sum of rounded per-row micros.
 */
import type { LedgerRow } from "./ledger";

/** The numeric figures one row adds to a rollup: a nested map of integer deltas. */
export type Deltas = { [field: string]: number | Deltas };

/** Adds `delta` into `into`, leaf by leaf: how totals of many rows are summed outside Firestore. */
export function addDeltas(into: Deltas, delta: Deltas): Deltas {
  for (const [key, value] of Object.entries(delta)) {
    if (typeof value === "number") into[key] = ((into[key] as number | undefined) ?? 0) + value;
    else addDeltas((into[key] ??= {}) as Deltas, value);
  }
  return into;
}

/** What one row adds to its agent's summary: billable usage in totals, development apart. */
export function summaryDeltas(row: LedgerRow): Deltas {
  const t = row.tokens;
  if (row.billable) {
    return {
      totalMessages: 1,
      totalTokens: t.total,
      totalPromptTokens: t.prompt,
      totalCompletionTokens: t.completion,
      totalCachedTokens: t.cached,
      totalCostMicros: row.costMicros,
    };
  }
  return {
    devMessages: 1,
    devTokens: t.total,
    devPromptTokens: t.prompt,
    devCompletionTokens: t.completion,
    devCachedTokens: t.cached,
    devShadowCostMicros: row.shadowCostMicros,
  };
}

/** Figures of one mode, one model or one day. */
function figures(row: LedgerRow): Deltas {
  const t = row.tokens;
  return {
    messages: 1,
    promptTokens: t.prompt,
    completionTokens: t.completion,
    cachedTokens: t.cached,
    totalTokens: t.total,
    costMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
  };
}

/** What one row adds to its daily bucket: split by mode and by model (model keys are literal). */
export function dailyDeltas(row: LedgerRow): Deltas {
  return {
    [row.mode]: figures(row),
    byModel: { [row.model]: { [row.mode]: figures(row) } },
  };
}

/** What one row adds to its conversation's session. */
export function sessionDeltas(row: LedgerRow): Deltas {
  const t = row.tokens;
  return {
    messageCount: 1,
    totalTokens: t.total,
    promptTokens: t.prompt,
    completionTokens: t.completion,
    totalCostMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
  };
}
