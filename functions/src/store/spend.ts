/**
 * Hard spending limits in Firestore: one private document per agent, `billing_spend/{agentId}`:
 *
 *   { agentId,
 *     days:   { "YYYY-MM-DD": { spentMicros, devMessages } },   // current (and later) local days
 *     months: { "YYYY-MM": { spentMicros } },                   // current (and later) local months
 *     reservations: { <ledger id>: { day, month, mode, amountMicros, expiresAt } },
 *     sweepAfter?: Timestamp,  // no open reservation expires before this (may be early, never late)
 *     updatedAt }
 *
 * A message costs the limits one read and two writes: {@link reserveSpend} is one transaction
 * (read the document, write it back), {@link settleSpend} / {@link releaseSpend} one blind update.
 * Map keys are always written as nested objects or FieldPath segments, never dotted strings, so
 * ledger ids (with `:`) and days (with `-`) stay literal keys.
 *
 * Spend is recorded only for messages that went through reserveSpend. sendMessage skips it for
 * production messages of an agent with no limit at all (nothing to enforce, and it saves the
 * transaction), so the figures here count only spend made while a limit was set: a limit set in
 * the middle of a day starts from zero for that day. Development messages always go through it,
 * because the development cap always applies.
 *
 * Why the blind settle is safe against the sweep: a reservation expires `ttlMs` after it was
 * made, and sendMessage passes twice its function timeout (2 x 120 s). By the time any sweep
 * (in reserveSpend or the scheduler) may drop an entry, the request that made it has been stopped
 * by the platform for at least a whole timeout, so no settle or release of it is still to come.
 * Should one arrive anyway (a request that ran on past its timeout), nothing is counted twice:
 * reserved amounts are derived from the open entries rather than kept in a counter, deleting an
 * entry that is gone is a no-op, and the late settle still adds the real spend.
 */
import { FieldPath, FieldValue, Timestamp, type DocumentData, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import {
  checkWindows,
  decideReservation,
  emptySpendState,
  nextExpiry,
  sweepExpired,
  windowUsage,
  type Reservation,
  type ReserveDecisionInput,
  type ReserveOutcome,
  type SpendMode,
  type SpendState,
  type SpendUsage,
  type SpendWindowKeys,
} from "../domain/limits";
import { assertMicros } from "../base/money";
import { mapWithConcurrency } from "../base/pool";
import { COLLECTIONS } from "./collections";

export type { ReserveOutcome, SpendUsage, SpendWindowKeys } from "../domain/limits";

/**
 * A request to hold a message's worst case (production) or count it (development): the decision's
 * input (domain/limits.ts) plus the agent it is for. `ttlMs` must exceed the caller's function
 * timeout (see the module doc).
 */
export type ReserveRequest = ReserveDecisionInput & { agentId: string };

/** The end of a reservation; `mode` and `windows` must be those it was reserved with. */
export interface SettleRequest {
  agentId: string;
  reservationId: string;
  mode: SpendMode;
  windows: SpendWindowKeys;
  /** What was reserved: informative (the reservation entry holds it), checked to be micros. */
  reservedMicros: number;
  /** The real cost (0 for development); recorded as spent even if above the reservation. */
  actualMicros: number;
}

const spendRef = (db: Firestore, agentId: string) => db.doc(`${COLLECTIONS.spend}/${agentId}`);

/** Reads a stored document into the pure state, tolerating fields a blind update left partial. */
function toState(data: DocumentData | undefined): SpendState {
  if (!data) return emptySpendState();
  const days: SpendState["days"] = {};
  for (const [key, d] of Object.entries((data.days ?? {}) as Record<string, Partial<SpendState["days"][string]>>)) {
    days[key] = { spentMicros: d.spentMicros ?? 0, devMessages: d.devMessages ?? 0 };
  }
  const months: SpendState["months"] = {};
  for (const [key, m] of Object.entries((data.months ?? {}) as Record<string, Partial<SpendState["months"][string]>>)) {
    months[key] = { spentMicros: m.spentMicros ?? 0 };
  }
  return { days, months, reservations: { ...((data.reservations ?? {}) as Record<string, Reservation>) } };
}

/** The whole document for a state (set() replaces it, which is how old windows are pruned). */
function toDoc(agentId: string, state: SpendState): DocumentData {
  const expiry = nextExpiry(state);
  return {
    agentId,
    ...state,
    ...(expiry === null ? {} : { sweepAfter: Timestamp.fromMillis(expiry) }),
    updatedAt: FieldValue.serverTimestamp(),
  };
}

const size = (s: SpendState) => [s.days, s.months, s.reservations].map((m) => Object.keys(m).length).join("/");

/**
 * Admits or refuses a message in ONE transaction (one document read, at most one write): expired
 * reservations of the agent are swept and old windows pruned, then production holds
 * `amountMicros` against the daily and monthly limits (refused when spent + reserved + amount
 * would pass a limit; a limit of 0 refuses everything billable) and development counts the message
 * against the daily cap. Concurrent calls serialize on the document, so no interleaving can
 * admit more than a limit allows. Reserving an id that is already open succeeds without counting
 * it again. A refusal that swept or pruned nothing writes nothing.
 */
export async function reserveSpend(db: Firestore, req: ReserveRequest): Promise<ReserveOutcome> {
  const ref = spendRef(db, req.agentId);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const current = toState(snap.data());
    const { outcome, state } = decideReservation(current, req);
    if (outcome.ok || size(state) !== size(current)) tx.set(ref, toDoc(req.agentId, state));
    return outcome;
  });
}

