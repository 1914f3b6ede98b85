/**
 * Exactly-once rollups: one batch creates the row's marker and increments the summary, the daily
 * bucket and the session. A second (or concurrent) delivery fails on the marker's create() and the
 * whole batch with it, so nothing is counted twice. Increments commute: no read-modify-write.
 */
import { FieldPath, FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { LedgerRow } from "../domain/ledger";
import { dailyDeltas, sessionDeltas, summaryDeltas, type Deltas } from "../domain/rollups";
import { isPlainMap } from "../base/maps";
import { dailyId } from "../domain/ids";
import { isAlreadyExists, isNotFound } from "../errors";
import { COLLECTIONS } from "./collections";

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

interface Target {
  path: string;
  fields: Fields;
  /** Identity fields written once, when the document is created. */
  identity: Fields;
}

function targets(row: LedgerRow): Target[] {
  const now = FieldValue.serverTimestamp();
  const owner = { agentId: row.agentId, userId: row.userId };
  return [
    {
      path: `${COLLECTIONS.summaries}/${row.agentId}`,
      fields: { ...increments(summaryDeltas(row)), lastActivity: now, updatedAt: now },
      identity: owner,
    },
    {
      path: `${COLLECTIONS.daily}/${dailyId(row.agentId, row.localDay)}`,
      fields: { ...increments(dailyDeltas(row)), updatedAt: now },
      identity: { ...owner, day: row.localDay },
    },
    {
      path: `${COLLECTIONS.sessions}/${row.sessionId}`,
      fields: { ...increments(sessionDeltas(row)), lastActivity: now, updatedAt: now },
      identity: { ...owner, sessionId: row.sessionId, conversationId: row.conversationId, testMode: row.mode },
    },
  ];
}

const markerPath = (rowId: string) => `${COLLECTIONS.rollupMarkers}/${rowId}`;
const markerFields = (row: LedgerRow) => ({ rolledUpAt: FieldValue.serverTimestamp(), agentId: row.agentId });

function updateArgs(fields: Fields): [FieldPath, unknown, ...unknown[]] {
  return fieldPairs(fields) as [FieldPath, unknown, ...unknown[]];
}

/** The common case: every document exists, so blind increments in one batch, no read. */
async function incrementExisting(db: Firestore, rowId: string, row: LedgerRow): Promise<void> {
  const batch = db.batch();
  batch.create(db.doc(markerPath(rowId)), markerFields(row));
  for (const t of targets(row)) batch.update(db.doc(t.path), ...updateArgs(t.fields));
  await batch.commit();
}

/** The first row of an agent, day or session: a transaction creates what is missing. */
async function createMissing(db: Firestore, rowId: string, row: LedgerRow): Promise<RollupOutcome> {
  return db.runTransaction(async (tx) => {
    const list = targets(row);
    const markerRef = db.doc(markerPath(rowId));
    const [marker, ...docs] = await tx.getAll(markerRef, ...list.map((t) => db.doc(t.path)));
    if (marker.exists) return "duplicate";
    tx.create(markerRef, markerFields(row));
    list.forEach((t, i) => {
      if (docs[i].exists) tx.update(docs[i].ref, ...updateArgs(t.fields));
      else tx.set(docs[i].ref, { ...t.identity, ...t.fields, createdAt: Timestamp.fromDate(new Date(row.timestamp)) });
    });
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
