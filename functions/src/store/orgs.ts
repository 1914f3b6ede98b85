/**
 * Organisations in Firestore: `billing_orgs/{orgId}` and `billing_orgs/{orgId}/members/{uid}`,
 * written by the backend only (members read them: firestore.rules). The member documents are the
 * source of truth for roles. Every change of membership runs in one transaction that reads the org,
 * the actor's membership and the target's, applies domain/orgs.ts's rules to what it read, and
 * writes the member and the org's counts: the org document is written by every change, so two
 * concurrent changes of one org never both commit on the same counts (the last owner stays).
 */
import { Timestamp, type DocumentReference, type DocumentSnapshot, type Firestore, type Transaction } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import { orgDayId } from "../domain/ids";
import { rollupNamed, sumCounters, type Deltas } from "../domain/rollups";
import { readRollupDocs } from "./rollup-reads";
import type { OrgRole } from "../contract/orgs";
import {
  can,
  checkBudgets,
  checkManager,
  checkMemberChange,
  countsAfter,
  MAX_ORG_MEMBERS,
  NO_BUDGETS,
  type MemberChange,
  type OrgBudgets,
  type Refusal,
} from "../domain/orgs";
import { alreadyExists, BillingError, invalidArgument, notFound, permissionDenied } from "../errors";

/** An org. `ownerCount` and `memberCount` are kept by the transactions below. */
export interface OrgDoc {
  orgId: string;
  name: string;
  createdBy: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  ownerCount: number;
  memberCount: number;
  /** Its budgets; absent: none (domain/orgs.ts OrgBudgets). */
  budgets?: OrgBudgets;
}

/** A membership; its id is the member's uid. */
export interface MemberDoc {
  orgId: string;
  userId: string;
  role: OrgRole;
  /** The member's email when they were added (shown to the other members). */
  email: string | null;
  addedBy: string;
  addedAt: Timestamp;
  updatedAt: Timestamp;
}

export const orgRef = (db: Firestore, orgId: string): DocumentReference => db.doc(`${COLLECTIONS.orgs}/${orgId}`);
export const memberRef = (db: Firestore, orgId: string, uid: string): DocumentReference =>
  db.doc(`${COLLECTIONS.orgs}/${orgId}/${COLLECTIONS.orgMembers}/${uid}`);

/** The budgets of an org as read (none set: every one null); null when the org does not exist. */
export const budgetsOf = (snap: DocumentSnapshot): OrgBudgets | null =>
  snap.exists ? { ...NO_BUDGETS, ...(snap.get("budgets") ?? {}) } : null;

/** The role of a membership as read; null when there is none. */
export const roleOf = (snap: DocumentSnapshot): OrgRole | null => (snap.exists ? (snap.get("role") as OrgRole) : null);

/**
 * The orgs' budgets this instance read last, so that sendMessage can build a message's admission
 * before it reads the org again, in the read it makes anyway. As with the agents' copies, a copy is
 * never trusted alone: the message goes on only if that read finds the same budgets. Bounded: past
 * `capacity` orgs the one read longest ago is dropped.
 */
export class OrgBudgetCache {
  private readonly entries = new Map<string, OrgBudgets>();

  constructor(private readonly capacity = 1_000) {}

  get(orgId: string): OrgBudgets | undefined {
    return this.entries.get(orgId);
  }

