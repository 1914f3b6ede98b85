/**
 * The Stripe outbox, `billing_outbox/{rowId}`: one entry per reported ledger row
 * (domain/usage-report.ts), created in the rollup's batch beside the row's marker (store/rollups.ts),
 * so a row reaches the outbox exactly when, and exactly once as, it is counted in the totals a
 * statement is made of. The dispatcher (handlers/usage-dispatch.ts) moves an entry from `pending`
 * to `sent` or `failed`. Also here: the dispatcher's run lease and the owner's Stripe customer id.
 */
import { FieldValue, Timestamp, type DocumentData, type Firestore, type Transaction, type WriteBatch } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import type { UsageReport } from "../domain/usage-report";
import { failureInto } from "./ledger";

export type OutboxState = "pending" | "sent" | "failed";

export interface OutboxEntry extends UsageReport {
  state: OutboxState;
  attempts: number;
  /** When a pending entry is due (its row's instant at first; later, after a backoff). */
  nextAttemptAt: number;
}

const entryRef = (db: Firestore, rowId: string) => db.doc(`${COLLECTIONS.outbox}/${rowId}`);

/** The new entry's fields (instants as Timestamps, so queries and the console read them as times). */
function entryFields(report: UsageReport): DocumentData {
  const at = Timestamp.fromMillis(report.timestampMs);
  return {
    ...report,
    timestamp: at,
    state: "pending",
    attempts: 0,
    nextAttemptAt: at,
    alarmed: false,
    createdAt: FieldValue.serverTimestamp(),
  };
}

/** Adds the entry's create() to the rollup's batch or transaction (which creates the row's marker). */
export function outboxInto(writer: WriteBatch | Transaction, db: Firestore, report: UsageReport): void {
  (writer as WriteBatch).create(entryRef(db, report.rowId), entryFields(report));
}

function readEntry(data: DocumentData): OutboxEntry {
  return {
    rowId: data.rowId,
    identifier: data.identifier,
    userId: data.userId,
    agentId: data.agentId,
    costMicros: data.costMicros,
    timestampMs: data.timestampMs,
    state: data.state,
    attempts: data.attempts ?? 0,
    nextAttemptAt: (data.nextAttemptAt as Timestamp).toMillis(),
  };
}

/** Pending entries due at `now`, soonest first (every owner's, or these owners' only: at most 30). */
export async function dueEntries(db: Firestore, now: number, limit: number, owners?: string[]): Promise<OutboxEntry[]> {
  let query = db.collection(COLLECTIONS.outbox).where("state", "==", "pending");
  if (owners) query = query.where("userId", "in", owners);
  const snap = await query.where("nextAttemptAt", "<=", Timestamp.fromMillis(now)).orderBy("nextAttemptAt").limit(limit).get();
  return snap.docs.map((d) => readEntry(d.data()));
}

export async function markSent(db: Firestore, rowId: string, at: number, deduplicated: boolean, customerId: string): Promise<void> {
  await entryRef(db, rowId).update({
    state: "sent",
    sentAt: Timestamp.fromMillis(at),
    deduplicated,
    customerId,
    attempts: FieldValue.increment(1),
    lastError: FieldValue.delete(),
  });
}

export async function markRetry(db: Firestore, rowId: string, nextAttemptAt: number, error: string): Promise<void> {
  await entryRef(db, rowId).update({
    nextAttemptAt: Timestamp.fromMillis(nextAttemptAt),
    attempts: FieldValue.increment(1),
    lastError: error,
  });
}

/** A refused event: the entry fails for good, and a billing failure (which the alert scheduler reports) is recorded with it. */
export async function markFailed(db: Firestore, entry: OutboxEntry, at: number, error: string): Promise<void> {
  const batch = db.batch();
  batch.update(entryRef(db, entry.rowId), {
    state: "failed",
    failedAt: Timestamp.fromMillis(at),
    attempts: FieldValue.increment(1),
    lastError: error,
  });
  failureInto(batch, db, failureOf(entry, "usage-report", `Stripe refused the usage event: ${error}`), at);
  await batch.commit();
}

