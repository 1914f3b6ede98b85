/**
 * The limits part of sendMessage. A new message is counted in the batch that claims it
 * ({@link countInto}: a duplicate counts nothing): against the caller's own limits (the rate limit,
 * free development messages per user), and against the agent's: the worst case of a production
 * message is held against its spending limits, a development message counted against its free
 * cap. Once that batch is committed, ONE read of every counter decides ({@link readAdmission}),
 * so limits add documents to that read, not a round trip. The hold ends with the ledger row, in
 * the same write (store/ledger.ts), or is given back by the undo when nothing is billed
 * ({@link giveBackInto}).
 */
import type { DocumentReference, DocumentSnapshot, Timestamp, WriteBatch } from "firebase-admin/firestore";
import { SPEND_SHARDS } from "../../domain/admission";
import { apiSpendScopes } from "../../domain/api-keys";
import { creditSpendScope, LIFETIME_WINDOWS, payingGrant } from "../../domain/credits";
import { orgSpendScopes } from "../../domain/orgs";
import { worstCaseCostMicros } from "../../domain/pricing";
import { utcWindows } from "../../base/periods";
import { resourceExhausted, type BillingError } from "../../errors";
import {
  countCallInto,
  countDevUserInto,
  devUserCapRefusal,
  devUserCounterRef,
  devUserDayOf,
  rateCounterRef,
  rateLimitRefusal,
  releaseDevUserInto,
  uncountCallInto,
} from "../../store/rate-limit";
import { heldOutcome, holdInto, releaseInto, spendShardRefs, type AdmissionCall } from "../../store/spend";
import type { PreparedMessage, SendMessageDeps } from "./context";

/** What a new message counts, from its claim until its row is written or it is given back. */
export interface Admission {
  /** When its claim was written: the version of the claim its undo may release. */
  claimWrittenAt: Timestamp | null;
  /** Its hold on the agent's spend windows (every new message has one). */
  spend: AdmissionCall;
  /**
   * Its holds on the other scopes it counts in: an agent API message's key and end user (every
   * API message holds in them, each decided against its own daily limit when it has one).
   */
  scopes: ScopedCall[];
  /**
   * Its holds in the owner's credit grants (domain/credits.ts), in paying order: a production
   * message of an owner with live grants holds its worst case in each, over the grant's lifetime
   * window, and is paid by the first in which it fits. They never refuse it.
   */
  credits: CreditCall[];
  /** Whether it is counted against the caller's rate limit. */
  rateLimited: boolean;
  /** The UTC day of the sender's development counter ({@link devUserOf}) it is counted in; null when not counted. */
  devUserDay: string | null;
}

/**
 * Whose free development messages a message counts against: the member who sent it to an org's
 * agent, else the owner sending it. (An agent API message is production: it counts against none.)
 */
export const devUserOf = (message: PreparedMessage): string => message.sender.member?.uid ?? message.uid;

const REFUSALS = {
  "daily-limit": "daily spending limit",
  "monthly-limit": "monthly spending limit",
  "dev-daily-cap": "daily development message cap",
} as const;

/** Whose limit refused a message: the agent's, an agent API key's, an end user's through a key, its org's, or the sending member's in it. */
export type LimitScope = "agent" | "key" | "end-user" | "org" | "member";

/** A hold in a scope other than the agent's, with whose it is. */
export type ScopedCall = AdmissionCall & { scope: LimitScope };

/** A hold in a credit grant: its scope is `credit:{uid}:{grantId}`, its limit the grant's amount over its lifetime. */
export type CreditCall = AdmissionCall & { grantId: string };

const SCOPE_WORDS: Record<LimitScope, string> = {
  agent: "the agent's",
  key: "this API key's",
  "end-user": "this end user's",
  org: "the organisation's",
  member: "your own",
};

/** The worst case a production message holds: its bounded prompt and `maxTokens` at the model's price. */
const worstCase = (message: PreparedMessage) =>
  message.req.testMode === "production" && message.price
    ? worstCaseCostMicros(message.bound.promptTokens, message.bound.completionTokens, message.price.price)
    : 0;

/**
 * What the message will count. Every production message holds its worst case, even on an agent
 * without limits (no read then), so that a limit set while it runs still counts it.
 */
