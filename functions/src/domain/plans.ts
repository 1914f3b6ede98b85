/**
 * Plans and accounts: what an owner pays each month, and the credit grants that pay for it. Pure.
 *
 * A plan (`billing_plans/{planId}`, backend-written, versioned: every change is a new `version`,
 * and a sealed statement keeps a copy of the version it was built with) has
 * - a monthly fee;
 * - an included allowance, in micro-USD of list cost: the first `includedMicros` of the month's
 *   production list cost are covered;
 * - a markup in basis points over the list cost left after the allowance (the billable list cost);
 * - per-message tiers over the month's production **messages** (the tier unit is the message, so a
 *   tier's charge is an exact integer, messages × micros per message): `graduated` charges each
 *   tier's messages at its price, `volume` charges every message at the price of the tier the
 *   month's count falls in;
 * - a minimum: a month whose charges are below it is topped up to it.
 *
 * An account (`billing_accounts/{uid}`, backend-written) names the plan and holds credit grants.
 * An owner with no account, or an account that names no plan, is on {@link DEFAULT_PLAN}.
 */
import { z } from "zod";

/** 100% in basis points. */
export const BASIS_POINTS = 10_000;

/** Plan figures stay far below Number.MAX_SAFE_INTEGER: a plan of up to $1e9 a month. */
const MAX_PLAN_MICROS = 1_000_000_000_000_000;
const MAX_MARKUP_BPS = 1_000_000;
const MAX_TIERS = 20;
const MAX_GRANTS = 100;

const micros = (max = MAX_PLAN_MICROS) =>
  z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer of micro-USD" })
    .min(0, { error: "must not be negative" })
    .max(max, { error: `must be at most ${max}` });

const planIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "must be 1-64 characters of A-Z, a-z, 0-9, _ or -" });

export const tierSchema = z.strictObject({
  /** The last message of the tier (inclusive); null for the last tier, which has no end. */
  upToMessages: z.number().int().min(1, { error: "must be at least 1" }).max(Number.MAX_SAFE_INTEGER).nullable(),
  /** Micro-USD per message in this tier. */
  unitMicros: micros(),
});
export type PlanTier = z.infer<typeof tierSchema>;

export const planSchema = z
  .strictObject({
    planId: planIdSchema,
    version: z.number().int().min(1, { error: "must be a version number from 1" }),
    name: z.string().min(1).max(200),
    monthlyFeeMicros: micros(),
    includedMicros: micros(),
    markupBps: z
      .number()
      .int()
      .min(0)
      .max(MAX_MARKUP_BPS, { error: `must be at most ${MAX_MARKUP_BPS} basis points` }),
    minimumMicros: micros(),
    tierMode: z.enum(["graduated", "volume"], { error: 'must be "graduated" or "volume"' }),
    tiers: z.array(tierSchema).max(MAX_TIERS),
  })
  .superRefine((plan, ctx) => {
    plan.tiers.forEach((tier, i) => {
      const last = i === plan.tiers.length - 1;
      if (last !== (tier.upToMessages === null)) {
        ctx.addIssue({ code: "custom", path: ["tiers", i, "upToMessages"], message: "must be null on the last tier only" });
      }
      const before = i > 0 ? plan.tiers[i - 1].upToMessages : 0;
      if (tier.upToMessages !== null && before !== null && tier.upToMessages <= before) {
        ctx.addIssue({ code: "custom", path: ["tiers", i, "upToMessages"], message: `must be above the tier before (${before})` });
      }
    });
  });
export type Plan = z.infer<typeof planSchema>;
export type TierMode = Plan["tierMode"];

/** The plan of an owner whose account names none: list cost, no fee, no allowance, no minimum. */
export const DEFAULT_PLAN: Plan = Object.freeze({
  planId: "payg",
  version: 1,
  name: "Pay as you go",
  monthlyFeeMicros: 0,
  includedMicros: 0,
  markupBps: 0,
  minimumMicros: 0,
  tierMode: "graduated",
  tiers: [],
}) as Plan;

const instantSchema = z.iso.datetime({ offset: false, error: "must be an ISO instant in UTC (…Z)" });

export const creditGrantSchema = z.strictObject({
  grantId: planIdSchema,
  amountMicros: micros(),
  /** 0 is applied first, 100 last (Stripe's credit grant priorities). */
  priority: z.number().int().min(0).max(100),
  /** Null: never expires. */
  expiresAt: instantSchema.nullable(),
  /** When the grant starts to count; absent: always. */
  effectiveAt: instantSchema.optional(),
});
export type CreditGrant = z.infer<typeof creditGrantSchema>;

export const accountSchema = z.strictObject({
  userId: z.string().min(1),
  planId: planIdSchema.optional(),
  credits: z.array(creditGrantSchema).max(MAX_GRANTS).default([]),
  /** The Stripe customer (the invertase extension's `customers/{uid}.stripeId` where installed). */
  stripeCustomerId: z.string().min(1).max(255).optional(),
  /** The first month the account is billed for (a plan with a fee bills months with no usage). */
  startMonth: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
    .optional(),
  createdAt: z.unknown().optional(),
  updatedAt: z.unknown().optional(),
});
export type BillingAccount = z.infer<typeof accountSchema>;

/** Reads backend-written data with a schema. @throws RangeError naming the document and the field. */
function readWith<S extends z.ZodType>(schema: S, data: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new RangeError(`${where}.${issue.path.join(".") || "(document)"}: ${issue.message}`);
}

/** A stored plan, validated; `planId` comes from the document id. */
export const readPlan = (planId: string, data: unknown): Plan =>
  readWith(planSchema, { ...(data as object), planId }, `billing_plans/${planId}`);

/** A stored account, validated. */
export const readAccount = (uid: string, data: unknown): BillingAccount => readWith(accountSchema, data, `billing_accounts/${uid}`);

/** One tier's share of the month's messages. */
export interface TierBand {
  /** The first and last message of the tier (last: null for the open-ended tier). */
  from: number;
  upTo: number | null;
  messages: number;
  unitMicros: number;
  amountMicros: bigint;
}

/**
 * The tiers the month's `messages` reach, each with its messages and charge (exact integers). A
 * graduated plan gives every tier reached; a volume plan gives the one tier the count falls in,
 * charging every message at its price. No messages: no band.
 */
export function tierBands(plan: Pick<Plan, "tierMode" | "tiers">, messages: number): TierBand[] {
  if (messages <= 0 || !plan.tiers.length) return [];
  const bands: TierBand[] = [];
  let before = 0;
  for (const tier of plan.tiers) {
    const end = tier.upToMessages;
    if (plan.tierMode === "volume") {
      if (end === null || messages <= end) {
        return [
          { from: before + 1, upTo: end, messages, unitMicros: tier.unitMicros, amountMicros: BigInt(messages) * BigInt(tier.unitMicros) },
        ];
      }
    } else {
      const inTier = Math.min(messages, end ?? messages) - before;
      if (inTier > 0) {
        bands.push({
          from: before + 1,
          upTo: end,
          messages: inTier,
          unitMicros: tier.unitMicros,
          amountMicros: BigInt(inTier) * BigInt(tier.unitMicros),
        });
      }
      if (end === null || messages <= end) break;
    }
    before = end ?? before;
  }
  return bands;
}
