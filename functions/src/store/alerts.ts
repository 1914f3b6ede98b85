/**
 * Alerts in Firestore: what the scheduler reads (daily buckets, agents, failures, its own last
 * run), the alert documents it creates once, and their delivery state.
 *
 * `billing_alerts/{alertId}`: { agentId, userId, kind, window, figures, createdAt,
 *   delivery: { mail, sms, webhook, attempts, lastError?, pending, leaseUntil } }
 * `delivery.pending` stays true until every channel has an outcome, so a run that died after
 * creating an alert leaves it for the next run to deliver; `leaseUntil` (epoch ms) keeps two
 * concurrent runs from delivering the same alert twice.
 */
import {
  FieldPath,
  FieldValue,
  Timestamp,
  type DocumentData,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from "firebase-admin/firestore";
import type { AlertKind } from "../domain/alerts";
import { dailyId } from "../domain/ids";
import { rollupNamed, SHARD_COLLECTION } from "../domain/rollups";
import type { AgentDoc } from "./agents";
import { COLLECTIONS } from "../base/collections";
import { isAlreadyExists } from "../errors";
import { readRollupDocs } from "./rollup-reads";

/** `queued`: the mail document is written (the extension sends it); `no-recipient`: no address known. */
export type MailStatus = "pending" | "queued" | "no-recipient";
/** `queued`: the SMS document is written (the Twilio extension sends it); absent on alerts raised before SMS existed. */
export type SmsStatus = "pending" | "queued" | "not-configured";
/** `failed` after the bounded retries; `not-configured` when the agent has no webhook. */
export type WebhookStatus = "pending" | "not-configured" | "delivered" | "failed";

/** Where an alert's delivery stands, per channel. */
export interface DeliveryState {
  mail: MailStatus;
  sms?: SmsStatus;
  webhook: WebhookStatus;
  /** Webhook POSTs made so far. */
  attempts: number;
  lastError?: string;
  pending: boolean;
  leaseUntil: number;
}

/** A document of `billing_alerts`. */
export interface AlertDoc {
  agentId: string;
  userId: string;
  kind: AlertKind;
  window: string;
  figures: Record<string, unknown>;
  createdAt: Timestamp;
  delivery: DeliveryState;
}

/** A daily bucket touched since some instant. */
export interface RecentBucket {
  agentId: string;
  userId: string;
  day: string;
  data: DocumentData;
}

/** A failure record not yet reported by an alert. */
export interface FailureRef {
  id: string;
  agentId: string;
  userId: string;
  charged: boolean;
}

const RUN_STATE = () => `${COLLECTIONS.alertRuns}/scheduler`;
const PAGE = 500;
/** Buckets read (with their shards) per read-only transaction. */
const BUCKETS_PER_READ = 100;
const DAILY = rollupNamed("daily");

/** When the last successful run started (epoch ms), or null before the first. */
export async function readLastRun(db: Firestore): Promise<number | null> {
  const snap = await db.doc(RUN_STATE()).get();
  const at = snap.get("lastRunAt") as Timestamp | undefined;
  return at ? at.toMillis() : null;
}

/** Records a run's start; never moves backwards (an older concurrent run finishing late). */
export async function advanceLastRun(db: Firestore, startedAt: number): Promise<void> {
  const ref = db.doc(RUN_STATE());
  await db.runTransaction(async (tx) => {
    const at = (await tx.get(ref)).get("lastRunAt") as Timestamp | undefined;
    if (at && at.toMillis() >= startedAt) return;
    tx.set(ref, { lastRunAt: Timestamp.fromMillis(startedAt), updatedAt: FieldValue.serverTimestamp() }, { merge: true });
  });
}

/** Every document of a single-field range query (of a collection or a collection group), page by page. */
async function allPages(base: Query, field: string, op: "<=" | ">=" | ">", value: unknown): Promise<QueryDocumentSnapshot[]> {
  const docs: QueryDocumentSnapshot[] = [];
  for (;;) {
    let query = base.where(field, op, value).orderBy(field).limit(PAGE);
    if (docs.length) query = query.startAfter(docs[docs.length - 1]);
    const page = await query.get();
    docs.push(...page.docs);
    if (page.docs.length < PAGE) return docs;
  }
}

const toBucket = (data: DocumentData): RecentBucket => ({ agentId: data.agentId, userId: data.userId, day: data.day, data });

/**
 * Daily buckets whose totals changed at or after `sinceMs`, with their shards added in. The rollup
 * increments a shard, not the bucket, so both are looked for: buckets whose own `updatedAt` (the
 * commit time of a write to their totals) is recent, and the buckets of recently updated shards
 * (a collection-group query: summary shards are in the group too, and left out).
 */
export async function recentBuckets(db: Firestore, sinceMs: number): Promise<RecentBucket[]> {
  const since = Timestamp.fromMillis(sinceMs);
  const [mains, shards] = await Promise.all([
    allPages(db.collection(COLLECTIONS.daily), "updatedAt", ">=", since),
    allPages(db.collectionGroup(SHARD_COLLECTION), "updatedAt", ">=", since),
  ]);
  const open = new Set(mains.filter((d) => d.get("openShards") === true).map((d) => d.id));
  for (const shard of shards) {
    const bucket = shard.ref.parent.parent;
    if (bucket?.parent.id === COLLECTIONS.daily) open.add(bucket.id);
  }
  // A bucket with no shards is whole as the query returned it; the others are read again, with their shards.
  const whole = mains.filter((d) => !open.has(d.id));
  const ids = [...open];
  const reads = [];
  for (let i = 0; i < ids.length; i += BUCKETS_PER_READ) reads.push(readRollupDocs(db, DAILY, ids.slice(i, i + BUCKETS_PER_READ)));
  const withShards = (await Promise.all(reads)).flatMap((r) => r.docs.flatMap((d) => (d ? [d] : [])));
  return [...whole.map((d) => toBucket(d.data())), ...withShards.map(toBucket)];
}

/** The daily buckets of an agent for some days, shards added in; missing days are simply absent. */
export async function readBuckets(db: Firestore, agentId: string, days: string[]): Promise<{ day: string; data: DocumentData }[]> {
  const { docs } = await readRollupDocs(
    db,
    DAILY,
    days.map((day) => dailyId(agentId, day)),
  );
  return docs.flatMap((data, i) => (data ? [{ day: days[i], data }] : []));
}

/** Agents by id (absent when deleted). */
export async function readAgents(db: Firestore, ids: string[]): Promise<Map<string, AgentDoc>> {
  const out = new Map<string, AgentDoc>();
  for (let i = 0; i < ids.length; i += 100) {
    const snaps = await db.getAll(...ids.slice(i, i + 100).map((id) => db.doc(`${COLLECTIONS.agents}/${id}`)));
    for (const s of snaps) if (s.exists) out.set(s.id, s.data() as AgentDoc);
  }
  return out;
}

/** Failures recorded after `sinceMs` that no alert has reported yet. */
export async function unreportedFailures(db: Firestore, sinceMs: number): Promise<FailureRef[]> {
  const docs = await allPages(db.collection(COLLECTIONS.failures), "createdAt", ">", Timestamp.fromMillis(sinceMs));
  return docs
    .filter((d) => !d.get("alertId") && typeof d.get("agentId") === "string")
    .map((d) => ({ id: d.id, agentId: d.get("agentId"), userId: d.get("userId"), charged: d.get("charged") === true }));
}

/**
 * Creates an alert once. The failures it reports are marked with its id in the same batch, so
 * they are reported by exactly this alert: if the alert exists, nothing is written at all.
 *
 * @returns false when an alert with this id already exists.
 */
export async function raiseAlert(
  db: Firestore,
  id: string,
  alert: Omit<AlertDoc, "createdAt">,
  createdAt: number,
  failureIds: string[] = [],
): Promise<boolean> {
  const batch = db.batch();
  batch.create(db.doc(`${COLLECTIONS.alerts}/${id}`), { ...alert, createdAt: Timestamp.fromMillis(createdAt) });
  for (const f of failureIds) batch.update(db.doc(`${COLLECTIONS.failures}/${f}`), { alertId: id });
  try {
    await batch.commit();
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

/** Ids of alerts whose delivery is not finished (new ones, and those of a run that died). */
export async function pendingAlertIds(db: Firestore, limit: number): Promise<string[]> {
  const snap = await db.collection(COLLECTIONS.alerts).where(new FieldPath("delivery", "pending"), "==", true).limit(limit).get();
  return snap.docs.map((d) => d.id);
}

/**
 * Claims an alert's delivery until `now + leaseMs`: null when it is delivered or another run
 * holds an unexpired lease. A run that dies leaves its lease to expire.
 */
export async function claimDelivery(db: Firestore, id: string, now: number, leaseMs: number): Promise<AlertDoc | null> {
  const ref = db.doc(`${COLLECTIONS.alerts}/${id}`);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const alert = snap.data() as AlertDoc | undefined;
    if (!alert?.delivery?.pending || alert.delivery.leaseUntil > now) return null;
    tx.update(ref, new FieldPath("delivery", "leaseUntil"), now + leaseMs);
    return alert;
  });
}

/** Records the outcome of one or more channels; an undefined value deletes the field. */
export async function recordDelivery(db: Firestore, id: string, changes: Partial<DeliveryState>): Promise<void> {
  const pairs = Object.entries(changes).flatMap(([key, value]) => [
    new FieldPath("delivery", key),
    value === undefined ? FieldValue.delete() : value,
  ]);
  if (pairs.length) await db.doc(`${COLLECTIONS.alerts}/${id}`).update(...(pairs as [FieldPath, unknown, ...unknown[]]));
}

/** Creates a queue document once; an existing one (a re-delivery) is left as it is. */
async function createOnce(db: Firestore, path: string, data: DocumentData): Promise<void> {
  try {
    await db.doc(path).create(data);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Writes a Trigger Email document once. */
export async function writeMailOnce(
  db: Firestore,
  mailId: string,
  mail: { to: string; message: { subject: string; text: string; html: string } },
): Promise<void> {
  await createOnce(db, `${COLLECTIONS.mail}/${mailId}`, mail);
}

/** Writes a "Send Messages with Twilio" document (`{to, body}`, `to` in E.164) once. */
export async function writeSmsOnce(db: Firestore, smsId: string, sms: { to: string; body: string }): Promise<void> {
  await createOnce(db, `${COLLECTIONS.sms}/${smsId}`, sms);
}
