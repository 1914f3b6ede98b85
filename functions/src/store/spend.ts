/**
 * Hard spending limits in Firestore: {@link SPEND_SHARDS} private documents per agent (and per
 * scope of the agent API: a key, an end user through a key), `billing_spend/{agentId}_{shard}`
 * (see domain/admission.ts for the rule and why it cannot
 * overspend):
 *
 *   { agentId, shard,
 *     days:   { "YYYY-MM-DD": { spentMicros, devMessages } },
 *     months: { "YYYY-MM": { spentMicros } },
 *     holds:  { <ledger id>: { day, month, mode, amountMicros, at (server time), expiresAt } },
 *     sweepAfter }   // when the sweeper should look at the shard again
 *
 * No transaction on the hot path: a hold is one blind write (in sendMessage's claim batch),
 * admission one read of the shards, a refusal one blind write, and the settle rides in the batch
 * that creates the ledger row, so spent is exactly the sum of the agent's production rows,
 * whatever crashes. Map keys are written as
 * nested objects or FieldPath segments, never dotted strings, so ids and days stay literal keys.
 */
import {
  FieldPath,
  FieldValue,
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type WriteBatch,
} from "firebase-admin/firestore";
import { assertMicros } from "../base/money";
import { mapWithConcurrency } from "../base/pool";
import {
  checkWindows,
  decideAdmission,
  nextExpiry,
  SPEND_SHARDS,
  spendShardOf,
  sweepPlan,
  windowUsage,
  type AdmissionOutcome,
  type AdmissionRequest,
  type HoldEntry,
  type SpendMode,
  type SpendShard,
  type SpendUsage,
  type SpendWindowKeys,
} from "../domain/admission";
import { COLLECTIONS } from "../base/collections";
import { utcWindows } from "../base/periods";

export type { AdmissionOutcome, SpendUsage, SpendWindowKeys } from "../domain/admission";

const shardRef = (db: Firestore, agentId: string, shard: number) => db.doc(`${COLLECTIONS.spend}/${agentId}_${shard}`);
const shardOfRow = (db: Firestore, agentId: string, reservationId: string) => shardRef(db, agentId, spendShardOf(reservationId));

/** A message's place in the spend windows: what a hold, a settle and a release all name. */
export interface SpendEntry {
  /**
   * The spend scope: an agent's id (its limits), or a scope of an agent API message
   * (domain/api-keys.ts: its key's, its end user's through that key), which never collides with an
   * agent id. Every scope is kept and decided by the same rule.
   */
  agentId: string;
  reservationId: string;
  mode: SpendMode;
  windows: SpendWindowKeys;
}

/** An admission: the entry, what it holds and asks for, and whether a read must check limits. */
export type AdmissionCall = SpendEntry &
  Omit<AdmissionRequest, "reservationId" | "mode" | "windows"> & {
    /** Epoch ms after which the hold stops counting; past the caller's function timeout. */
    expiresAt: number;
    /** False for a production message of an agent without limits: it holds, nothing to check. */
    checkLimits: boolean;
  };

const micros = (t: unknown): number => (t instanceof Timestamp ? t.seconds * 1_000_000 + Math.floor(t.nanoseconds / 1000) : 0);

/** Reads a stored shard into the pure shape, tolerating fields a blind write left partial. */
function toShard(data: DocumentData | undefined): SpendShard {
  const days: SpendShard["days"] = {};
  for (const [key, d] of Object.entries((data?.days ?? {}) as Record<string, Partial<SpendShard["days"][string]>>)) {
    days[key] = { spentMicros: d.spentMicros ?? 0, devMessages: d.devMessages ?? 0 };
  }
  const months: SpendShard["months"] = {};
  for (const [key, m] of Object.entries((data?.months ?? {}) as Record<string, { spentMicros?: number }>)) {
    months[key] = { spentMicros: m.spentMicros ?? 0 };
  }
  const holds: SpendShard["holds"] = {};
  for (const [id, h] of Object.entries((data?.holds ?? {}) as Record<string, Omit<HoldEntry, "atMicros"> & { at?: unknown }>)) {
    holds[id] = { day: h.day, month: h.month, mode: h.mode, amountMicros: h.amountMicros, expiresAt: h.expiresAt, atMicros: micros(h.at) };
  }
  return { days, months, holds };
}

/** The agent's shards, in order: what an admission reads. */
export const spendShardRefs = (db: Firestore, agentId: string): DocumentReference[] =>
  Array.from({ length: SPEND_SHARDS }, (_, k) => shardRef(db, agentId, k));

/** Every shard of the agent (missing ones are empty), read in one round trip. */
export async function readShards(db: Firestore, agentId: string): Promise<SpendShard[]> {
  return (await db.getAll(...spendShardRefs(db, agentId))).map((snap) => toShard(snap.data()));
}

/** Adds to `batch` a message's hold: ONE blind write. A development message is counted from then on. */
export function holdInto(batch: WriteBatch, db: Firestore, c: AdmissionCall): void {
  checkWindows(c.windows);
  assertMicros(c.amountMicros, "amountMicros");
  const hold = { day: c.windows.day, month: c.windows.month, mode: c.mode, amountMicros: c.amountMicros, expiresAt: c.expiresAt };
  const shard = spendShardOf(c.reservationId);
  batch.set(
    shardRef(db, c.agentId, shard),
    {
      agentId: c.agentId,
      shard,
      holds: { [c.reservationId]: { ...hold, at: FieldValue.serverTimestamp() } },
      ...(c.mode === "development" ? { days: { [c.windows.day]: { devMessages: FieldValue.increment(1) } } } : {}),
      sweepAfter: Timestamp.fromMillis(c.expiresAt),
    },
    { merge: true },
  );
}

