/**
 * Organisations, pure: what each role may do (one table, as data), and the rules every change of
 * membership obeys. The store applies them inside the transaction that makes the change, on the
 * membership documents it has just read (they are the source of truth: no custom claims).
 */
import type { OrgRole } from "../contract/orgs";

/** What a member may be allowed to do in an org. */
export const ORG_ACTIONS = [
  "manageMembers",
  "manageAgents",
  "changeAgentSettings",
  "sendMessages",
  "readConversations",
  "seeCosts",
] as const;
export type OrgAction = (typeof ORG_ACTIONS)[number];

/**
 * The permission table: for each role, the actions it may take.
 *
 * - `manageMembers`: add and remove members and change their roles (further limited by
 *   {@link checkMemberChange}: only an owner grants or takes away `owner`).
 * - `manageAgents`: create agents owned by the org and edit their profile (name, model,
 *   instructions: the model decides what every message costs). Agents are written by clients, so
 *   the security rules enforce this one (firestore.rules, `orgRoleIn`, with the same roles).
 * - `changeAgentSettings`: an org agent's billing settings and status (limits, alerts, pause).
 * - `sendMessages`: send messages to an org agent (they are billed).
 * - `readConversations`: read prompts and answers (the text of the ledger rows).
 * - `seeCosts`: figures: costs, tokens, message counts, statements. Never message text.
 *
 * `billing` runs the money side (settings are limits and alerts) and never sees a conversation;
 * `developer` builds with the agents and sees costs (every answer of sendMessage carries its own);
 * `viewer` sees figures only.
 * The callables enforce every action from the membership document they read (store/agents.ts
 * loadAgentFor, handlers/send-message); the rules enforce `manageAgents` and `readConversations`
 * for clients' own reads and writes.
 */
// prettier-ignore
export const PERMISSIONS: Readonly<Record<OrgRole, Readonly<Record<OrgAction, boolean>>>> = {
  owner:     { manageMembers: true,  manageAgents: true,  changeAgentSettings: true,  sendMessages: true,  readConversations: true,  seeCosts: true },
  admin:     { manageMembers: true,  manageAgents: true,  changeAgentSettings: true,  sendMessages: true,  readConversations: true,  seeCosts: true },
  billing:   { manageMembers: false, manageAgents: false, changeAgentSettings: true,  sendMessages: false, readConversations: false, seeCosts: true },
  developer: { manageMembers: false, manageAgents: false, changeAgentSettings: false, sendMessages: true,  readConversations: true,  seeCosts: true },
  viewer:    { manageMembers: false, manageAgents: false, changeAgentSettings: false, sendMessages: false, readConversations: false, seeCosts: true },
};

/** Whether a member of `role` may take `action`; a non-member (null) may take none. */
export function can(role: OrgRole | null, action: OrgAction): boolean {
  return role !== null && PERMISSIONS[role][action];
}

/**
 * An org's budgets (issue #18), in micro-USD, null for none: the org's own over all its agents, and
 * each member's over the messages they send to them, over UTC days and months. Every production
 * message of an org agent passes each of them, and its agent's own limits, in one admission
 * (handlers/send-message/spend.ts). Set by setOrgBudgets, which refuses budgets that contradict
 * each other (checkBudgets).
 */
export interface OrgBudgets {
  dailyLimitMicros: number | null;
  monthlyLimitMicros: number | null;
  memberDailyLimitMicros: number | null;
  memberMonthlyLimitMicros: number | null;
}

export const NO_BUDGETS: OrgBudgets = {
  dailyLimitMicros: null,
  monthlyLimitMicros: null,
  memberDailyLimitMicros: null,
  memberMonthlyLimitMicros: null,
};

/** Whether two reads of an org's budgets found the same budgets. */
export const sameBudgets = (a: OrgBudgets, b: OrgBudgets): boolean =>
  a.dailyLimitMicros === b.dailyLimitMicros &&
  a.monthlyLimitMicros === b.monthlyLimitMicros &&
  a.memberDailyLimitMicros === b.memberDailyLimitMicros &&
  a.memberMonthlyLimitMicros === b.memberMonthlyLimitMicros;

/**
 * Why a set of budgets contradicts itself, or null when it does not. Each level's daily budget is
 * at most its monthly one (a day is part of its month), and a member's budget is at most the org's
 * of the same period (a member's messages are the org's). Budgets that are met are allowed to be
 * equal: a budget equal to another is redundant, not contradictory.
 */
