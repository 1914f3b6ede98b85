/**
 * Long histories for the bench (groups history and account): signed ledger rows written straight to
 * the ledger in batches, then rolled up by the backend's own rollup handler in this process
 * (background triggers off, so the emulator does not roll them up a second time). That takes seconds
 * where 20,000 trigger runs take minutes. Seeding is idempotent: a row with a rollup marker (written
 * and rolled up by an earlier run) is passed over, a row already in the ledger is left as it is, and
 * a row already rolled up is found by its marker and counted once.
 */
import { Presets, SingleBar } from "cli-progress";
import type { Firestore } from "firebase-admin/firestore";
import { mapWithConcurrency } from "../../functions/src/base/pool";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { ROLLUPS } from "../../functions/src/domain/rollups";
import { isAlreadyExists } from "../../functions/src/errors";
import { handleLedgerRowCreated } from "../../functions/src/handlers/rollup";
import { ledgerDocument } from "../../functions/src/store/ledger";
import type { SeedRow } from "../seed-traffic";

const BATCH = 400;
const MARKER_READS = 1_000;
const BATCH_CONCURRENCY = 4;
const ROLLUP_CONCURRENCY = 24;

function progressBar(label: string, total: number): SingleBar {
  const bar = new SingleBar({ format: `  ${label.padEnd(24)} {bar} {value}/{total}`, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

/** Creates one row, leaving a row of that id alone: true when it was written now. */
async function createRow(db: Firestore, { id, row }: SeedRow): Promise<boolean> {
  try {
    await db.doc(`${COLLECTIONS.ledger}/${id}`).create(ledgerDocument(row));
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

/**
 * Writes the rows in batches of creates; a batch that meets a row already there (an earlier run)
 * is written again row by row, leaving the existing ones alone. Returns how many were created.
 */
async function writeLedger(db: Firestore, rows: readonly SeedRow[]): Promise<{ created: number; existing: number }> {
  const bar = progressBar("ledger rows (batches)", rows.length);
  const batches = Array.from({ length: Math.ceil(rows.length / BATCH) }, (_, i) => rows.slice(i * BATCH, (i + 1) * BATCH));
  let created = 0;
  try {
    await mapWithConcurrency(batches, BATCH_CONCURRENCY, async (chunk) => {
      const batch = db.batch();
      for (const { id, row } of chunk) batch.create(db.doc(`${COLLECTIONS.ledger}/${id}`), ledgerDocument(row));
      try {
        await batch.commit();
        created += chunk.length;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const written = await mapWithConcurrency(chunk, 8, (r) => createRow(db, r));
        created += written.filter(Boolean).length;
      }
      bar.increment(chunk.length);
    });
  } finally {
    bar.stop();
  }
  return { created, existing: rows.length - created };
}

/**
 * The rollup documents a row adds to (domain/rollups.ts), by path: the main documents of the
 * sharded rollups (read, created by a row's first) and the unsharded ones (read and written whole).
 */
function documentsOf({ row }: SeedRow): { all: string[]; sharded: string[]; exclusive: string[] } {
  const path = (r: (typeof ROLLUPS)[number]) => `${r.collection}/${r.docId(row)}`;
  const sharded = ROLLUPS.filter((r) => r.shards).map(path);
  const exclusive = ROLLUPS.filter((r) => !r.shards).map(path);
  return { all: [...sharded, ...exclusive], sharded, exclusive };
}

/**
 * The order the rows are rolled up in: `waves` first, one after another, the rows of a wave all at
 * once; then `sessions`, each session's rows one after another, many sessions at once.
 *
 * A row that is the first of a sharded rollup's main document (an agent's summary, its local day,
 * an owner's UTC day) goes in a wave: its transaction creates that document, and two transactions
 * creating one document stall the emulator. So in a wave no two rows share a document that does not
 * exist yet, nor an unsharded one (a session: read and written whole); a row that needs a document
 * another wave creates comes in a later wave. Rows that only read existing main documents at once are
 * fine: that is every later row of a day. Pure: the same rows give the same plan.
 */
export function rollupPlan(rows: readonly SeedRow[]): { waves: SeedRow[][]; sessions: SeedRow[][] } {
  const claimed = new Set<string>();
  const firsts: SeedRow[] = [];
  const sessions = new Map<string, SeedRow[]>();
  for (const r of rows) {
    const fresh = documentsOf(r).sharded.filter((path) => !claimed.has(path));
    if (fresh.length) {
      for (const path of fresh) claimed.add(path);
      firsts.push(r);
    } else {
      const id = r.row.sessionId;
      (sessions.get(id) ?? sessions.set(id, []).get(id)!).push(r);
    }
  }
  const waves: SeedRow[][] = [];
  const created = new Set<string>();
  for (let left = firsts; left.length;) {
    const wave: SeedRow[] = [];
    const taken = new Set<string>();
    const later: SeedRow[] = [];
    for (const r of left) {
      const docs = documentsOf(r);
      const mine = [...docs.all.filter((path) => !created.has(path)), ...docs.exclusive];
      if (docs.all.some((path) => taken.has(path))) later.push(r);
      else {
        wave.push(r);
        for (const path of mine) taken.add(path);
      }
    }
    for (const r of wave) for (const path of documentsOf(r).all) created.add(path);
    waves.push(wave);
    left = later;
  }
  return { waves, sessions: [...sessions.values()] };
}

/**
 * Rolls every row up with the real handler, in the order of {@link rollupPlan}. Returns how many
 * were applied now and how many had been rolled up before (an earlier run); a row the handler
 * refuses (a bad signature) throws.
 */
async function rollUp(db: Firestore, rows: readonly SeedRow[], key: string): Promise<{ applied: number; duplicate: number }> {
  const plan = rollupPlan(rows);
  const counts = { applied: 0, duplicate: 0 };
  const bar = progressBar("rollups (in-process)", rows.length);
  const apply = async ({ id, row }: SeedRow) => {
    const outcome = await handleLedgerRowCreated(db, key, id, row);
    if (outcome === "refused") throw new Error(`the rollup refused ledger row ${id}`);
    counts[outcome]++;
    bar.increment();
  };
  try {
    for (const wave of plan.waves) await mapWithConcurrency(wave, ROLLUP_CONCURRENCY, apply);
    await mapWithConcurrency(plan.sessions, ROLLUP_CONCURRENCY, async (session) => {
      for (const row of session) await apply(row);
    });
  } finally {
    bar.stop();
  }
  return counts;
}

/** The ledger rows among `ids` that have no rollup marker (not rolled up), read by id in chunks. */
export async function withoutMarker(db: Firestore, ids: readonly string[]): Promise<Set<string>> {
  const chunks = Array.from({ length: Math.ceil(ids.length / MARKER_READS) }, (_, i) =>
    ids.slice(i * MARKER_READS, (i + 1) * MARKER_READS),
  );
  const markers = await mapWithConcurrency(chunks, BATCH_CONCURRENCY, (chunk) =>
    db.getAll(...chunk.map((id) => db.doc(`${COLLECTIONS.rollupMarkers}/${id}`))),
  );
  return new Set(markers.flat().flatMap((m) => (m.exists ? [] : [m.id])));
}

/** What seeding did. */
export interface Seeded {
  rows: number;
  /** Rows written and rolled up by an earlier run, passed over. */
  before: number;
  written: { created: number; existing: number };
  rolled: { applied: number; duplicate: number };
  writeSeconds: number;
  rollupSeconds: number;
}

/** Writes `rows` to the ledger and rolls them up in-process, passing over those rolled up before; call with background triggers off. */
export async function seedRows(db: Firestore, rows: readonly SeedRow[], key: string): Promise<Seeded> {
  let started = performance.now();
  const missing = await withoutMarker(
    db,
    rows.map((r) => r.id),
  );
  const todo = rows.filter((r) => missing.has(r.id));
  const written = await writeLedger(db, todo);
  const writeSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const rolled = await rollUp(db, todo, key);
  return {
    rows: rows.length,
    before: rows.length - todo.length,
    written,
    rolled,
    writeSeconds,
    rollupSeconds: (performance.now() - started) / 1000,
  };
}
