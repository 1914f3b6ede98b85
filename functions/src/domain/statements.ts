/**
 * A month's statement from the month's production usage and the plan. Pure and exact: every figure
 * is integer micro-USD computed in BigInt; the one rounding is the markup's, named on its line and
 * done once per statement (half up, `divRoundHalfUp`); the lines sum to the total exactly (checked).
 *
 * The order of a statement:
 *   charges    = fee + usage at list cost − allowance + markup + tiers, topped up to the minimum
 *   subtotal   = charges + adjustments (late usage of earlier, sealed months)
 *   credits    = the applicable grants, by priority, then soonest expiry, then id, up to the subtotal
 *   total      = subtotal − credits
 *
 * Credits here are applied to the statement from the grants' remaining amounts; burning them down at
 * admission (so a message cannot overdraw a grant mid-month) is a later step of issue #17.
 */
import { createHash } from "node:crypto";
import { divRoundHalfUp } from "../base/money";
import { monthEndMillis, monthStartMillis } from "../base/months";
import type { StatementLine, StatementStatus, StatementUsage, StatementView } from "../contract/statements";
import { BASIS_POINTS, tierBands, type CreditGrant, type Plan } from "./plans";

/** Days after a month ends before its statement is final: rows admitted in the month but written late (retries, recovery of a failed write, a trigger retried through an outage) land in it first. */
export const STATEMENT_GRACE_DAYS = 3;
const GRACE_MS = STATEMENT_GRACE_DAYS * 86_400_000;

/** A month's production usage (messages and list cost), as the account rollup sums it. */
export type MonthUsage = StatementUsage;

/** The month's usage from its UTC days (production only: development is never billed). */
export function monthUsage(days: readonly { production: { messages: number; costMicros: number } }[]): MonthUsage {
  let messages = 0n;
  let list = 0n;
  for (const day of days) {
    messages += BigInt(day.production.messages);
    list += BigInt(day.production.costMicros);
  }
  return { messages: safe(messages, "messages"), listMicros: safe(list, "list cost") };
}

/** A grant with what is left of it before this statement. */
export interface GrantBalance {
  grant: CreditGrant;
  remainingMicros: number;
}

/** Late usage of a sealed month: its charges recomputed on today's usage, less what was billed. */
export interface LateUsage {
  month: string;
  /** The month's usage now, and what its billed charges were computed on. */
  usage: MonthUsage;
  billed: MonthUsage;
  /** The charges recomputed on `usage` with the plan the month was sealed with. */
  chargesMicros: number;
  amountMicros: number;
}

/** What a statement carries besides its public view: enough to seal it and to compute the next. */
export interface BuiltStatement extends Omit<StatementView, "hash"> {
  /** The plan version it was built with (a sealed month's late usage is recomputed with it). */
  plan: Plan;
  credits: { grantId: string; micros: number }[];
  /** The months whose late usage it billed, with the usage and charges now billed for each. */
  carried: { month: string; usage: MonthUsage; chargesMicros: number }[];
}

/** A final statement as stored: its owner and its hash. */
export interface SealedStatement extends BuiltStatement {
  userId: string;
  hash: string;
}

/** `billing_statements/{uid}_{YYYY-MM}`. */
export const statementId = (uid: string, month: string) => `${uid}_${month}`;

