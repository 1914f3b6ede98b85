/**
 * The caller's own counters: the rate limit (one document per user and minute) and the free
 * development messages per user and UTC day, both expiring by TTL. Each is counted by a blind
 * increment and then read (domain/rate-limit.ts says why that never over-admits). The increments
 * are written into a batch the caller commits (sendMessage's claim batch: a duplicate counts
 * nothing); the counters are then read, alone or in one read with the others of an admission.
 */
import {
  FieldValue,
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type WriteBatch,
} from "firebase-admin/firestore";
import { rateWindows, retryAfterMs, type RateLimits } from "../domain/rate-limit";
import { BillingError, resourceExhausted } from "../errors";
import { COLLECTIONS } from "../base/collections";

const rateRef = (db: Firestore, uid: string, minute: number) => db.doc(`${COLLECTIONS.rateLimits}/${uid}_${minute}`);
/** The caller's development counter of `day` (UTC). */
export const devUserCounterRef = (db: Firestore, uid: string, day: string): DocumentReference =>
  db.doc(`${COLLECTIONS.rateLimits}/${uid}_dev_${day}`);

/** The UTC day a development message of `now` is counted on. */
export const devUserDayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** Adds to `batch` the count of a call of `uid` at `now`. */
export function countCallInto(batch: WriteBatch, db: Firestore, uid: string, now: number): void {
  addCallInto(batch, db, uid, now, 1);
}

/**
 * Adds to `batch` the return of one call counted at `now` by {@link countCallInto}, for a call
 * that was not admitted and is counted again at once. A merge, like the count, so it cannot fail
 * the batch it rides in even if the counter has expired meanwhile.
 */
export function uncountCallInto(batch: WriteBatch, db: Firestore, uid: string, now: number): void {
  addCallInto(batch, db, uid, now, -1);
}

function addCallInto(batch: WriteBatch, db: Firestore, uid: string, now: number, delta: 1 | -1): void {
  const { minute, slot } = rateWindows(now);
  batch.set(
    rateRef(db, uid, minute),
    // expireAt: a TTL policy on this field deletes old counters (see README).
    {
      userId: uid,
      count: FieldValue.increment(delta),
      slots: { [slot]: FieldValue.increment(delta) },
      expireAt: Timestamp.fromMillis((minute + 2) * 60_000),
    },
    { merge: true },
  );
}

/** The counter document a call of `uid` at `now` is counted in. */
export const rateCounterRef = (db: Firestore, uid: string, now: number): DocumentReference => rateRef(db, uid, rateWindows(now).minute);

/**
 * Checks the counter a call at `now` was counted in ({@link rateCounterRef}), read once its count
 * is committed.
 *
 * @returns the refusal when it is over the limits, else null.
 */
export function rateLimitRefusal(snap: DocumentSnapshot, limits: RateLimits, now: number): BillingError | null {
  const { slot } = rateWindows(now);
  const counts = { minute: (snap.get("count") as number) ?? 0, slot: (snap.get(`slots.${slot}`) as number) ?? 0 };
  const wait = retryAfterMs(counts, limits, now);
  if (wait <= 0) return null;
  return resourceExhausted(
    `Too many messages: at most ${limits.perMinute} a minute and ${limits.burst} in a burst. Retry in ${Math.ceil(wait / 1000)} s.`,
    { retryAfterMs: wait },
  );
}

/** Counts a call of `uid`; refuses it with resource-exhausted when over the limits. */
export async function enforceRateLimit(db: Firestore, uid: string, limits: RateLimits, now: number): Promise<void> {
  const batch = db.batch();
  countCallInto(batch, db, uid, now);
  await batch.commit();
  const refusal = rateLimitRefusal(await rateCounterRef(db, uid, now).get(), limits, now);
  if (refusal) throw refusal;
}

/**
 * Adds to `batch` the count of a development (free) message of `uid` against a daily cap per user
 * (UTC day), on top of the per-agent cap: creating more agents does not buy more free messages.
 *
 * @returns the UTC day counted, to give the message back ({@link releaseDevUserInto}) when it is
 *   refused or its agent call fails (nothing was answered for free).
 */
export function countDevUserInto(batch: WriteBatch, db: Firestore, uid: string, now: number): string {
  const day = devUserDayOf(now);
  batch.set(
    devUserCounterRef(db, uid, day),
    { userId: uid, count: FieldValue.increment(1), expireAt: Timestamp.fromMillis(now + 2 * 86_400_000) },
    { merge: true },
  );
  return day;
}

/**
 * Checks the caller's development counter ({@link devUserCounterRef}), read once its own count is
 * committed: the refusal when over `cap`, else null.
 */
export function devUserCapRefusal(snap: DocumentSnapshot, cap: number): BillingError | null {
  const count = (snap.get("count") as number) ?? 0;
  if (count <= cap) return null;
  return resourceExhausted(`This account's daily development message cap (${cap}) is reached; the agent was not called.`, {
    limit: cap,
    used: count - 1,
  });
}

/** Adds to `batch` the return of one development message counted on `day` (UTC). */
export function releaseDevUserInto(batch: WriteBatch, db: Firestore, uid: string, day: string): void {
  batch.update(devUserCounterRef(db, uid, day), { count: FieldValue.increment(-1) });
}

/**
 * Counts a development message of `uid` against the per-user cap, refusing (and giving it back at
 * once, so refusals never use up the cap) with resource-exhausted when over it.
 *
 * @returns the UTC day counted.
 */
export async function enforceDevUserCap(db: Firestore, uid: string, cap: number, now: number): Promise<string> {
  const counted = db.batch();
  const day = countDevUserInto(counted, db, uid, now);
  await counted.commit();
  const refusal = devUserCapRefusal(await devUserCounterRef(db, uid, day).get(), cap);
  if (!refusal) return day;
  const release = db.batch();
  releaseDevUserInto(release, db, uid, day);
  await release.commit();
  throw refusal;
}
