/**
 * Usage sent to Stripe: which ledger rows are reported, as what meter event, and what the dispatcher
 * does with each answer. Pure; the outbox is store/outbox.ts, the dispatcher handlers/usage-dispatch.ts.
 *
 * One meter event per billed production row: value = the row's `costMicros` (list cost, integer
 * micro-USD, what the ledger bills), timestamp = the row's, identifier derived from the row's id, so
 * a resend of the same row is the same event and Stripe refuses it as a duplicate (within its 24-hour
 * identifier window; the dispatcher resends only the one call per customer that was in flight when a
 * run died, minutes later).
 */
import { createHash } from "node:crypto";
import type { LedgerRow } from "./ledger";

/** Stripe's longest meter event identifier. */
export const MAX_IDENTIFIER_CHARS = 100;
/** Stripe refuses events older than 35 days: anything unsent at 30 raises an alarm while there is time. */
export const UNSENT_ALARM_AGE_MS = 30 * 86_400_000;
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 60 * 60_000;

/** The row's event identifier: its ledger id, or (past Stripe's 100 characters) a hash of it. */
export function identifierOf(rowId: string): string {
  return rowId.length <= MAX_IDENTIFIER_CHARS ? rowId : `sha256_${createHash("sha256").update(rowId).digest("hex")}`;
}

/** What the outbox keeps of a row to report it (null: a row Stripe is not told of). */
export interface UsageReport {
  rowId: string;
  identifier: string;
  userId: string;
  agentId: string;
  /** The meter event's value: the row's billed list cost. */
  costMicros: number;
  /** The row's instant (epoch ms): the event's timestamp, and the age the alarm counts from. */
  timestampMs: number;
}

/** Billed production rows with a cost are reported; development, free and zero-cost rows are not. */
export function usageReportOf(rowId: string, row: LedgerRow): UsageReport | null {
  if (row.mode !== "production" || !row.billable || row.costMicros <= 0) return null;
  return {
    rowId,
    identifier: identifierOf(rowId),
    userId: row.userId,
    agentId: row.agentId,
    costMicros: row.costMicros,
    timestampMs: Date.parse(row.timestamp),
  };
}

/** The meter event's parameters, as `stripe.billing.meterEvents.create` takes them. */
export function meterEventOf(
  report: Pick<UsageReport, "identifier" | "costMicros" | "timestampMs">,
  eventName: string,
  customerId: string,
) {
  return {
    event_name: eventName,
    identifier: report.identifier,
    timestamp: Math.floor(report.timestampMs / 1000),
    payload: { stripe_customer_id: customerId, value: String(report.costMicros) },
  };
}

/**
 * What an answer means for the event:
 * - `sent`: accepted;
 * - `duplicate`: Stripe already has this identifier (an earlier send whose answer was lost): sent;
 * - `retry`: 429, 5xx, a lost connection, or a key or permission problem (the configuration's, not
 *   the event's): tried again later with backoff;
 * - `invalid`: any other refusal (a validation error): never retried; a billing failure and an alert.
 */
export type SendVerdict = "sent" | "duplicate" | "retry" | "invalid";

/** The fields of a `stripe` SDK error this reads (StripeError). */
export interface StripeErrorLike {
  statusCode?: number;
  message?: string;
  code?: string;
  type?: string;
}

const DUPLICATE = /^An event already exists with identifier/;

export function verdictOf(err: StripeErrorLike): Exclude<SendVerdict, "sent"> {
  const status = err.statusCode;
  if (status === 400 && (DUPLICATE.test(err.message ?? "") || err.code === "resource_already_exists")) return "duplicate";
  if (status === undefined || status === 401 || status === 403 || status === 409 || status === 429 || status >= 500) return "retry";
  // A rate limit however it is answered (the SDK makes any `rate_limit` code a StripeRateLimitError).
  if (err.code === "rate_limit" || err.type === "StripeRateLimitError") return "retry";
  return "invalid";
}

/** The wait before attempt `attempts + 1`: doubling from 30 s, at most 1 h, spread by `random` ∈ [0, 1) over its upper half. */
export function backoffMs(attempts: number, random: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** A short, secret-free description of a refusal for the outbox and the failure record. */
export function describeStripeError(err: StripeErrorLike): string {
  const head = [err.statusCode ?? "no answer", err.type, err.code].filter(Boolean).join(" ");
  return `${head}: ${(err.message ?? "").slice(0, 300)}`;
}
