/**
 * Reads of the ledger (`billable_conversations`) for history and export: always filtered on the
 * agent AND the caller's uid (owner-only, as the rules require of client queries), newest first,
 * resumed by cursor so no offset is ever skipped over and paid for.
 *
 * Order: `createdAt desc, localDay desc, __name__ desc`. localDay only breaks createdAt ties; it
 * is in the order because it carries an inequality, and Firestore orders by every inequality
 * field, so naming it keeps the cursor's values in the query's own order. See the report of
 * issue 6 for the composite indexes this needs.
 */
import { FieldPath, Timestamp, type Firestore, type Query, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { instantWindow } from "../domain/day-window";
import type { PageCursor } from "../domain/page-token";
import { COLLECTIONS } from "../base/collections";

/** Which rows: the owner's rows of one agent, optionally by local day (inclusive) and billable. */
export interface LedgerFilter {
  agentId: string;
  userId: string;
  from?: string;
  to?: string;
  billable?: boolean;
}

/** A stored row: its document id, its raw data (checked by the caller) and its createdAt. */
export interface StoredRow {
  id: string;
  data: Record<string, unknown>;
  createdAt: Timestamp;
}

function filteredQuery(db: Firestore, f: LedgerFilter): Query {
  let query: Query = db.collection(COLLECTIONS.ledger).where("agentId", "==", f.agentId).where("userId", "==", f.userId);
  if (f.billable !== undefined) query = query.where("billable", "==", f.billable);
  // createdAt bounds the index scan to the range (± a day, for any timezone); localDay is exact.
  const window = instantWindow(f.from, f.to);
  if (f.from !== undefined && window.start) {
    query = query.where("createdAt", ">=", Timestamp.fromDate(window.start)).where("localDay", ">=", f.from);
  }
  if (f.to !== undefined && window.end) {
    query = query.where("createdAt", "<", Timestamp.fromDate(window.end)).where("localDay", "<=", f.to);
  }
  return query.orderBy("createdAt", "desc").orderBy("localDay", "desc").orderBy(FieldPath.documentId(), "desc");
}

function toStored(doc: QueryDocumentSnapshot): StoredRow {
  const createdAt = doc.get("createdAt");
  if (!(createdAt instanceof Timestamp)) throw new Error(`ledger row ${doc.id} has no createdAt timestamp`);
  return { id: doc.id, data: doc.data(), createdAt };
}

/** Where a page that ends with `row` resumes. */
export function cursorAfter(row: StoredRow): PageCursor {
  return { seconds: row.createdAt.seconds, nanos: row.createdAt.nanoseconds, day: String(row.data.localDay), id: row.id };
}

/**
 * One page of at most `limit` rows after `after`; `more` says whether rows remain (one extra row
 * is fetched to know, so the last page is never an empty one).
 */
export async function ledgerPage(
  db: Firestore,
  filter: LedgerFilter,
  after: PageCursor | null,
  limit: number,
): Promise<{ rows: StoredRow[]; more: boolean }> {
  let query = filteredQuery(db, filter);
  if (after) query = query.startAfter(new Timestamp(after.seconds, after.nanos), after.day, after.id);
  const snap = await query.limit(limit + 1).get();
  return { rows: snap.docs.slice(0, limit).map(toStored), more: snap.docs.length > limit };
}

/** Every matching row, newest first, one page at a time: memory stays flat however many match. */
export async function* ledgerPages(db: Firestore, filter: LedgerFilter, pageSize: number): AsyncGenerator<StoredRow[]> {
  let after: PageCursor | null = null;
  for (;;) {
    const page = await ledgerPage(db, filter, after, pageSize);
    if (page.rows.length) yield page.rows;
    if (!page.more) return;
    after = cursorAfter(page.rows[page.rows.length - 1]);
  }
}
