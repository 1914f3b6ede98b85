/**
 * Organisations and their members (issue #18, first slice): create one, add, re-role and remove
 * members, list them. Who may do what is domain/orgs.ts's; the transactions are store/orgs.ts's.
 */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import type {
  AddOrgMemberRequest,
  CreateOrgRequest,
  CreateOrgResponse,
  ListOrgMembersRequest,
  ListOrgMembersResponse,
  OrgMemberRole,
  OrgMemberView,
  RemoveOrgMemberRequest,
  RemoveOrgMemberResponse,
  SetOrgBudgetsRequest,
  OrgBillingInfoRequest,
  OrgBillingInfoResponse,
  OrgBudgetsResponse,
  SetOrgMemberRoleRequest,
} from "../contract/orgs";
import { ORG_ROLES } from "../contract/orgs";
import { notFound } from "../errors";
import { NO_BUDGETS, orgSpendScope, type OrgBudgets } from "../domain/orgs";
import { buildOrgBilling } from "../domain/org-billing";
import type { Deltas } from "../domain/rollups";
import { daysInRange, utcWindows } from "../base/periods";
import { agentRef } from "../store/agents";
import { readSpend } from "../store/spend";
import { accountRange } from "./account";
import { addMember, assertMayManage, changeMember, createOrg, listMembers, readOrgDays, setBudgets, type MemberDoc } from "../store/orgs";
import type { AuthUser } from "../store/users";

/** Who calls: their uid, and their email when their ID token has one. */
interface Caller {
  uid: string;
  email?: string;
}

/** createOrg: a new org whose only member, its owner, is the caller. `newOrgId` is injectable for tests. */
export async function handleCreateOrg(
  db: Firestore,
  caller: Caller,
  req: CreateOrgRequest,
  now: number,
  newOrgId: () => string = randomUUID,
): Promise<CreateOrgResponse> {
  const orgId = newOrgId();
  await createOrg(db, { orgId, name: req.name, owner: { uid: caller.uid, email: caller.email?.toLowerCase() ?? null } }, now);
  return { orgId };
}

/**
 * addOrgMember: the user with that email joins with that role. The caller's right is checked before
 * the email is looked up, so that nobody outside the org's managers learns whether it has an account.
 */
export async function handleAddOrgMember(
  db: Firestore,
  caller: Caller,
  req: AddOrgMemberRequest,
  now: number,
  findUser: (email: string) => Promise<AuthUser | null>,
): Promise<OrgMemberRole> {
  await assertMayManage(db, req.orgId, caller.uid);
  const user = await findUser(req.email);
  if (!user) throw notFound(`A user with the email "${req.email}"`);
  await addMember(db, req.orgId, caller.uid, { uid: user.uid, email: user.email ?? req.email, role: req.role }, now);
  return { uid: user.uid, role: req.role };
}

/** setOrgMemberRole: a member's new role. */
export async function handleSetOrgMemberRole(
  db: Firestore,
  caller: Caller,
  req: SetOrgMemberRoleRequest,
  now: number,
): Promise<OrgMemberRole> {
  await changeMember(db, req.orgId, caller.uid, req.uid, req.role, now);
  return { uid: req.uid, role: req.role };
}

/** removeOrgMember: the member leaves the org. */
export async function handleRemoveOrgMember(
  db: Firestore,
  caller: Caller,
  req: RemoveOrgMemberRequest,
  now: number,
): Promise<RemoveOrgMemberResponse> {
  await changeMember(db, req.orgId, caller.uid, req.uid, null, now);
  return { uid: req.uid, removed: true };
}

const memberView = (m: MemberDoc): OrgMemberView => ({
  uid: m.userId,
  role: m.role,
  email: m.email,
  addedAt: m.addedAt.toDate().toISOString(),
  addedBy: m.addedBy,
});

/** Owners first, then down the roles; within a role, by when they were added. */
const byRoleThenAdded = (a: MemberDoc, b: MemberDoc) =>
  ORG_ROLES.indexOf(a.role) - ORG_ROLES.indexOf(b.role) || a.addedAt.toMillis() - b.addedAt.toMillis() || a.userId.localeCompare(b.userId);

/** listOrgMembers: every member of the org, for any member. */
export async function handleListOrgMembers(db: Firestore, caller: Caller, req: ListOrgMembersRequest): Promise<ListOrgMembersResponse> {
  const { org, members } = await listMembers(db, req.orgId, caller.uid);
  return { orgId: org.orgId, name: org.name, items: members.sort(byRoleThenAdded).map(memberView) };
}

/** setOrgBudgets: the org's budgets after the change, for an owner, an admin or a billing member. The request's USD fields are micros once parsed. */
export async function handleSetOrgBudgets(
  db: Firestore,
  caller: Caller,
  req: SetOrgBudgetsRequest,
  now: number,
): Promise<OrgBudgetsResponse> {
  const change: Partial<OrgBudgets> = {
    ...(req.dailyLimitUsd !== undefined && { dailyLimitMicros: req.dailyLimitUsd }),
    ...(req.monthlyLimitUsd !== undefined && { monthlyLimitMicros: req.monthlyLimitUsd }),
    ...(req.memberDailyLimitUsd !== undefined && { memberDailyLimitMicros: req.memberDailyLimitUsd }),
    ...(req.memberMonthlyLimitUsd !== undefined && { memberMonthlyLimitMicros: req.memberMonthlyLimitUsd }),
  };
  return { orgId: req.orgId, ...(await setBudgets(db, req.orgId, caller.uid, change, now)) };
}

/**
 * getOrgBillingInfo: the org's costs over the range (UTC days; getAccountOverview's defaults and
 * bounds), by agent and by member with the shared cost allocated exactly, and its budgets with what
 * is spent against them. For any member: every role sees costs, none sees message text here.
 */
export async function handleOrgBillingInfo(
  db: Firestore,
  caller: Caller,
  req: OrgBillingInfoRequest,
  now: number,
): Promise<OrgBillingInfoResponse> {
  const { org, members } = await listMembers(db, req.orgId, caller.uid);
  const { from, to } = accountRange(req, now);
  const [days, spend] = await Promise.all([
    readOrgDays(db, req.orgId, daysInRange(from, to)),
    readSpend(db, orgSpendScope(req.orgId), utcWindows(now), now),
  ]);
  const agentIds = [...new Set(days.flatMap((day) => Object.keys((day.byAgent as Deltas | undefined) ?? {})))];
  const agents = agentIds.length ? await db.getAll(...agentIds.map((id) => agentRef(db, id))) : [];
  const agentNames = new Map(agents.map((snap, i) => [agentIds[i], (snap.get("name") as string | undefined) ?? null]));
  const figures = buildOrgBilling({ days, members: members.map((m) => ({ uid: m.userId, email: m.email, role: m.role })), agentNames });
  const budgets = { ...NO_BUDGETS, ...org.budgets };
  return {
    orgId: org.orgId,
    name: org.name,
    from,
    to,
    ...figures,
    limits: { ...budgets, todaySpentMicros: spend.daySpentMicros, monthSpentMicros: spend.monthSpentMicros },
  };
}