export function admissionOf(deps: SendMessageDeps, message: PreparedMessage): Admission {
  const billing = message.agent.billing ?? {};
  const limits = { dailyMicros: billing.dailyLimitMicros ?? null, monthlyMicros: billing.monthlyLimitMicros ?? null };
  const production = message.req.testMode === "production";
  const spend: AdmissionCall = {
    agentId: message.req.agentId,
    reservationId: message.id,
    mode: message.req.testMode,
    windows: message.windows,
    amountMicros: worstCase(message),
    limits,
    devDailyMessageCap: deps.devDailyMessageCap,
    now: message.at,
    expiresAt: message.at + deps.claimTtlMs,
    checkLimits: !production || limits.dailyMicros !== null || limits.monthlyMicros !== null,
  };
  const rateLimited = deps.userLimits !== null;
  const devUserDay = rateLimited && !production ? devUserDayOf(message.at) : null;
  const credits = production ? creditScopes(spend, message) : [];
  const scopes = [...apiScopes(spend, message), ...(production ? orgScopes(spend, message) : [])];
  return { claimWrittenAt: null, spend, scopes, credits, rateLimited, devUserDay };
}

/**
 * The org scopes of an org agent's production message (domain/orgs.ts): the org's, and the sending
 * member's when a member sent it, each held at its worst case over UTC windows and decided against
 * the org's budgets (as this instance last read them: the admission read checks them). So a message
 * passes the agent's limits, its org's and its member's in the one admission, by the one rule.
 */
function orgScopes(agent: AdmissionCall, message: PreparedMessage): ScopedCall[] {
  const org = message.org;
  if (!org) return [];
  const windows = utcWindows(message.at);
  const b = org.budgets;
  const scope = (agentId: string, dailyMicros: number | null, monthlyMicros: number | null, scope: LimitScope): ScopedCall => ({
    ...agent,
    agentId,
    scope,
    windows,
    limits: { dailyMicros, monthlyMicros },
    checkLimits: dailyMicros !== null || monthlyMicros !== null,
  });
  const [orgScope, member] = orgSpendScopes(org.orgId, org.senderUid);
  return [
    scope(orgScope, b.dailyLimitMicros, b.monthlyLimitMicros, "org"),
    ...(member === undefined ? [] : [scope(member, b.memberDailyLimitMicros, b.memberMonthlyLimitMicros, "member")]),
  ];
}

/** The grant scopes of a production message: each held at its worst case, decided against the grant's amount over its lifetime. */
function creditScopes(agent: AdmissionCall, message: PreparedMessage): CreditCall[] {
  return message.credits.map((grant) => ({
    ...agent,
    agentId: creditSpendScope(message.uid, grant.grantId),
    grantId: grant.grantId,
    windows: { ...LIFETIME_WINDOWS },
    limits: { dailyMicros: null, monthlyMicros: grant.amountMicros },
    checkLimits: true,
  }));
}

/** The key and end-user scopes of an agent API message, held like the agent's, each with its own daily limit. */
function apiScopes(agent: AdmissionCall, message: PreparedMessage): ScopedCall[] {
  const api = message.sender.api;
  if (!api) return [];
  const scope = (agentId: string, dailyMicros: number | null, scope: LimitScope): ScopedCall => ({
    ...agent,
    agentId,
    scope,
    limits: { dailyMicros, monthlyMicros: null },
    checkLimits: dailyMicros !== null,
  });
  const [key, endUser] = apiSpendScopes(api.keyId, api.endUserHash);
  return [
    scope(key, api.keyDailyLimitMicros, "key"),
    ...(endUser === undefined ? [] : [scope(endUser, api.endUserDailyLimitMicros, "end-user")]),
  ];
}

/** Adds to `batch` (the one that claims the message) everything the message counts. */
export function countInto(batch: WriteBatch, deps: SendMessageDeps, message: PreparedMessage, admission: Admission): void {
  if (admission.rateLimited) countCallInto(batch, deps.db, message.sender.rateKey, message.at);
  if (admission.devUserDay) countDevUserInto(batch, deps.db, devUserOf(message), message.at);
  holdInto(batch, deps.db, admission.spend);
  for (const scope of [...admission.scopes, ...admission.credits]) holdInto(batch, deps.db, scope);
  message.sender.api?.claimWrites?.(batch);
}

