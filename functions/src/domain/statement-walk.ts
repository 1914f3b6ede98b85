/**
 * An owner's statements month after month, from the first month to the one asked for. Pure: the
 * handler loads the sealed statements and the usage of the months it needs, this decides the rest.
 *
 * Each month takes what the months before it left: the grants' remaining amounts (less what every
 * earlier statement, sealed or not, applied) and what was billed for each month (its own statement,
 * or the latest adjustment that carried its late usage). A sealed statement is taken as it is; any
 * other is built, and it is final (to be sealed) once its month is over plus the grace period.
 */
import { addMonths } from "../base/months";
import type { CreditGrant, Plan } from "./plans";
import {
  buildStatement,
  lateUsage,
  statementStatus,
  type BuiltStatement,
  type GrantBalance,
  type LateUsage,
  type MonthUsage,
  type SealedStatement,
} from "./statements";

/** How many sealed months back a statement looks for late usage (rows written after their month was sealed). */
export const LATE_USAGE_LOOKBACK_MONTHS = 3;

export interface WalkInput {
  /** Consecutive months, oldest first. */
  months: readonly string[];
  /** The plan of the months not sealed yet (a sealed month keeps its own). */
  plan: Plan;
  grants: readonly CreditGrant[];
  sealed: ReadonlyMap<string, SealedStatement>;
  /** The usage of every month {@link monthsToRead} names. */
  usage: ReadonlyMap<string, MonthUsage>;
  now: number;
}

export interface WalkResult {
  /** One per month, oldest first. */
  statements: (BuiltStatement | SealedStatement)[];
  /** The final statements not sealed yet, oldest first: seal them in this order. */
  toSeal: BuiltStatement[];
}

/** The months whose usage the walk reads: every month not sealed, and the sealed months it looks back at for late usage. */
export function monthsToRead(months: readonly string[], sealed: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  const inWalk = new Set(months);
  const read = new Set<string>();
  for (const month of months) {
    if (sealed.has(month)) continue;
    read.add(month);
    for (let back = 1; back <= LATE_USAGE_LOOKBACK_MONTHS; back++) {
      const earlier = addMonths(month, -back);
      if (inWalk.has(earlier) && sealed.has(earlier)) read.add(earlier);
    }
  }
  return [...read].sort();
}

interface Billed {
  plan: Plan;
  usage: MonthUsage;
  chargesMicros: number;
}

function usageOf(input: WalkInput, month: string): MonthUsage {
  const usage = input.usage.get(month);
  if (!usage) throw new RangeError(`statement walk: the usage of ${month} was not read`);
  return usage;
}

export function walkStatements(input: WalkInput): WalkResult {
  const remaining = new Map(input.grants.map((g) => [g.grantId, g.amountMicros]));
  const billed = new Map<string, Billed>();
  const statements: WalkResult["statements"] = [];
  const toSeal: BuiltStatement[] = [];
  for (const month of input.months) {
    const statement = input.sealed.get(month) ?? buildMonth(input, month, remaining, billed);
    // What this statement leaves to the next: grants drawn down, months billed.
    for (const used of statement.credits) remaining.set(used.grantId, Math.max(0, (remaining.get(used.grantId) ?? 0) - used.micros));
    billed.set(month, { plan: statement.plan, usage: statement.usage, chargesMicros: statement.chargesMicros });
    for (const c of statement.carried) {
      const before = billed.get(c.month);
      if (before) billed.set(c.month, { ...before, usage: c.usage, chargesMicros: c.chargesMicros });
    }
    statements.push(statement);
    if (!input.sealed.has(month) && statement.status === "final") toSeal.push(statement);
  }
  return { statements, toSeal };
}

function buildMonth(input: WalkInput, month: string, remaining: Map<string, number>, billed: Map<string, Billed>): BuiltStatement {
  const adjustments: LateUsage[] = [];
  for (let back = LATE_USAGE_LOOKBACK_MONTHS; back >= 1; back--) {
    const earlier = addMonths(month, -back);
    const was = billed.get(earlier);
    if (!was || !input.sealed.has(earlier)) continue;
    const late = lateUsage(earlier, was, usageOf(input, earlier));
    if (late) adjustments.push(late);
  }
  const credits: GrantBalance[] = input.grants.map((grant) => ({ grant, remainingMicros: remaining.get(grant.grantId) ?? 0 }));
  return buildStatement({
    month,
    plan: input.plan,
    usage: usageOf(input, month),
    credits,
    previousAdjustments: adjustments,
    status: statementStatus(month, input.now),
  });
}