  set(orgId: string, budgets: OrgBudgets): void {
    this.entries.delete(orgId);
    this.entries.set(orgId, budgets);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

const refuse = (refusal: Refusal | null): void => {
  if (refusal) throw new BillingError(refusal.code, refusal.message);
};

/** A new org and its first member, its owner, in one batch: both or neither. */
export async function createOrg(
  db: Firestore,
  org: { orgId: string; name: string; owner: { uid: string; email: string | null } },
  now: number,
): Promise<void> {
  const at = Timestamp.fromMillis(now);
  const { uid, email } = org.owner;
  const orgDoc: OrgDoc = { orgId: org.orgId, name: org.name, createdBy: uid, createdAt: at, updatedAt: at, ownerCount: 1, memberCount: 1 };
  const ownerDoc: MemberDoc = { orgId: org.orgId, userId: uid, role: "owner", email, addedBy: uid, addedAt: at, updatedAt: at };
  const batch = db.batch();
  batch.create(orgRef(db, org.orgId), orgDoc);
  batch.create(memberRef(db, org.orgId, uid), ownerDoc);
  await batch.commit();
}

type Read = (ref: DocumentReference) => Promise<DocumentSnapshot>;

/** The org and the caller's membership (read in a transaction or not); not-found for no such org. */
async function readOrgAs(read: Read, db: Firestore, orgId: string, actorUid: string) {
  const [orgSnap, actorSnap] = await Promise.all([read(orgRef(db, orgId)), read(memberRef(db, orgId, actorUid))]);
  if (!orgSnap.exists) throw notFound(`Organisation "${orgId}"`);
  const org = orgSnap.data() as OrgDoc;
  const actor = actorSnap.exists ? (actorSnap.data() as MemberDoc) : null;
  return { org, ctx: { actorUid, actorRole: actor?.role ?? null, ownerCount: org.ownerCount, memberCount: org.memberCount } };
}

const plainRead: Read = (ref) => ref.get();

/** Writes an allowed change's org counts. */
function updateCounts(tx: Transaction, db: Firestore, org: OrgDoc, change: MemberChange, at: Timestamp): void {
  tx.update(orgRef(db, org.orgId), { ...countsAfter(org, change), updatedAt: at });
}

/**
 * Checks, without writing, that `actorUid` may manage the members of `orgId` (so that nobody else
 * learns, through addOrgMember, whether an email has an account).
 */
export async function assertMayManage(db: Firestore, orgId: string, actorUid: string): Promise<void> {
  refuse(checkManager((await readOrgAs(plainRead, db, orgId, actorUid)).ctx));
}

/** Adds a member; already-exists when they are one (whatever their role), and nothing changes. */
export async function addMember(
  db: Firestore,
  orgId: string,
  actorUid: string,
  member: { uid: string; email: string | null; role: OrgRole },
  now: number,
): Promise<void> {
  await db.runTransaction(async (tx) => {
    const { org, ctx } = await readOrgAs((ref) => tx.get(ref), db, orgId, actorUid);
    refuse(checkManager(ctx));
    const existing = await tx.get(memberRef(db, orgId, member.uid));
    if (existing.exists) {
      const role = (existing.data() as MemberDoc).role;
      throw alreadyExists(`${member.email ?? member.uid} is already a member (${role}).`, { uid: member.uid, role });
    }
    const change: MemberChange = { kind: "add", role: member.role };
    refuse(checkMemberChange(ctx, change));
    const at = Timestamp.fromMillis(now);
    const doc: MemberDoc = {
      orgId,
      userId: member.uid,
      role: member.role,
      email: member.email,
      addedBy: actorUid,
      addedAt: at,
      updatedAt: at,
    };
    tx.create(memberRef(db, orgId, member.uid), doc);
    updateCounts(tx, db, org, change, at);
  });
}

/**
 * Gives a member a new role (`to`), or removes them (`to` null). Not-found for someone who is not a
 * member (told only to a caller who may manage members). Setting the role they have changes nothing.
 */
export async function changeMember(
  db: Firestore,
  orgId: string,
  actorUid: string,
  targetUid: string,
  to: OrgRole | null,
  now: number,
): Promise<void> {
  await db.runTransaction(async (tx) => {
    const { org, ctx } = await readOrgAs((ref) => tx.get(ref), db, orgId, actorUid);
    refuse(checkManager(ctx));
    const targetSnap = await tx.get(memberRef(db, orgId, targetUid));
    if (!targetSnap.exists) throw notFound(`Member "${targetUid}" of organisation "${orgId}"`);
    const from = (targetSnap.data() as MemberDoc).role;
    const change: MemberChange = to === null ? { kind: "remove", targetUid, from } : { kind: "setRole", targetUid, from, to };
    refuse(checkMemberChange(ctx, change));
    if (from === to) return;
    const at = Timestamp.fromMillis(now);
    if (to === null) tx.delete(memberRef(db, orgId, targetUid));
    else tx.update(memberRef(db, orgId, targetUid), { role: to, updatedAt: at });
    updateCounts(tx, db, org, change, at);
  });
}

/** The org and every member of it, for a caller who is one (permission-denied otherwise). */
export async function listMembers(db: Firestore, orgId: string, actorUid: string): Promise<{ org: OrgDoc; members: MemberDoc[] }> {
  const { org, ctx } = await readOrgAs(plainRead, db, orgId, actorUid);
  if (ctx.actorRole === null) throw permissionDenied("You are not a member of this organisation.");
  const snap = await orgRef(db, orgId).collection(COLLECTIONS.orgMembers).limit(MAX_ORG_MEMBERS).get();
  return { org, members: snap.docs.map((d) => d.data() as MemberDoc) };
}

/**
 * Changes the org's budgets (`change`: the fields given; null clears one) for a member whose role
 * may change settings, in one transaction over the org and the actor's membership, and returns
 * them. Budgets that contradict each other are refused with invalid-argument, and nothing changes.
 */
export async function setBudgets(
  db: Firestore,
  orgId: string,
  actorUid: string,
  change: Partial<OrgBudgets>,
  now: number,
): Promise<OrgBudgets> {
  return db.runTransaction(async (tx) => {
    const { org, ctx } = await readOrgAs((ref) => tx.get(ref), db, orgId, actorUid);
    if (ctx.actorRole === null) throw permissionDenied("You are not a member of this organisation.");
    if (!can(ctx.actorRole, "changeAgentSettings"))
      throw permissionDenied(`A ${ctx.actorRole} member cannot change budgets; ask an owner, an admin or a billing member.`);
    const budgets: OrgBudgets = { ...NO_BUDGETS, ...org.budgets, ...change };
    const contradiction = checkBudgets(budgets);
    if (contradiction) throw invalidArgument(`These budgets contradict each other: ${contradiction}.`);
    tx.update(orgRef(db, orgId), { budgets, updatedAt: Timestamp.fromMillis(now) });
    return budgets;
  });
}

const ORG_DAYS = rollupNamed("org");

/** The org's UTC days among `days` that have messages, each its counters with its open shards added (one read per day, plus shards). */
export async function readOrgDays(db: Firestore, orgId: string, days: readonly string[]): Promise<Deltas[]> {
  const { docs } = await readRollupDocs(
    db,
    ORG_DAYS,
    days.map((day) => orgDayId(orgId, day)),
  );
  return docs.flatMap((data) => (data ? [sumCounters(ORG_DAYS, [data])] : []));
}