/** The one read of a counted message: the documents read alongside, and the refusal of its limits if any. */
export interface AdmissionRead {
  alongside: DocumentSnapshot[];
  refusal: BillingError | null;
  /** The grant that pays for the message (the first of its credit holds that fits), or null: the owner pays. */
  creditGrantId: string | null;
}

/**
 * Reads every counter of a counted message in one getAll, with `alongside` (documents the caller
 * needs before the agent call: one read, not a round trip each), and decides: the checks run in
 * order (rate limit, the caller's development cap, the agent's limits and free cap). A refused
 * message still holds its counts: the caller's undo gives them back ({@link giveBackInto}), except
 * the rate count (refused calls count, or a flood would never slow down).
 */
export async function readAdmission(
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Admission,
  alongside: DocumentReference[],
): Promise<AdmissionRead> {
  const limits = deps.userLimits;
  const rate = admission.rateLimited && limits ? [rateCounterRef(deps.db, message.sender.rateKey, message.at)] : [];
  const devUser = admission.devUserDay && limits ? [devUserCounterRef(deps.db, devUserOf(message), admission.devUserDay)] : [];
  const checked = [{ ...admission.spend, scope: "agent" as const }, ...admission.scopes].filter((c) => c.checkLimits);
  const shards = [...checked, ...admission.credits].flatMap((c) => spendShardRefs(deps.db, c.agentId));
  const snaps = await deps.db.getAll(...alongside, ...rate, ...devUser, ...shards);
  const counters = snaps.slice(alongside.length);
  const spendSnaps = counters.slice(rate.length + devUser.length);
  const refusal: BillingError | null =
    (rate.length && limits ? rateLimitRefusal(counters[0], limits, message.at) : null) ??
    (devUser.length && limits ? devUserCapRefusal(counters[rate.length], limits.devDailyUserCap) : null) ??
    spendRefusal(checked, spendSnaps);
  const creditSnaps = spendSnaps.slice(checked.length * SPEND_SHARDS);
  const creditGrantId = refusal ? null : payingGrant(creditOutcomes(admission.credits, creditSnaps));
  return { alongside: snaps.slice(0, alongside.length), refusal, creditGrantId };
}

/** Whether the message fits in each of its grants, from their shards in `credits` order. */
function creditOutcomes(credits: CreditCall[], snaps: DocumentSnapshot[]) {
  return credits.map((call, i) => ({
    grantId: call.grantId,
    fits: heldOutcome(snaps.slice(i * SPEND_SHARDS, (i + 1) * SPEND_SHARDS), call).ok,
  }));
}

/** The refusal of the first scope (agent, key, end user) whose limit the message would pass, from their shards in `checked` order. */
function spendRefusal(checked: ScopedCall[], snaps: DocumentSnapshot[]): BillingError | null {
  for (const [i, call] of checked.entries()) {
    const outcome = heldOutcome(snaps.slice(i * SPEND_SHARDS, (i + 1) * SPEND_SHARDS), call);
    if (outcome.ok) continue;
    const words = `${SCOPE_WORDS[call.scope]} ${REFUSALS[outcome.reason]}`;
    return resourceExhausted(`This message would exceed ${words}; the agent was not called.`, { ...outcome, scope: call.scope });
  }
  return null;
}

/** What a give-back leaves out or adds: see {@link giveBackInto}. */
export interface GiveBack {
  /** false when the hold is not this request's to end (store/spend.ts releaseInto). */
  hold?: boolean;
  /** true to give back the rate count too: only for a message that will be counted again at once. */
  rate?: boolean;
}

/**
 * Adds to `batch` the return of what an admission counted: its spend hold (unless `hold` is false),
 * its development counts, and its rate count only when `rate` is true (a refused call still counts,
 * or a flood would never slow down).
 */
export function giveBackInto(
  batch: WriteBatch,
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Admission,
  { hold = true, rate = false }: GiveBack = {},
): void {
  // The API and credit scopes are production holds: with `hold` false, releasing one writes nothing.
  for (const entry of [admission.spend, ...admission.scopes, ...admission.credits]) releaseInto(batch, deps.db, entry, { hold });
  if (admission.devUserDay) releaseDevUserInto(batch, deps.db, devUserOf(message), admission.devUserDay);
  if (rate && admission.rateLimited) uncountCallInto(batch, deps.db, message.sender.rateKey, message.at);
}
