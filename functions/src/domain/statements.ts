/**
 * A month's statement from the month's production usage and the plan. Pure and exact: every figure
 * is integer micro-USD computed in BigInt; the one rounding is the markup's, named on its line and
 * done once per statement (half up, `divRoundHalfUp`); the lines sum to the total exactly (checked).
 *
 * The order of a statement:
 *   charges    = fee + usage at list cost − allowance + markup + tiers, topped up to the minimum
 *   subtotal   = charges + adjustments (late usage of earlier, sealed months)
 *   credits    = the credits the statement's rows burnt at admission, by grant (domain/credits.ts: each
 *                row names the grant that paid for it), in grant order, up to the subtotal
 *   total      = subtotal − credits
 *
 * Credits are burnt down at admission, in the batch that holds a message's worst case, so no grant is
 * overdrawn mid-month; a statement credits what its rows burnt: the month's own (its UTC days'
 * `credits.byGrant`) and those of late rows of sealed months it carries. A grant's lines over all
 * statements never pass its amount (the walk's remaining amount caps them: a row recovered after its
 * hold expired is settled anyway and could pass it), and the credits never take the total below 0.
 */
import { createHash } from "node:crypto";
import { divRoundHalfUp } from "../base/money";
import { monthEndMillis } from "../base/months";
import type { StatementLine, StatementStatus, StatementUsage, StatementView } from "../contract/statements";
import { grantOrder } from "./credits";
import { BASIS_POINTS, tierBands, type CreditGrant, type Plan } from "./plans";

export { grantOrder } from "./credits";

/** Days after a month ends before its statement is final: rows admitted in the month but written late (retries, recovery of a failed write, a trigger retried through an outage) land in it first. */
export const STATEMENT_GRACE_DAYS = 3;
const GRACE_MS = STATEMENT_GRACE_DAYS * 86_400_000;

/** A month's production usage (messages and list cost), as the account rollup sums it. */
export type MonthUsage = StatementUsage;

/** The month's usage from its UTC days (production only: development is never billed), with the credits its rows burnt. */
export function monthUsage(
  days: readonly { production: { messages: number; costMicros: number }; credits?: { byGrant: ReadonlyMap<string, number> } }[],
): MonthUsage {
  let messages = 0n;
  let list = 0n;
  const credits = new Map<string, bigint>();
  for (const day of days) {
    messages += BigInt(day.production.messages);
    list += BigInt(day.production.costMicros);
    for (const [grantId, micros] of day.credits?.byGrant ?? []) credits.set(grantId, (credits.get(grantId) ?? 0n) + BigInt(micros));
  }
  const byGrant = [...credits].filter(([, micros]) => micros > 0n).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    messages: safe(messages, "messages"),
    listMicros: safe(list, "list cost"),
    ...(byGrant.length
      ? { creditsByGrant: Object.fromEntries(byGrant.map(([id, micros]) => [id, safe(micros, `credits of ${id}`)])) }
      : {}),
  };
}

/** A grant with what is left of it before this statement: what the statement may credit of it at most. */
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
  /** The credits its late rows burnt, by grant (credited on the statement that carries it); absent: none. */
  credits?: Record<string, number>;
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
  const credits: Record<string, number> = {};
  for (const [grantId, micros] of Object.entries(now.creditsByGrant ?? {})) {
    const late = micros - (billed.usage.creditsByGrant?.[grantId] ?? 0);
    if (late > 0) credits[grantId] = late;
  }
  const sameCredits = Object.keys(credits).length === 0;
  if (now.messages === billed.usage.messages && now.listMicros === billed.usage.listMicros && sameCredits) return null;
  const charges = planCharges(billed.plan, now).charges;
  return {
    month,
    usage: now,
    billed: billed.usage,
    chargesMicros: safe(charges, "late charges"),
    amountMicros: safe(charges - BigInt(billed.chargesMicros), "adjustment"),
    ...(sameCredits ? {} : { credits }),
  };
}

export interface StatementInput {
  month: string;
  plan: Plan;
  usage: MonthUsage;
  /** The account's grants with what is left of them: the most each may be credited. */
  credits: readonly GrantBalance[];
  previousAdjustments: readonly LateUsage[];
  status: StatementStatus;
}

/** The credits the statement's rows burnt, by grant: the month's own and the late rows' of the months it carries. */
function burntCredits(usage: MonthUsage, late: readonly LateUsage[]): Map<string, bigint> {
  const burnt = new Map<string, bigint>();
  for (const byGrant of [usage.creditsByGrant ?? {}, ...late.map((l) => l.credits ?? {})]) {
    for (const [grantId, micros] of Object.entries(byGrant)) burnt.set(grantId, (burnt.get(grantId) ?? 0n) + BigInt(micros));
  }
  return burnt;
}

/**
 * Credits what the rows burnt, grant by grant in grant order (grants no longer on the account last,
 * by id), each at most what is left of it and all together at most the subtotal: each a negative line.
 */
function applyCredits(subtotal: bigint, burnt: ReadonlyMap<string, bigint>, balances: readonly GrantBalance[]) {
  const known = new Map(balances.map((b) => [b.grant.grantId, b]));
  const order = (a: string, b: string) => {
    const [ga, gb] = [known.get(a), known.get(b)];
    if (ga && gb) return grantOrder(ga.grant, gb.grant);
    if (ga || gb) return ga ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const lines: StatementLine[] = [];
  const used: { grantId: string; micros: number }[] = [];
  let left = subtotal > 0n ? subtotal : 0n;
  for (const grantId of [...burnt.keys()].sort(order)) {
    const balance = known.get(grantId);
    let applied = burnt.get(grantId)!;
    if (balance && BigInt(balance.remainingMicros) < applied) applied = BigInt(balance.remainingMicros);
    if (left < applied) applied = left;
    if (applied <= 0n) continue;
    left -= applied;
    lines.push(line("credit", `Credit ${grantId}`, 1, -applied));
    used.push({ grantId, micros: safe(applied, "credit") });
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
  const credits = applyCredits(subtotal, burntCredits(usage, input.previousAdjustments), input.credits);
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
    usage: {
      messages: usage.messages,
      listMicros: usage.listMicros,
      ...(usage.creditsByGrant ? { creditsByGrant: { ...usage.creditsByGrant } } : {}),
    },
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
