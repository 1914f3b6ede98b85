/**
 * The sweeper of claims whose request died (issue #14): a request that claimed a message and
 * then died (before the agent call, during it, or before its row was written and kept) leaves its
 * claim, its spend hold and its development counts behind. Nobody else finishes it unless its
 * client retries. The scheduler (handlers/alerts.ts) calls {@link releaseAbandonedClaims}: a
 * claim older than the claim TTL (twice the function's timeout, so its holder cannot still be
 * running) with neither a ledger row nor a kept row is released, what its holder counted given
 * back, and a failure recorded (stage "abandoned", `charged: false`: an answer may have reached the
 * caller and was not billed; the alerts report it). A retry after that starts afresh.
 *
 * Each run looks at the claims that went stale since the last run (a cursor in
 * billing_alert_runs), so a run reads each claim once: two reads a message, amortized.
 * Safe to run twice or at once: the release is one batch with the claim's version as its
 * precondition, so only one run gives anything back.
 */
import { Timestamp, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import { isFailedPrecondition } from "../errors";
import { failureInto, ledgerRef, unwrittenRef, type Claim } from "./ledger";
import { releaseDevUserInto } from "./rate-limit";
import { releaseInto } from "./spend";

const PAGE = 200;
/** How far back the first run looks (no cursor yet). */
const FIRST_SWEEP_LOOKBACK_MS = 86_400_000;
const cursorRef = (db: Firestore) => db.doc(`${COLLECTIONS.alertRuns}/claim-sweep`);

/** Releases one abandoned claim with all its holder counted; false when another run (or a retry's takeover) got there first. */
async function release(db: Firestore, claim: QueryDocumentSnapshot, now: number): Promise<boolean> {
  const c = claim.data() as Omit<Claim, "at">;
  const batch = db.batch();
  batch.delete(claim.ref, { lastUpdateTime: claim.updateTime });
  if (c.mode && c.day && c.month) {
    for (const scope of [c.agentId, ...(c.scopes ?? [])])
      releaseInto(batch, db, { agentId: scope, reservationId: claim.id, mode: c.mode, windows: { day: c.day, month: c.month } });
  }
  if (c.devUserDay) releaseDevUserInto(batch, db, c.devUserId ?? c.userId, c.devUserDay);
  const reason = "the request that claimed this message died before its row was written; released by the sweeper";
  failureInto(
    batch,
    db,
    {
      ledgerId: claim.id,
      agentId: c.agentId,
      userId: c.userId,
      messageId: c.messageId ?? "",
      conversationId: c.conversationId ?? "",
      stage: "abandoned",
      reason,
      charged: false,
    },
    now,
  );
  try {
    await batch.commit();
    return true;
  } catch (err) {
    if (isFailedPrecondition(err)) return false;
    throw err;
  }
}

/**
 * Releases every claim that went stale since the last run (older than `claimTtlMs` at `now`) and
 * has neither a ledger row nor a kept row (see the module doc).
 *
 * @returns how many claims were released.
 */
export async function releaseAbandonedClaims(db: Firestore, now: number, claimTtlMs: number): Promise<number> {
  const until = now - claimTtlMs;
  const cursor = await cursorRef(db).get();
  const from = cursor.exists ? (cursor.get("sweptUntil") as Timestamp).toMillis() : until - FIRST_SWEEP_LOOKBACK_MS;
  if (from >= until) return 0;
  let released = 0;
  let after: QueryDocumentSnapshot | undefined;
  for (;;) {
    let query = db
      .collection(COLLECTIONS.claims)
      .where("at", ">=", Timestamp.fromMillis(from))
      .where("at", "<", Timestamp.fromMillis(until))
      .orderBy("at")
      .limit(PAGE);
    if (after) query = query.startAfter(after);
    const page = await query.get();
    if (page.empty) break;
    const rows = await db.getAll(...page.docs.flatMap((d) => [ledgerRef(db, d.id), unwrittenRef(db, d.id)]));
    for (const [i, claim] of page.docs.entries()) {
      const [row, kept] = [rows[2 * i], rows[2 * i + 1]];
      if (!row.exists && !kept.exists && (await release(db, claim, now))) released++;
    }
    after = page.docs[page.docs.length - 1];
    if (page.size < PAGE) break;
  }
  await cursorRef(db).set({ sweptUntil: Timestamp.fromMillis(until) }, { merge: true });
  return released;
}