const failureOf = (entry: OutboxEntry, stage: "usage-report" | "usage-unsent", reason: string) => {
  const [, conversationId = "", messageId = ""] = entry.rowId.split(":");
  return { ledgerId: entry.rowId, agentId: entry.agentId, userId: entry.userId, messageId, conversationId, stage, reason, charged: true };
};

/** Pending entries whose row is older than `before` and not alarmed yet (every owner's, or these owners'). */
export async function unalarmedBefore(db: Firestore, before: number, limit: number, owners?: string[]): Promise<OutboxEntry[]> {
  let query = db.collection(COLLECTIONS.outbox).where("state", "==", "pending").where("alarmed", "==", false);
  if (owners) query = query.where("userId", "in", owners);
  const snap = await query.where("timestamp", "<", Timestamp.fromMillis(before)).orderBy("timestamp").limit(limit).get();
  return snap.docs.map((d) => readEntry(d.data()));
}

/** Marks the entry alarmed and records the billing failure the alert scheduler reports, in one batch. */
export async function raiseUnsentAlarm(db: Firestore, entry: OutboxEntry, at: number): Promise<void> {
  const batch = db.batch();
  batch.update(entryRef(db, entry.rowId), { alarmed: true, alarmedAt: Timestamp.fromMillis(at) });
  const reason = `usage not sent to Stripe ${Math.floor((at - entry.timestampMs) / 86_400_000)} days after the message; Stripe refuses events older than 35 days`;
  failureInto(batch, db, failureOf(entry, "usage-unsent", reason), at);
  await batch.commit();
}

const leaseRef = (db: Firestore) => db.doc(`${COLLECTIONS.dispatchRuns}/stripe`);

/**
 * Takes the dispatcher's lease until `now + leaseMs` unless another run holds an unexpired one: one
 * run at a time, so one call is in flight per customer and meter. A run that dies leaves its lease
 * to expire (longer than the function's timeout, so its holder cannot still be sending).
 */
export async function takeDispatchLease(db: Firestore, runId: string, now: number, leaseMs: number): Promise<boolean> {
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(leaseRef(db));
    const until = (snap.get("leaseUntil") as Timestamp | undefined)?.toMillis() ?? 0;
    if (until > now && snap.get("runId") !== runId) return false;
    tx.set(leaseRef(db), { runId, leaseUntil: Timestamp.fromMillis(now + leaseMs) });
    return true;
  });
}

export async function releaseDispatchLease(db: Firestore, runId: string): Promise<void> {
  await db.runTransaction(async (tx) => {
    const snap = await tx.get(leaseRef(db));
    if (snap.get("runId") === runId) tx.delete(leaseRef(db));
  });
}

/**
 * The owner's Stripe customer: the account's `stripeCustomerId`, else the invertase Stripe
 * extension's `customers/{uid}.stripeId` where that extension is installed; null when neither has one.
 */
export async function storedCustomerId(db: Firestore, uid: string): Promise<string | null> {
  const [account, extension] = await db.getAll(db.doc(`${COLLECTIONS.accounts}/${uid}`), db.doc(`${COLLECTIONS.stripeCustomers}/${uid}`));
  const id = account.get("stripeCustomerId") ?? extension.get("stripeId");
  return typeof id === "string" && id ? id : null;
}

/** Keeps the customer id on the account (merged: the plan and grants stay). */
export async function saveCustomerId(db: Firestore, uid: string, customerId: string): Promise<void> {
  await db
    .doc(`${COLLECTIONS.accounts}/${uid}`)
    .set({ userId: uid, stripeCustomerId: customerId, updatedAt: FieldValue.serverTimestamp() }, { merge: true });
}