/** A bigint of micros as a number, refusing what a number cannot hold exactly. */
function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${what} (${value}) is beyond the largest safe integer`);
  }
  return Number(value);
}

const line = (kind: StatementLine["kind"], description: string, quantity: number, amount: bigint, rounding?: string): StatementLine => ({
  kind,
  description,
  quantity,
  amountMicros: safe(amount, `${kind} line`),
  ...(rounding ? { rounding } : {}),
});

const count = (n: number) => n.toLocaleString("en-US");

/** The plan's charges for a month's usage: its lines and their sum (fee, usage, allowance, markup, tiers, minimum). */
export function planCharges(plan: Plan, usage: MonthUsage): { lines: StatementLine[]; charges: bigint } {
  const lines: StatementLine[] = [];
  const list = BigInt(usage.listMicros);
  const fee = BigInt(plan.monthlyFeeMicros);
  if (fee > 0n) lines.push(line("fee", `Monthly fee (${plan.name})`, 1, fee));
  lines.push(line("usage", `${count(usage.messages)} production messages at list cost`, usage.messages, list));
  const covered = list < BigInt(plan.includedMicros) ? list : BigInt(plan.includedMicros);
  if (covered > 0n) lines.push(line("allowance", "Included usage", safe(covered, "allowance"), -covered));
  const billable = list - covered;
  if (plan.markupBps > 0) {
    const markup = divRoundHalfUp(billable * BigInt(plan.markupBps), BigInt(BASIS_POINTS));
    const rounding = `billable list cost × ${plan.markupBps} / ${BASIS_POINTS}, rounded half up once per statement`;
    lines.push(
      line("markup", `Markup of ${plan.markupBps / 100}% over billable list cost`, safe(billable, "markup base"), markup, rounding),
    );
  }
  for (const band of tierBands(plan, usage.messages)) {
    const range = band.upTo === null ? `${count(band.from)} and above` : `${count(band.from)}-${count(band.upTo)}`;
    const how = plan.tierMode === "volume" ? "volume" : "graduated";
    lines.push(line("tier", `Messages ${range} (${how}) at ${count(band.unitMicros)} µ$ each`, band.messages, band.amountMicros));
  }
  const before = lines.reduce((n, l) => n + BigInt(l.amountMicros), 0n);
  const minimum = BigInt(plan.minimumMicros);
  if (before < minimum) lines.push(line("minimum", `Minimum monthly charge (${plan.name})`, 1, minimum - before));
  return { lines, charges: before < minimum ? minimum : before };
}

/**
 * Whether a grant can pay for a month's statement: it is effective before the month ends and has
 * not expired when the month starts (a grant valid for part of the month pays for the month; the
 * admission-time burn-down will make this exact per message).
 */
export function grantApplies(grant: CreditGrant, month: string): boolean {
  const effective = grant.effectiveAt === undefined || Date.parse(grant.effectiveAt) < monthEndMillis(month);
  const unexpired = grant.expiresAt === null || Date.parse(grant.expiresAt) > monthStartMillis(month);
  return effective && unexpired;
}

/** The order grants pay in: priority (0 first), then soonest expiry (never-expiring last), then id. */
export function grantOrder(a: CreditGrant, b: CreditGrant): number {
  const expiry = (g: CreditGrant) => (g.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(g.expiresAt));
  return a.priority - b.priority || expiry(a) - expiry(b) || (a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0);
}

/** When a month's statement is final: the month's end plus the grace period. */
export const finalAtMillis = (month: string) => monthEndMillis(month) + GRACE_MS;

export const statementStatus = (month: string, now: number): StatementStatus => (now >= finalAtMillis(month) ? "final" : "open");

/**
 * The late usage of a sealed month, or null when it has none: its charges recomputed on its usage
 * now (with the plan it was sealed with), less the charges last billed for it.
 */
export function lateUsage(
  month: string,
  billed: { plan: Plan; usage: MonthUsage; chargesMicros: number },
  now: MonthUsage,
): LateUsage | null {
  if (now.messages === billed.usage.messages && now.listMicros === billed.usage.listMicros) return null;
  const charges = planCharges(billed.plan, now).charges;
  return {
    month,
    usage: now,
    billed: billed.usage,
    chargesMicros: safe(charges, "late charges"),
    amountMicros: safe(charges - BigInt(billed.chargesMicros), "adjustment"),
  };
}

export interface StatementInput {
  month: string;
  plan: Plan;
  usage: MonthUsage;
  /** Grants with what is left of them; only those that apply to the month are used. */
  credits: readonly GrantBalance[];
  previousAdjustments: readonly LateUsage[];
  status: StatementStatus;
}

/** Applies the month's grants to the subtotal, in their order; each applied grant is a negative line. */
function applyCredits(month: string, subtotal: bigint, credits: readonly GrantBalance[]) {
  const lines: StatementLine[] = [];
  const used: { grantId: string; micros: number }[] = [];
  let left = subtotal > 0n ? subtotal : 0n;
  const usable = credits.filter((c) => c.remainingMicros > 0 && grantApplies(c.grant, month));
  for (const { grant, remainingMicros } of [...usable].sort((a, b) => grantOrder(a.grant, b.grant))) {
    if (left === 0n) break;
    const applied = BigInt(remainingMicros) < left ? BigInt(remainingMicros) : left;
    left -= applied;
    lines.push(line("credit", `Credit ${grant.grantId}`, 1, -applied));
    used.push({ grantId: grant.grantId, micros: safe(applied, "credit") });
  }
  return { lines, used, applied: (subtotal > 0n ? subtotal : 0n) - left };
}

/** The statement of `input.month`. @throws RangeError if a figure leaves the safe range (or, never, if the lines do not add up). */
export function buildStatement(input: StatementInput): BuiltStatement {
  const { month, plan, usage } = input;
  const { lines, charges } = planCharges(plan, usage);
  let subtotal = charges;
  for (const late of input.previousAdjustments) {
    const messages = late.usage.messages - late.billed.messages;
    lines.push(
      line(
        "adjustment",
        `Late usage of ${late.month} (${count(messages)} messages after it was sealed)`,
        messages,
        BigInt(late.amountMicros),
      ),
    );
    subtotal += BigInt(late.amountMicros);
  }
  const credits = applyCredits(month, subtotal, input.credits);
  const total = subtotal - credits.applied;
  const all = [...lines, ...credits.lines];
  if (all.reduce((n, l) => n + BigInt(l.amountMicros), 0n) !== total)
    throw new RangeError(`statement ${month}: lines do not sum to the total`);
  return {
    month,
    planId: plan.planId,
    planVersion: plan.version,
    status: input.status,
    lines: all,
    chargesMicros: safe(charges, "charges"),
    subtotalMicros: safe(subtotal, "subtotal"),
    creditsAppliedMicros: safe(credits.applied, "credits"),
    totalMicros: safe(total, "total"),
    usage: { messages: usage.messages, listMicros: usage.listMicros },
    finalAt: new Date(finalAtMillis(month)).toISOString(),
    plan,
    credits: credits.used,
    carried: input.previousAdjustments.map((l) => ({ month: l.month, usage: l.usage, chargesMicros: l.chargesMicros })),
  };
}

/** JSON with object keys sorted at every level and no whitespace: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError(`canonicalJson: ${value} is not a safe integer`);
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the owner's statement in canonical JSON (every field but the hash). */
export const statementHash = (uid: string, statement: BuiltStatement) =>
  createHash("sha256")
    .update(canonicalJson({ ...statement, userId: uid }))
    .digest("hex");

/** A final statement, ready to be stored once: its owner and hash added. @throws RangeError for an open one. */
export function sealStatement(uid: string, statement: BuiltStatement): SealedStatement {
  if (statement.status !== "final") throw new RangeError(`statement ${statement.month} is open: only a final statement is sealed`);
  return { ...statement, userId: uid, hash: statementHash(uid, statement) };
}

/** What a caller sees of a statement. */
export function statementView(statement: BuiltStatement | SealedStatement): StatementView {
  const { plan: _plan, credits: _credits, carried: _carried, ...view } = statement;
  const { userId: _userId, ...rest } = view as typeof view & { userId?: string };
  return rest;
}
