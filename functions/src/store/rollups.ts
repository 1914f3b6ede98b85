/**
 * Exactly-once rollups: one batch creates the row's marker and increments every rollup of the
 * registry that takes the row (domain/rollups.ts `rollupsOf`): for a sharded rollup, the row's shard
 * (`{collection}/{docId}/shards/{k}`), not the main document, so a hot agent's rows spread over N
 * documents. A second (or concurrent) delivery fails on the marker's create() and the whole batch
 * with it, so nothing is counted twice. Increments commute: no read-modify-write. Nothing here is
 * about one rollup: a new one is an entry in the registry. Readers: store/rollup-reads.ts. The same
 * batch creates the row's Stripe outbox entry (store/outbox.ts), so what is reported to Stripe is
 * exactly what the totals count.
 */
import {
  FieldPath,
  FieldValue,
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Transaction,
  type WriteBatch,
} from "firebase-admin/firestore";
import type { LedgerRow } from "../domain/ledger";
import { rollupsOf, SHARD_COLLECTION, type Deltas, type Rollup } from "../domain/rollups";
import { COLLECTIONS } from "../base/collections";
import { isPlainMap } from "../base/maps";
import { shardOf } from "../base/shard-of";
import { isAlreadyExists, isNotFound } from "../errors";
import { usageReportOf } from "../domain/usage-report";
import { maximumOf, minimumOf } from "./bounds";
import { outboxInto } from "./outbox";

export type RollupOutcome = "applied" | "duplicate";

type Fields = Record<string, unknown>;

/** Turns integer deltas into Firestore increments, keeping the nesting (keys stay literal). */
function increments(deltas: Deltas): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(deltas)) {
    out[key] = typeof value === "number" ? FieldValue.increment(value) : increments(value);
  }
  return out;
}

/** The same fields as update() arguments: one FieldPath per leaf, so map keys such as "gpt-4.1" stay literal. */
function fieldPairs(fields: Fields, prefix: string[] = []): unknown[] {
  return Object.entries(fields).flatMap(([key, value]) =>
    isPlainMap(value) ? fieldPairs(value as Fields, [...prefix, key]) : [new FieldPath(...prefix, key), value],
  );
}

/** A rollup's bounds as minimum and maximum transforms. */
function boundsOf(rollup: Rollup, row: LedgerRow): Fields {
  const b = rollup.bounds?.(row);
  if (!b) return {};
  const out: Fields = {};
  for (const [field, value] of Object.entries(b.min)) out[field] = minimumOf(value);
  for (const [field, value] of Object.entries(b.max)) out[field] = maximumOf(value);
  return out;
}

interface Target {
  /** The rollup's document for this row. */
  main: string;
  /** Where the increments go: the row's shard of a sharded rollup, else the main document. */
  path: string;
  fields: Fields;
  /** Identity fields written once, when the main document is created. */
  identity: Fields;
}

const isSharded = (t: Target) => t.path !== t.main;

/** What one row writes to each rollup of the registry: its increments and timestamps, and its identity for a new document. */
function targets(rowId: string, row: LedgerRow): Target[] {
  const now = FieldValue.serverTimestamp();
  return rollupsOf(row).map((r) => {
    const main = `${r.collection}/${r.docId(row)}`;
    return {
      main,
      path: r.shards ? `${main}/${SHARD_COLLECTION}/${shardOf(rowId, r.shards)}` : main,
      fields: { ...increments(r.deltas(row)), ...boundsOf(r, row), ...(r.lastActivity ? { lastActivity: now } : {}), updatedAt: now },
      identity: r.identity(row),
    };
  });
}

const markerPath = (rowId: string) => `${COLLECTIONS.rollupMarkers}/${rowId}`;

/** The row's outbox entry, when it is one Stripe is told of (domain/usage-report.ts). */
function reportInto(writer: WriteBatch | Transaction, db: Firestore, rowId: string, row: LedgerRow): void {
  const report = usageReportOf(rowId, row);
  if (report) outboxInto(writer, db, report);
}
const markerFields = (row: LedgerRow) => ({ rolledUpAt: FieldValue.serverTimestamp(), agentId: row.agentId });