/**
 * Ends a reservation with the message's real cost: ONE blind update, no read. Production adds
 * `actualMicros` to the day and the month and deletes the entry (its hold disappears with it);
 * development only deletes the entry (the message was counted when reserved).
 * Call it exactly once per admitted reservation, settle or release.
 */
export async function settleSpend(db: Firestore, s: SettleRequest): Promise<void> {
  checkWindows(s.windows);
  assertMicros(s.reservedMicros, "reservedMicros");
  assertMicros(s.actualMicros, "actualMicros");
  const fields: unknown[] = [new FieldPath("reservations", s.reservationId), FieldValue.delete()];
  if (s.mode === "production" && s.actualMicros > 0) {
    const spent = FieldValue.increment(s.actualMicros);
    fields.push(new FieldPath("days", s.windows.day, "spentMicros"), spent, new FieldPath("months", s.windows.month, "spentMicros"), spent);
  }
  await spendRef(db, s.agentId).update(...(fields as [FieldPath, unknown, ...unknown[]]));
}

/**
 * Gives a reservation back after a failure that billed nothing: settle with `actualMicros` 0, and
 * for development the message no longer counts against the cap. ONE blind update, no read.
 */
export async function releaseSpend(db: Firestore, s: Omit<SettleRequest, "actualMicros">): Promise<void> {
  if (s.mode === "production") return settleSpend(db, { ...s, actualMicros: 0 });
  checkWindows(s.windows);
  await spendRef(db, s.agentId).update(
    new FieldPath("reservations", s.reservationId),
    FieldValue.delete(),
    new FieldPath("days", s.windows.day, "devMessages"),
    FieldValue.increment(-1),
  );
}

/**
 * Spent and reserved figures of the agent's current windows (reservations already expired at
 * `now` are not counted). Zeros when the agent has no spend document.
 */
export async function readSpend(db: Firestore, agentId: string, windows: SpendWindowKeys, now: number = Date.now()): Promise<SpendUsage> {
  checkWindows(windows);
  const snap = await spendRef(db, agentId).get();
  return windowUsage(sweepExpired(toState(snap.data()), now).state, windows);
}

/** Sweeps one agent's expired reservations in a transaction; returns how many were dropped. */
async function sweepOne(db: Firestore, agentId: string, now: number): Promise<number> {
  const ref = spendRef(db, agentId);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) return 0;
    const { state, swept } = sweepExpired(toState(snap.data()), now);
    const expiry = nextExpiry(state);
    const sweepAfter = expiry === null ? FieldValue.delete() : Timestamp.fromMillis(expiry);
    // Dropped entries are deleted field by field: the windows are left to reserveSpend to prune.
    const deletes = swept.flatMap((id) => [new FieldPath("reservations", id), FieldValue.delete()]);
    tx.update(ref, new FieldPath("sweepAfter"), sweepAfter, ...deletes);
    return swept.length;
  });
}

/** Documents swept per page, and concurrently. */
const SWEEP_PAGE = 100;
const SWEEP_CONCURRENCY = 10;

/**
 * Drops the expired reservations of every agent that may have one (`sweepAfter <= now`), for
 * the scheduler: an agent that sends nothing more would otherwise keep a dead hold forever.
 * `sweepAfter` may be early (a settle does not move it), never late, so no expired entry is missed.
 *
 * @returns the number of reservations dropped.
 */
export async function sweepExpiredReservations(db: Firestore, now: number): Promise<number> {
  let total = 0;
  let cursor: QueryDocumentSnapshot | undefined;
  for (;;) {
    let query = db
      .collection(COLLECTIONS.spend)
      .where("sweepAfter", "<=", Timestamp.fromMillis(now))
      .orderBy("sweepAfter")
      .limit(SWEEP_PAGE);
    if (cursor) query = query.startAfter(cursor);
    const page = await query.get();
    const counts = await mapWithConcurrency(page.docs, SWEEP_CONCURRENCY, (d) => sweepOne(db, d.id, now));
    total += counts.reduce((a, b) => a + b, 0);
    if (page.docs.length < SWEEP_PAGE) return total;
    cursor = page.docs[page.docs.length - 1];
  }
}

/**
 * Brings the agent's current windows up to what was already spent (from the rollups), so a limit
 * set in the middle of a day or month counts the spend before it. Raised to the larger figure,
 * never lowered: messages both reserved here and rolled up are not counted twice.
 */
export async function seedSpendWindows(
  db: Firestore,
  agentId: string,
  windows: SpendWindowKeys,
  spent: { daySpentMicros: number; monthSpentMicros: number },
): Promise<void> {
  checkWindows(windows);
  const ref = spendRef(db, agentId);
  await db.runTransaction(async (tx) => {
    const state = toState((await tx.get(ref)).data());
    const day = state.days[windows.day] ?? { spentMicros: 0, devMessages: 0 };
    const month = state.months[windows.month] ?? { spentMicros: 0 };
    state.days[windows.day] = { ...day, spentMicros: Math.max(day.spentMicros, spent.daySpentMicros) };
    state.months[windows.month] = { spentMicros: Math.max(month.spentMicros, spent.monthSpentMicros) };
    tx.set(ref, toDoc(agentId, state));
  });
}
