/** The ledger (`billable_conversations`), the per-message claims, and failure records. */
import { FieldValue, Timestamp, type Firestore, type WriteBatch } from "firebase-admin/firestore";
import type { LedgerRow } from "../domain/ledger";
import { isAlreadyExists } from "../errors";
import { COLLECTIONS } from "../base/collections";
import { settleInto } from "./spend";
import type { SpendMode } from "../domain/admission";
import { apiSpendScopes } from "../domain/api-keys";
import { creditSpendScope, LIFETIME_WINDOWS } from "../domain/credits";
import { orgSpendScopes } from "../domain/orgs";
import { utcWindows } from "../base/periods";

export const ledgerRef = (db: Firestore, id: string) => db.doc(`${COLLECTIONS.ledger}/${id}`);
const claimRef = (db: Firestore, id: string) => db.doc(`${COLLECTIONS.claims}/${id}`);

/** A stored ledger row, or null. */
export async function getLedgerRow(db: Firestore, id: string): Promise<LedgerRow | null> {
  const snap = await ledgerRef(db, id).get();
  return snap.exists ? (snap.data() as LedgerRow) : null;
}

/** Writes that commit with a claim, or not at all (sendMessage's counts of a new message). */
export type ClaimWrites = (batch: WriteBatch) => void;

/**
 * A claim: who holds the message since when, and what its holder counted (its mode, spend windows
 * and the caller's development day), so the sweeper can give those back if the holder dies
 * (store/claim-sweep.ts).
 */
export interface Claim {
  userId: string;
  agentId: string;
  conversationId?: string;
  messageId?: string;
  at: number;
  mode?: SpendMode;
  day?: string;
  month?: string;
  /** The UTC day of the sender's development counter the message is counted in. */
  devUserDay?: string | null;
  /** Whose development counter that is, when not `userId`'s: the org member who sent the message. */
  devUserId?: string;
  /** Spend scopes beside the agent's that the message holds in (an API message's key and end user, the owner's credit grants). */
  scopes?: string[];
}

/**
 * Claims a message before its agent is called, in one batch with `writes`: create() succeeds for
 * exactly one of any number of concurrent requests with the same id, and the batch commits whole
 * or not at all.
 *
 * @returns when the claim was written (its version: only its holder releases it, see
 *   {@link releaseClaimInto}), or null when the message is already claimed (nothing is written).
 */
export async function claimMessage(
  db: Firestore,
  id: string,
  claim: Claim,
  writes: ClaimWrites = () => undefined,
): Promise<Timestamp | null> {
  const batch = db.batch();
  batch.create(claimRef(db, id), { ...claim, at: Timestamp.fromMillis(claim.at) });
  writes(batch);
  try {
    const [created] = await batch.commit();
    return created.writeTime;
  } catch (err) {
    if (isAlreadyExists(err)) return null;
    throw err;
  }
}

/** When the existing claim was made (ms), or null when there is none. */
export async function claimTime(db: Firestore, id: string): Promise<number | null> {
  const snap = await claimRef(db, id).get();
  return snap.exists ? (snap.get("at") as Timestamp).toMillis() : null;
}

/**
 * Takes over a claim older than `staleBefore` (its holder died, or runs long past its timeout),
 * then commits `writes` with a new version of the claim.
 *
 * @returns when the claim's new version was written (see {@link claimMessage}), or null if
 *   someone else took it over.
 */
export async function takeOverStaleClaim(
  db: Firestore,
  id: string,
  staleBefore: number,
  claim: Claim,
  writes: ClaimWrites = () => undefined,
): Promise<Timestamp | null> {
  const taken = await db.runTransaction(async (tx) => {
    const snap = await tx.get(claimRef(db, id));
    if (snap.exists && (snap.get("at") as Timestamp).toMillis() >= staleBefore) return false;
    tx.set(claimRef(db, id), { ...snap.data(), ...claim, at: Timestamp.fromMillis(claim.at) });
    return true;
  });
  if (!taken) return null;
  const batch = db.batch();
  // A write that always changes the claim, so the batch's time is the version this holder owns.
  batch.update(claimRef(db, id), { takenOverAt: FieldValue.serverTimestamp() });
  writes(batch);
  const [updated] = await batch.commit();
  return updated.writeTime;
}

/**
 * Adds to `batch` the release of a claim after a failure that billed nothing, so the client may
 * retry with the same id: only the version `writtenAt` is deleted, so a request whose claim was
 * taken over meanwhile cannot release the new holder's (the batch then fails with
 * FAILED_PRECONDITION, errors.ts isFailedPrecondition).
 */
export function releaseClaimInto(batch: WriteBatch, db: Firestore, id: string, writtenAt: Timestamp): void {
  batch.delete(claimRef(db, id), { lastUpdateTime: writtenAt });
}

/** The stored document of a row: the row, plus its instant as a Timestamp (`createdAt`, the seed's field queries order by). */
export function ledgerDocument(row: LedgerRow): LedgerRow & { createdAt: Timestamp } {
  return { ...row, createdAt: Timestamp.fromDate(new Date(row.timestamp)) };
}

/** How a row write went: created now, or a row with this id was already there (left as it is). */
export type LedgerWriteOutcome = "created" | "existing";

/**
 * Writes a ledger row once; an existing row with this id is left as it is. The row's spend rides
 * in the same batch (store/spend.ts `settleInto`: its hold, if any, ends and a production row's cost
 * is added to its day and month, in the agent's scope and in an API message's key and end-user
 * scopes, in an org agent's org and member scopes (domain/orgs.ts), and in the credit grant that paid for it, `creditGrantId`, over the grant's lifetime),
 * so the spend windows are always exactly the sum of the rows: there is no crash point between the
 * two, and a second write of the row adds nothing. `unpaid` are the scopes of the grants the message
 * held in that did not pay: their holds end in the same batch (a row written by a recovery, which
 * does not know them, leaves them to expire: an expired hold no longer counts).
 */