export function checkBudgets(b: OrgBudgets): string | null {
  const pairs: [number | null, number | null, string][] = [
    [b.dailyLimitMicros, b.monthlyLimitMicros, "the org's daily budget is above its monthly budget"],
    [b.memberDailyLimitMicros, b.memberMonthlyLimitMicros, "a member's daily budget is above a member's monthly budget"],
    [b.memberDailyLimitMicros, b.dailyLimitMicros, "a member's daily budget is above the org's daily budget"],
    [b.memberMonthlyLimitMicros, b.monthlyLimitMicros, "a member's monthly budget is above the org's monthly budget"],
    [b.memberDailyLimitMicros, b.monthlyLimitMicros, "a member's daily budget is above the org's monthly budget"],
  ];
  for (const [lower, upper, why] of pairs) if (lower !== null && upper !== null && lower > upper) return why;
  return null;
}

/** The spend scope of an org's budgets (store/spend.ts), which never collides with an agent id (ids have no ":"). */
export const orgSpendScope = (orgId: string) => `org:${orgId}`;
/** The spend scope of one member's budgets in an org. */
export const memberSpendScope = (orgId: string, uid: string) => `org:${orgId}:member:${uid}`;

/** The scopes a production message of an org agent holds in: the org's, and its sender's when a member sent it (not the agent API). */
export const orgSpendScopes = (orgId: string | undefined, senderUid: string | undefined): string[] =>
  orgId === undefined ? [] : [orgSpendScope(orgId), ...(senderUid === undefined ? [] : [memberSpendScope(orgId, senderUid)])];

/** The most members an org may have (listOrgMembers answers them all in one page). */
export const MAX_ORG_MEMBERS = 500;

/** A change of membership, as the actor asks for it. `from` is the target's current role. */
export type MemberChange =
  | { kind: "add"; role: OrgRole }
  | { kind: "setRole"; targetUid: string; from: OrgRole; to: OrgRole }
  | { kind: "remove"; targetUid: string; from: OrgRole };

/** The org as the change finds it. */
export interface MemberChangeContext {
  actorUid: string;
  /** The actor's role, null when the actor is not a member. */
  actorRole: OrgRole | null;
  ownerCount: number;
  memberCount: number;
}

/** Why a change is refused, with the error code the callable answers. */
export interface Refusal {
  code: "permission-denied" | "failed-precondition";
  message: string;
}

const denied = (message: string): Refusal => ({ code: "permission-denied", message });

/** The roles a change gives and takes away. */
function rolesTouched(change: MemberChange): OrgRole[] {
  if (change.kind === "add") return [change.role];
  if (change.kind === "remove") return [change.from];
  return [change.from, change.to];
}

/** Whether the change leaves the org with one owner fewer. */
const losesAnOwner = (change: MemberChange) =>
  change.kind !== "add" && change.from === "owner" && (change.kind === "remove" || change.to !== "owner");

/** The first rule of every change: the actor is a member whose role may manage members. Null when so. */
export function checkManager(ctx: Pick<MemberChangeContext, "actorRole">): Refusal | null {
  if (ctx.actorRole === null) return denied("You are not a member of this organisation.");
  if (!can(ctx.actorRole, "manageMembers")) return denied(`A ${ctx.actorRole} member cannot manage members; ask an owner or an admin.`);
  return null;
}

/**
 * The rules of a membership change, in order: the actor must be a member who may manage members;
 * nobody changes or removes their own membership; only an owner grants or takes away `owner` (an
 * admin cannot); an org always keeps at least one owner; an org holds at most
 * {@link MAX_ORG_MEMBERS}. Returns null when the change is allowed.
 */
export function checkMemberChange(ctx: MemberChangeContext, change: MemberChange): Refusal | null {
  const manager = checkManager(ctx);
  if (manager) return manager;
  if (change.kind !== "add" && change.targetUid === ctx.actorUid)
    return denied("Nobody changes or removes their own membership; ask another owner or admin.");
  if (ctx.actorRole !== "owner" && rolesTouched(change).includes("owner"))
    return denied("Only an owner grants or takes away the owner role.");
  if (losesAnOwner(change) && ctx.ownerCount <= 1)
    return { code: "failed-precondition", message: "An organisation keeps at least one owner." };
  if (change.kind === "add" && ctx.memberCount >= MAX_ORG_MEMBERS)
    return { code: "failed-precondition", message: `An organisation has at most ${MAX_ORG_MEMBERS} members.` };
  return null;
}

/** Whether the change makes one more owner. */
const gainsAnOwner = (change: MemberChange) =>
  (change.kind === "add" && change.role === "owner") || (change.kind === "setRole" && change.to === "owner" && change.from !== "owner");

/** The org's counts after an allowed change. */
export function countsAfter(ctx: { ownerCount: number; memberCount: number }, change: MemberChange) {
  return {
    ownerCount: ctx.ownerCount + (gainsAnOwner(change) ? 1 : 0) - (losesAnOwner(change) ? 1 : 0),
    memberCount: ctx.memberCount + (change.kind === "add" ? 1 : change.kind === "remove" ? -1 : 0),
  };
}
