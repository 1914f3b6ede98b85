/**
 * Monthly statements (getStatement, listStatements): the caller's bill for a UTC month under their
 * plan, in integer micro-USD. The lines sum to `totalMicros` exactly; the lines that are not
 * credits sum to `subtotalMicros`. A statement is `open` while its month runs and during the grace
 * period after it, then `final`: sealed once with a SHA-256 `hash`, never changed again.
 */
import { z } from "zod";

/** A calendar month `YYYY-MM` (01-12). */
export const monthSchema = z
  .string({ error: "must be a string" })
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: "must be a month YYYY-MM (01-12)" });

export const getStatementRequestSchema = z.strictObject({ month: monthSchema });
export type GetStatementRequest = z.infer<typeof getStatementRequestSchema>;

export const listStatementsRequestSchema = z.strictObject({});
export type ListStatementsRequest = z.infer<typeof listStatementsRequestSchema>;

export type StatementStatus = "open" | "final";

/**
 * What a line charges for:
 * - `fee`: the plan's monthly fee (quantity 1);
 * - `usage`: production messages at list cost (quantity: messages; amount: their list cost);
 * - `allowance`: the part of the list cost the plan includes (negative; quantity: micros covered);
 * - `markup`: the plan's markup over the billable list cost (quantity: that base, in micros);
 * - `tier`: the per-message charge of one tier (quantity: messages in the tier);
 * - `minimum`: what brings the month's charges up to the plan's minimum (quantity 1);
 * - `adjustment`: late usage of an earlier, sealed month (quantity: late messages; may be negative
 *   with volume tiers or a minimum);
 * - `credit`: a credit grant applied (negative; quantity 1).
 */
export type StatementLineKind = "fee" | "usage" | "allowance" | "markup" | "tier" | "minimum" | "adjustment" | "credit";

export interface StatementLine {
  kind: StatementLineKind;
  description: string;
  quantity: number;
  amountMicros: number;
  /** How the amount was rounded, where it was (only the markup is ever rounded). */
  rounding?: string;
}

/** The month's production usage a statement bills, from the owner's UTC days. */
export interface StatementUsage {
  messages: number;
  listMicros: number;
  /** The credits the month's rows burnt at admission, by grant (micro-USD of list cost); absent when none. */
  creditsByGrant?: Record<string, number>;
}

export interface StatementView {
  month: string;
  planId: string;
  planVersion: number;
  status: StatementStatus;
  lines: StatementLine[];
  /** The plan's charges for the month itself (fee, usage, allowance, markup, tiers, minimum). */
  chargesMicros: number;
  /** Charges plus adjustments: every line but the credits. */
  subtotalMicros: number;
  creditsAppliedMicros: number;
  /** subtotalMicros − creditsAppliedMicros: the sum of every line. */
  totalMicros: number;
  usage: StatementUsage;
  /** When an open statement becomes final (ISO instant): the month's end plus the grace period. */
  finalAt: string;
  /** SHA-256 (hex) of the sealed statement's canonical JSON; final statements only. */
  hash?: string;
}

export type GetStatementResponse = StatementView;

export interface StatementItem {
  month: string;
  status: StatementStatus;
  totalMicros: number;
}

export interface ListStatementsResponse {
  /** Newest first, from the account's first month to the current one. */
  items: StatementItem[];
}
