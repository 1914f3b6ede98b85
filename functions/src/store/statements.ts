/**
 * Reads and writes of statements: the owner's account and plan, the sealed statements, the usage
 * of a month (the account rollup's UTC days, shards included), and sealing, which is one create()
 * on the statement's derived id: a second or concurrent sealer finds it there and writes nothing.
 */
import { FieldValue, type DocumentData, type Firestore } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import { daysOfMonth } from "../base/months";
import { isAlreadyExists } from "../errors";
import { DEFAULT_PLAN, readAccount, readPlan, type BillingAccount, type Plan } from "../domain/plans";
import { monthUsage, statementHash, statementId, type MonthUsage, type SealedStatement } from "../domain/statements";
import { readAccountDays } from "./account";

/** The owner's account (null without one) and the plan it names: the default plan when it names none; null for a plan that does not exist. */
export async function readAccountAndPlan(
  db: Firestore,
  uid: string,
): Promise<{ account: BillingAccount | null; planId: string; plan: Plan | null }> {
  const snap = await db.doc(`${COLLECTIONS.accounts}/${uid}`).get();
  const account = snap.exists ? readAccount(uid, snap.data()) : null;
  const planId = account?.planId ?? DEFAULT_PLAN.planId;
  const planSnap = await db.doc(`${COLLECTIONS.plans}/${planId}`).get();
  if (planSnap.exists) return { account, planId, plan: readPlan(planId, planSnap.data()) };
  return { account, planId, plan: planId === DEFAULT_PLAN.planId ? DEFAULT_PLAN : null };
}

/**
 * A stored statement, checked against its hash: a sealed statement is never changed, so one whose
 * fields no longer give its hash is refused rather than shown.
 */
function readSealed(uid: string, id: string, data: DocumentData): SealedStatement {
  const { sealedAt: _sealedAt, hash, userId, ...body } = data;
  if (userId !== uid || typeof hash !== "string" || statementHash(uid, body as SealedStatement) !== hash) {
    throw new RangeError(`${COLLECTIONS.statements}/${id} does not match its hash`);
  }
  return { ...(body as SealedStatement), userId, hash };
}

/** Every sealed statement of the owner, by month. */
export async function readSealedStatements(db: Firestore, uid: string): Promise<Map<string, SealedStatement>> {
  const snap = await db.collection(COLLECTIONS.statements).where("userId", "==", uid).get();
  return new Map(snap.docs.map((d) => [d.get("month") as string, readSealed(uid, d.id, d.data())]));
}

/** The owner's first UTC day with usage (any mode), or null. Needs the index userId ASC, day ASC. */
export async function firstUsageDay(db: Firestore, uid: string): Promise<string | null> {
  const snap = await db.collection(COLLECTIONS.accountDaily).where("userId", "==", uid).orderBy("day").limit(1).get();
  return snap.empty ? null : (snap.docs[0].get("day") as string);
}

/** The production usage of each month, from the owner's UTC days (each month read at one snapshot). */
export async function readMonthUsage(db: Firestore, uid: string, months: string[]): Promise<Map<string, MonthUsage>> {
  const read = await Promise.all(months.map((month) => readAccountDays(db, uid, daysOfMonth(month))));
  return new Map(months.map((month, i) => [month, monthUsage(read[i].days)]));
}

/** Stores a final statement once: "created", or "exists" when it was sealed already (by another call). */
export async function storeSealedStatement(db: Firestore, statement: SealedStatement): Promise<"created" | "exists"> {
  try {
    await db
      .doc(`${COLLECTIONS.statements}/${statementId(statement.userId, statement.month)}`)
      .create({ ...statement, sealedAt: FieldValue.serverTimestamp() });
    return "created";
  } catch (err) {
    if (isAlreadyExists(err)) return "exists";
    throw err;
  }
}