/**
 * Decides a message whose hold is committed ({@link holdInto}) by the rule of domain/admission.ts,
 * from every shard of its agent ({@link spendShardRefs}) read after that commit; a message with
 * nothing to check (`checkLimits` false) needs no read and is admitted. A refused message's hold
 * is still there: give it back ({@link releaseInto}).
 */
export function heldOutcome(shards: DocumentSnapshot[], c: AdmissionCall): AdmissionOutcome {
  if (!c.checkLimits) return { ok: true };
  if (shards.length !== SPEND_SHARDS) throw new RangeError(`an admission reads all ${SPEND_SHARDS} spend shards, not ${shards.length}`);
  return decideAdmission(
    shards.map((snap) => toShard(snap.data())),
    c,
  );
}

/**
 * Admits or refuses a message on its own: its hold is written, then decided ({@link heldOutcome}).
 * A refused message's hold is deleted before this returns. Two round trips with limits or for
 * development, one without. (sendMessage writes the hold in its claim batch instead.)
 */
export async function admit(db: Firestore, c: AdmissionCall): Promise<AdmissionOutcome> {
  const held = db.batch();
  holdInto(held, db, c);
  await held.commit();
  const outcome = heldOutcome(c.checkLimits ? await db.getAll(...spendShardRefs(db, c.agentId)) : [], c);
  if (!outcome.ok) await releaseHold(db, c);
  return outcome;
}

/**
 * Adds to `batch` the return of a hold after a refusal or a failure that billed nothing; a
 * development message no longer counts against the cap. Releasing a hold that is gone changes
 * nothing but the development count, so release each hold once. With `hold: false` only the
 * development count is given back: the hold (keyed by the ledger id) now belongs to another
 * request for the same message, which took the claim over.
 */
export function releaseInto(batch: WriteBatch, db: Firestore, e: SpendEntry, { hold = true }: { hold?: boolean } = {}): void {
  checkWindows(e.windows);
  const fields: unknown[] = hold ? [new FieldPath("holds", e.reservationId), FieldValue.delete()] : [];
  if (e.mode === "development") fields.push(new FieldPath("days", e.windows.day, "devMessages"), FieldValue.increment(-1));
  if (fields.length) batch.update(shardOfRow(db, e.agentId, e.reservationId), ...(fields as [FieldPath, unknown, ...unknown[]]));
}

/** Gives a hold back on its own ({@link releaseInto}): ONE blind write. */
export async function releaseHold(db: Firestore, e: SpendEntry): Promise<void> {
  const batch = db.batch();
  releaseInto(batch, db, e);
  await batch.commit();
}

/**
 * Adds to `batch` (the one that creates the message's ledger row) the end of its hold: the hold is
 * deleted and a production message's cost added to its day and month. Because it commits with the
 * row, spent always equals the sum of the rows; deleting a hold that a sweep already dropped is a
 * no-op, so a late settle is still exact.
 */
export function settleInto(batch: WriteBatch, db: Firestore, e: SpendEntry & { actualMicros: number }): void {
  checkWindows(e.windows);
  assertMicros(e.actualMicros, "actualMicros");
  const spent = e.mode === "production" && e.actualMicros > 0 ? FieldValue.increment(e.actualMicros) : null;
  batch.set(
    shardOfRow(db, e.agentId, e.reservationId),
    {
      agentId: e.agentId,
      shard: spendShardOf(e.reservationId),
      holds: { [e.reservationId]: FieldValue.delete() },
      ...(spent ? { days: { [e.windows.day]: { spentMicros: spent } }, months: { [e.windows.month]: { spentMicros: spent } } } : {}),
    },
    { merge: true },
  );
}

/** Spent and held figures of the agent's current windows (holds expired at `now` not counted). */
export async function readSpend(db: Firestore, agentId: string, windows: SpendWindowKeys, now: number = Date.now()): Promise<SpendUsage> {
  return windowUsage(await readShards(db, agentId), windows, now);
}

/** Sweeps one shard in a transaction; returns how many holds were dropped. */
async function sweepShard(db: Firestore, ref: DocumentReference, now: number): Promise<number> {
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) return 0;
    const shard = toShard(snap.data());
    // No agent's local day is two days behind UTC's, so older keys are safe to drop.
    const plan = sweepPlan(shard, utcWindows(now), now);
    for (const id of plan.holds) delete shard.holds[id];
    const expiry = nextExpiry(shard);
    const deletes = [
      ...plan.holds.map((id) => new FieldPath("holds", id)),
      ...plan.days.map((d) => new FieldPath("days", d)),
      ...plan.months.map((m) => new FieldPath("months", m)),
    ].flatMap((path) => [path, FieldValue.delete()]);
    tx.update(ref, new FieldPath("sweepAfter"), expiry === null ? FieldValue.delete() : Timestamp.fromMillis(expiry), ...deletes);
    return plan.holds.length;
  });
}

const SWEEP_PAGE = 100;
const SWEEP_CONCURRENCY = 10;

/**
 * Drops expired holds (requests that died) and old windows of every shard due for a look
 * (`sweepAfter <= now`), for the scheduler. Expired holds already stop counting at admission; this
 * keeps the documents small.
 *
 * @returns the number of holds dropped.
 */
export async function sweepExpiredHolds(db: Firestore, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const page = await db.collection(COLLECTIONS.spend).where("sweepAfter", "<=", Timestamp.fromMillis(now)).limit(SWEEP_PAGE).get();
    const counts = await mapWithConcurrency(page.docs, SWEEP_CONCURRENCY, (d) => sweepShard(db, d.ref, now));
    total += counts.reduce((a, b) => a + b, 0);
    if (page.docs.length < SWEEP_PAGE) return total;
  }
}