function updateArgs(fields: Fields): [FieldPath, unknown, ...unknown[]] {
  return fieldPairs(fields) as [FieldPath, unknown, ...unknown[]];
}

/** The common case: every document exists, so blind increments in one batch, no read (main documents of sharded rollups untouched). */
async function incrementExisting(db: Firestore, rowId: string, row: LedgerRow): Promise<void> {
  const batch = db.batch();
  batch.create(db.doc(markerPath(rowId)), markerFields(row));
  reportInto(batch, db, rowId, row);
  for (const t of targets(rowId, row)) batch.update(db.doc(t.path), ...updateArgs(t.fields));
  await batch.commit();
}

/**
 * A sharded rollup's main document must exist and say it has shards to add (`openShards`, which a
 * fold clears): created, or flagged, here. Already flagged, it is not written, which keeps it out of
 * the path of every row but the first of each shard.
 */
function openMain(tx: Transaction, main: DocumentSnapshot, t: Target, createdAt: Timestamp): void {
  if (!main.exists) tx.set(main.ref, { ...t.identity, openShards: true, createdAt, updatedAt: FieldValue.serverTimestamp() });
  else if (main.get("openShards") !== true) tx.update(main.ref, { openShards: true });
}

/**
 * Adds the row to its shard, created if missing: an upsert of the owner (for the rules; the org
 * for an org's) and the increments. The shard is not read, so the transaction holds no lock on a
 * shard that other rows' batches are incrementing.
 */
function addToShard(tx: Transaction, ref: DocumentReference, t: Target): void {
  const owners = Object.entries(t.identity).filter(([key, value]) => SHARD_OWNERS.has(key) && value !== undefined);
  tx.set(ref, { ...Object.fromEntries(owners), ...t.fields }, { merge: true });
}

/** The identity fields a shard carries too: whose it is. */
const SHARD_OWNERS = new Set(["agentId", "userId", "orgId"]);

/** Adds the row to an unsharded document: increments if it exists, else creates it with its identity. */
function addTo(tx: Transaction, doc: DocumentSnapshot, t: Target, createdAt: Timestamp): void {
  if (doc.exists) tx.update(doc.ref, ...updateArgs(t.fields));
  else tx.set(doc.ref, { ...t.identity, ...t.fields, createdAt });
}

/**
 * The first row of a rollup document or shard (an agent, a day, a session, a shard, a day folded
 * already): a transaction creates what is missing. It reads the marker, the main documents of the
 * sharded rollups (for `openShards`) and the unsharded documents.
 */
async function createMissing(db: Firestore, rowId: string, row: LedgerRow): Promise<RollupOutcome> {
  return db.runTransaction(async (tx) => {
    const list = targets(rowId, row);
    const sharded = list.filter(isSharded);
    const plain = list.filter((t) => !isSharded(t));
    const markerRef = db.doc(markerPath(rowId));
    const [marker, ...docs] = await tx.getAll(
      markerRef,
      ...[...sharded.map((t) => t.main), ...plain.map((t) => t.path)].map((p) => db.doc(p)),
    );
    if (marker.exists) return "duplicate";
    tx.create(markerRef, markerFields(row));
    reportInto(tx, db, rowId, row);
    const createdAt = Timestamp.fromDate(new Date(row.timestamp));
    sharded.forEach((t, i) => {
      openMain(tx, docs[i], t, createdAt);
      addToShard(tx, db.doc(t.path), t);
    });
    plain.forEach((t, i) => addTo(tx, docs[sharded.length + i], t, createdAt));
    return "applied";
  });
}

/**
 * Rolls one ledger row up exactly once. A second or concurrent delivery fails on the marker's
 * create() (or finds the marker in the transaction) and changes nothing.
 */
export async function applyRollup(db: Firestore, rowId: string, row: LedgerRow): Promise<RollupOutcome> {
  try {
    await incrementExisting(db, rowId, row);
    return "applied";
  } catch (err) {
    if (isAlreadyExists(err)) return "duplicate";
    if (!isNotFound(err)) throw err;
  }
  return createMissing(db, rowId, row);
}
