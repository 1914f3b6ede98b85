/**
 * The ledger row of one metered message and the rollup deltas it contributes. Pure: the store
 * turns the deltas into Firestore increments, so every total is a sum of rounded per-row micros.
 */
import type { TestMode } from "../contract/common";
import type { TokenUsage } from "./usage";

export type UsageSource = "provider" | "estimated";

/** Who wrote a row: the rollup counts only rows that carry the backend's mark and signature. */
export const LEDGER_WRITER = "billing-backend";

/** A row of `billable_conversations`, as stored (createdAt is added by the store as a Timestamp). */
export interface LedgerRow {
  agentId: string;
  conversationId: string;
  userMessage: string;
  agentResponse: string;
  tokens: { prompt: number; completion: number; total: number; cached: number };
  /** Display number: costMicros / 1e6. */
  cost: number;
  /** ISO-8601 instant of the exchange (the seed's string timestamp). */
  timestamp: string;
  billable: boolean;
  /** The seed's flag: true for development (free) messages. */
  testMode: boolean;
  userId: string;
  messageId: string;
  sessionId: string;
  mode: TestMode;
  model: string;
  costMicros: number;
  shadowCostMicros: number;
  usageSource: UsageSource;
  priceVersion: string;
  localDay: string;
  latencyMs: number;
  writer: typeof LEDGER_WRITER;
  /** HMAC of the row's billing fields (see ledger-signature.ts). */
  sig: string;
}

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

/** Builds the token block of a row from normalised usage. */
export function rowTokens(usage: TokenUsage): LedgerRow["tokens"] {
  return { prompt: usage.prompt, completion: usage.completion, total: usage.total, cached: usage.cached };
}