export async function writeLedgerRow(
  db: Firestore,
  id: string,
  row: LedgerRow,
  unpaid: readonly string[] = [],
): Promise<LedgerWriteOutcome> {
  const batch = db.batch();
  batch.create(ledgerRef(db, id), ledgerDocument(row));
  // The agent's spend, and an API message's key and end user (their own limits), from the row itself.
  for (const scope of [row.agentId, ...apiSpendScopes(row.apiKeyId, row.endUserHash)]) {
    settleInto(batch, db, {
      agentId: scope,
      reservationId: id,
      mode: row.mode,
      windows: { day: row.localDay, month: row.localDay.slice(0, 7) },
      actualMicros: row.costMicros,
    });
  }
  // An org agent's production row: the org's budgets and its sender's, over UTC windows (the org's agents' timezones differ).
  for (const scope of row.mode === "production" ? orgSpendScopes(row.orgId, row.senderUid) : []) {
    settleInto(batch, db, {
      agentId: scope,
      reservationId: id,
      mode: row.mode,
      windows: utcWindows(Date.parse(row.timestamp)),
      actualMicros: row.costMicros,
    });
  }
  // The grant that paid burns the row's cost (at most the worst case it held); the others' holds end with nothing spent.
  const paid = row.creditGrantId === undefined ? [] : [{ scope: creditSpendScope(row.userId, row.creditGrantId), cost: row.costMicros }];
  for (const { scope, cost } of [...paid, ...unpaid.map((scope) => ({ scope, cost: 0 }))]) {
    settleInto(batch, db, { agentId: scope, reservationId: id, mode: row.mode, windows: { ...LIFETIME_WINDOWS }, actualMicros: cost });
  }
  try {
    await batch.commit();
    return "created";
  } catch (err) {
    if (isAlreadyExists(err)) return "existing";
    throw err;
  }
}

/** A failed billing transaction, kept so it can be alerted on and billed later. */
export interface BillingFailure {
  ledgerId: string;
  agentId: string;
  userId: string;
  messageId: string;
  conversationId: string;
  /**
   * Where it failed; "usage-bound": the provider reported usage past the message's bound (billed up
   * to it); "abandoned": its request died after the claim and before a row (store/claim-sweep.ts);
   * "usage-report": Stripe refused the row's usage event; "usage-unsent": 30 days and not sent to
   * Stripe (store/outbox.ts).
   */
  stage: "agent-call" | "ledger-write" | "usage-bound" | "duplicate-answer" | "abandoned" | "usage-report" | "usage-unsent";
  reason: string;
  /** Whether the failed message was charged to the owner (it never is when the ledger write failed). */
  charged: boolean;
  usage?: LedgerRow["tokens"];
  costMicros?: number;
  row?: LedgerRow;
  /** A kept row not written yet: the scheduler writes it ({@link recoverUnwrittenRows}). */
  pendingRecovery?: boolean;
}

/** Records a failure; the same message and stage failing again updates one document. */
export async function recordFailure(db: Firestore, failure: BillingFailure, at: number): Promise<void> {
  const batch = db.batch();
  failureInto(batch, db, failure, at);
  await batch.commit();
}

/** Adds to `batch` the record of a failure (see {@link recordFailure}). */
export function failureInto(batch: WriteBatch, db: Firestore, failure: BillingFailure, at: number): void {
  batch.set(
    db.doc(`${COLLECTIONS.failures}/${failure.ledgerId}:${failure.stage}`),
    { ...failure, createdAt: Timestamp.fromMillis(at), attempts: FieldValue.increment(1) },
    { merge: true },
  );
}

export const unwrittenRef = (db: Firestore, id: string) => db.doc(`${COLLECTIONS.failures}/${id}:ledger-write`);

/** The row of a message whose agent call succeeded but whose ledger write failed, if not yet recovered. */
export async function getUnwrittenRow(db: Firestore, id: string): Promise<LedgerRow | null> {
  const snap = await unwrittenRef(db, id).get();
  return snap.exists && !snap.get("recoveredAt") ? ((snap.get("row") as LedgerRow | undefined) ?? null) : null;
}

/** Marks a kept row as written to the ledger (and so billed). */
export async function markRecovered(db: Firestore, id: string, at: number): Promise<void> {
  await unwrittenRef(db, id).update({ recoveredAt: Timestamp.fromMillis(at), charged: true, pendingRecovery: false });
}

const RECOVERY_PAGE = 100;

/**
 * Writes every kept row that is still unwritten (`pendingRecovery`, set when a ledger write failed
 * for good) to the ledger, for the scheduler: the message is billed even if its client never
 * retries. Idempotent beside a client's retry doing the same (the row's create() lets one write
 * through; the other finds it there), and safe to run twice.
 *
 * @returns the rows written or found written, and marked recovered.
 */
export async function recoverUnwrittenRows(db: Firestore, now: number): Promise<number> {
  let recovered = 0;
  for (;;) {
    const page = await db.collection(COLLECTIONS.failures).where("pendingRecovery", "==", true).limit(RECOVERY_PAGE).get();
    for (const doc of page.docs) {
      const row = doc.get("row") as LedgerRow | undefined;
      const id = doc.get("ledgerId") as string;
      if (row) await writeLedgerRow(db, id, row);
      await markRecovered(db, id, now);
      recovered += 1;
    }
    if (page.size < RECOVERY_PAGE) return recovered;
  }
}
