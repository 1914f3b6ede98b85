/** The rate-limit counters of a user: one document per user and minute, expiring by TTL. */
import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { rateWindows, retryAfterMs, type RateLimits } from "../domain/rate-limit";
import { resourceExhausted } from "../errors";
import { COLLECTIONS } from "../base/collections";

/** Counts a call of `uid`; refuses it with resource-exhausted when over the limits. */
export async function enforceRateLimit(db: Firestore, uid: string, limits: RateLimits, now: number): Promise<void> {
  const { minute, slot } = rateWindows(now);
  const ref = db.doc(`${COLLECTIONS.rateLimits}/${uid}_${minute}`);
  await ref.set(
    // expireAt: a TTL policy on this field deletes old counters (see README).
    {
      userId: uid,
      count: FieldValue.increment(1),
      slots: { [slot]: FieldValue.increment(1) },
      expireAt: Timestamp.fromMillis((minute + 2) * 60_000),
    },
    { merge: true },
  );
  const snap = await ref.get();
  const counts = { minute: (snap.get("count") as number) ?? 0, slot: (snap.get(`slots.${slot}`) as number) ?? 0 };
  const wait = retryAfterMs(counts, limits, now);
  if (wait > 0) {
    throw resourceExhausted(
      `Too many messages: at most ${limits.perMinute} a minute and ${limits.burst} in a burst. Retry in ${Math.ceil(wait / 1000)} s.`,
      {
        retryAfterMs: wait,
      },
    );
  }
}

const devUserRef = (db: Firestore, uid: string, day: string) => db.doc(`${COLLECTIONS.rateLimits}/${uid}_dev_${day}`);

/**
 * Counts a development (free) message of `uid` against a daily cap per user (UTC day), on top of
 * the per-agent cap: creating more agents does not buy more free messages. Same counting as the
 * rate limit: a blind increment, then a read. A refused message is given back at once, so refusals
 * never use up the cap.
 *
 * @returns the UTC day counted, to give the message back with {@link releaseDevUserCount} when it
 *   is refused later or its agent call fails (nothing was answered for free).
 */
export async function enforceDevUserCap(db: Firestore, uid: string, cap: number, now: number): Promise<string> {
  const day = new Date(now).toISOString().slice(0, 10);
  const ref = devUserRef(db, uid, day);
  await ref.set({ userId: uid, count: FieldValue.increment(1), expireAt: Timestamp.fromMillis(now + 2 * 86_400_000) }, { merge: true });
  const count = ((await ref.get()).get("count") as number) ?? 0;
  if (count <= cap) return day;
  await releaseDevUserCount(db, uid, day);
  throw resourceExhausted(`This account's daily development message cap (${cap}) is reached; the agent was not called.`, {
    limit: cap,
    used: count - 1,
  });
}

/** Gives back one development message counted on `day` (UTC) by {@link enforceDevUserCap}. */
export async function releaseDevUserCount(db: Firestore, uid: string, day: string): Promise<void> {
  await devUserRef(db, uid, day).update({ count: FieldValue.increment(-1) });
}
