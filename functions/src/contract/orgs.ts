/**
 * Organisations and their members (issue #18, first slice; DESIGN.md "More surface"): the roles,
 * and the requests and answers of createOrg, addOrgMember, setOrgMemberRole, removeOrgMember and
 * listOrgMembers. What each role may do is domain/orgs.ts's permission table.
 */
import { z } from "zod";
import { isWellFormedText } from "../base/text";
import { idSchema } from "./common";
import { usdAmount } from "./settings";
import { checkRange, realDaySchema } from "./analytics";
import { MAX_ACCOUNT_DAYS } from "./account";
import type { OrgBudgets } from "../domain/orgs";

/** The roles of an org member, from the most trusted. */
export const ORG_ROLES = ["owner", "admin", "billing", "developer", "viewer"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** The roles a new member may be added with: `owner` is granted only by an owner, with setOrgMemberRole. */
export const ADDABLE_ORG_ROLES = ["admin", "billing", "developer", "viewer"] as const;

const quoted = (roles: readonly string[]) => roles.map((r) => `"${r}"`).join(", ");

export const orgRoleSchema = z.enum(ORG_ROLES, { error: `must be one of ${quoted(ORG_ROLES)}` });
const addableRoleSchema = z.enum(ADDABLE_ORG_ROLES, { error: `must be one of ${quoted(ADDABLE_ORG_ROLES)}` });

/** An org's display name: 1-100 characters of well-formed text, trimmed. */
const orgNameSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(100, { error: "must be at most 100 characters" })
  .refine(isWellFormedText, { error: "must be well-formed Unicode text (it has a lone UTF-16 surrogate)" });

/** An email address, compared as Firebase Auth stores it (lower case). */
const emailSchema = z
  .string({ error: "must be a string" })
  .trim()
  .max(320, { error: "must be at most 320 characters" })
  .pipe(z.email({ error: "must be an email address" }))
  .transform((email) => email.toLowerCase());

export const createOrgRequestSchema = z.strictObject({ name: orgNameSchema });
export type CreateOrgRequest = z.output<typeof createOrgRequestSchema>;
export interface CreateOrgResponse {
  orgId: string;
}

export const addOrgMemberRequestSchema = z.strictObject({ orgId: idSchema, email: emailSchema, role: addableRoleSchema });
export type AddOrgMemberRequest = z.output<typeof addOrgMemberRequestSchema>;

/** A member's uid and role: what addOrgMember and setOrgMemberRole answer. */
export interface OrgMemberRole {
  uid: string;
  role: OrgRole;
}

export const setOrgMemberRoleRequestSchema = z.strictObject({ orgId: idSchema, uid: idSchema, role: orgRoleSchema });
export type SetOrgMemberRoleRequest = z.output<typeof setOrgMemberRoleRequestSchema>;

export const removeOrgMemberRequestSchema = z.strictObject({ orgId: idSchema, uid: idSchema });
export type RemoveOrgMemberRequest = z.output<typeof removeOrgMemberRequestSchema>;
export interface RemoveOrgMemberResponse {
  uid: string;
  removed: true;
}

export const listOrgMembersRequestSchema = z.strictObject({ orgId: idSchema });
export type ListOrgMembersRequest = z.output<typeof listOrgMembersRequestSchema>;

/** A member as the other members see them. Times are ISO-8601. */
export interface OrgMemberView {
  uid: string;
  role: OrgRole;
  email: string | null;
  addedAt: string;
  addedBy: string;
}

export interface ListOrgMembersResponse {
  orgId: string;
  name: string;
  /** Every member, owners first, then by when they were added. */
  items: OrgMemberView[];
}

/**
 * setOrgBudgets: the org's budgets over all its agents and each member's, in USD (converted exactly
 * to micros). An omitted field is left as it is, `null` clears it. Budgets that contradict each
 * other (domain/orgs.ts checkBudgets) are refused, and nothing is written.
 */
export const setOrgBudgetsRequestSchema = z.strictObject({
  orgId: idSchema,
  dailyLimitUsd: usdAmount.nullable().optional(),
  monthlyLimitUsd: usdAmount.nullable().optional(),
  memberDailyLimitUsd: usdAmount.nullable().optional(),
  memberMonthlyLimitUsd: usdAmount.nullable().optional(),
});
export type SetOrgBudgetsRequest = z.output<typeof setOrgBudgetsRequestSchema>;

/** An org's budgets as stored: micro-USD, null for none. */
export interface OrgBudgetsResponse {
  orgId: string;
  dailyLimitMicros: number | null;
  monthlyLimitMicros: number | null;
  memberDailyLimitMicros: number | null;
  memberMonthlyLimitMicros: number | null;
}

/**
 * getOrgBillingInfo: an org's costs over UTC days (default: this month to date; at most
 * MAX_ACCOUNT_DAYS), in total, by agent and by member, for any member (every role sees costs).
 */
export const orgBillingInfoRequestSchema = z
  .strictObject({ orgId: idSchema, from: realDaySchema.optional(), to: realDaySchema.optional() })
  .superRefine(checkRange(MAX_ACCOUNT_DAYS));
export type OrgBillingInfoRequest = z.output<typeof orgBillingInfoRequestSchema>;

/** Production (billed) figures, with development (free) apart. Money in micro-USD. */
export interface OrgFigures {
  costMicros: number;
  messages: number;
  tokens: number;
  devMessages: number;
  devShadowCostMicros: number;
}

export interface OrgBillingInfoResponse {
  orgId: string;
  name: string;
  from: string;
  to: string;
  totals: OrgFigures;
  /** Every agent with messages in the range, dearest first (then by id). */
  byAgent: (OrgFigures & { agentId: string; name: string | null })[];
  /**
   * Every member, and every former member who sent messages in the range (`role` null), dearest
   * allocation first (then by uid). `costMicros` is what they sent; `sharedCostMicros` their share
   * of the shared cost (largest remainder, in proportion to their own); `allocatedCostMicros` the
   * two together. The allocations sum exactly to `totals.costMicros`.
   */
  byMember: (OrgFigures & {
    uid: string;
    email: string | null;
    role: OrgRole | null;
    sharedCostMicros: number;
    allocatedCostMicros: number;
  })[];
  /** The messages no member sent (the agent API's, by the agents' end users): the cost shared by the members. */
  shared: OrgFigures;
  /** The org's budgets, and what is spent against the org's today and this month (UTC). */
  limits: OrgBudgets & { todaySpentMicros: number; monthSpentMicros: number };
}
