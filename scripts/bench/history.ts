/**
 * A long history for the analytics and export figures: 90 days and more than 20,000 ledger rows
 * for one agent. The rows are written straight to the ledger in batches and rolled up by the
 * backend's own rollup handler in this process (background triggers off, so the emulator does not
 * roll them up a second time), which takes seconds instead of the minutes 20,000 trigger runs take.
 */
import { Presets, SingleBar } from "cli-progress";
import type { Firestore } from "firebase-admin/firestore";
import { localDay } from "../../functions/src/base/periods";
import { mapWithConcurrency } from "../../functions/src/base/pool";
import { handleLedgerRowCreated } from "../../functions/src/handlers/rollup";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { ledgerDocument } from "../../functions/src/store/ledger";
import { localSigningKey } from "../local-env";
import { ledgerRowOf, trafficOf, type SeedRow } from "../seed-traffic";

export const HISTORY_DAYS = 90;
export const MIN_ROWS = 20_000;
const PER_DAY = 280;
const BATCH = 400;
const BATCH_CONCURRENCY = 4;
const ROLLUP_CONCURRENCY = 24;

/** The seeded range: the 90 local days (UTC) before today. */
export function historyRange(now = Date.now()): { from: string; to: string } {
  return { from: localDay(now - HISTORY_DAYS * 86_400_000, "UTC"), to: localDay(now - 86_400_000, "UTC") };
}

function progressBar(label: string, total: number): SingleBar {
  const bar = new SingleBar({ format: `  ${label.padEnd(24)} {bar} {value}/{total}`, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

async function writeLedger(db: Firestore, rows: SeedRow[]): Promise<void> {
  const bar = progressBar("ledger rows (batches)", rows.length);
  const batches = Array.from({ length: Math.ceil(rows.length / BATCH) }, (_, i) => rows.slice(i * BATCH, (i + 1) * BATCH));
  await mapWithConcurrency(batches, BATCH_CONCURRENCY, async (chunk) => {
    const batch = db.batch();
    for (const { id, row } of chunk) batch.create(db.doc(`${COLLECTIONS.ledger}/${id}`), ledgerDocument(row));
    await batch.commit();
    bar.increment(chunk.length);
  });
  bar.stop();
}

/**
 * Rolls every row up with the real handler, as real traffic comes: each conversation in order,
 * many conversations at once. The first row of each day (which also creates its day's bucket, and
 * the first of all the summary) goes one at a time before: two transactions creating one document
 * stall the emulator. After that, the transactions that create a shard or a session (and read that
 * session) never contend for a document that another one writes.
 */
async function rollUp(db: Firestore, rows: SeedRow[], key: string): Promise<void> {
  const seen = new Set<string>();
  const first = rows.filter((r) => !seen.has(r.row.localDay) && seen.add(r.row.localDay));
  const firsts = new Set(first);
  const sessions = new Map<string, SeedRow[]>();
  for (const r of rows.filter((x) => !firsts.has(x))) {
    const id = r.row.sessionId;
    (sessions.get(id) ?? sessions.set(id, []).get(id)!).push(r);
  }
  const bar = progressBar("rollups (in-process)", rows.length);
  const apply = async ({ id, row }: SeedRow) => {
    if ((await handleLedgerRowCreated(db, key, id, row)) !== "applied") throw new Error(`rollup of ${id} was not applied`);
    bar.increment();
  };
  try {
    await mapWithConcurrency(first, 1, apply);
    await mapWithConcurrency([...sessions.values()], ROLLUP_CONCURRENCY, async (session) => {
      for (const row of session) await apply(row);
    });
  } finally {
    bar.stop();
  }
}

/** Seeds the history of `agentId` (owned by `userId`); call with background triggers off. */
export async function seedHistory(
  db: Firestore,
  agentId: string,
  userId: string,
): Promise<{ rows: number; production: number; seconds: number }> {
  const started = performance.now();
  const key = localSigningKey();
  const messages = trafficOf({
    agentId,
    userId,
    timezone: "UTC",
    until: new Date(),
    days: HISTORY_DAYS,
    perDay: PER_DAY,
    developmentShare: 0.2,
    perConversation: 60,
  });
  if (messages.length < MIN_ROWS) throw new Error(`history: only ${messages.length} rows, below ${MIN_ROWS}`);
  const rows = messages.map((m) => ledgerRowOf(m, key));
  await writeLedger(db, rows);
  await rollUp(db, rows, key);
  return { rows: rows.length, production: rows.filter((r) => r.row.billable).length, seconds: (performance.now() - started) / 1000 };
}
