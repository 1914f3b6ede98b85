/**
 * Counts the Firestore document reads and writes this process makes, at the Admin SDK's client
 * (@google-cloud/firestore), the way Firestore bills them:
 *   - a write is one document in a commit that succeeded (batches, single writes, transactions;
 *     a failed commit writes nothing),
 *   - a read is one document a batch get returned, found or missing (get, getAll, transaction get),
 *     one per document a query returned (at least one per query), one per aggregation query.
 * The hooks wrap the client's own methods; they count only between start() and take().
 */
import { WriteBatch, Query, type Firestore } from "@google-cloud/firestore";
import { DocumentReader as InternalDocumentReader } from "@google-cloud/firestore/build/src/document-reader";

/** What a stretch of work cost. */
export interface OpCounts {
  reads: number;
  writes: number;
}

type AnyFn = (...args: unknown[]) => Promise<unknown>;

// @google-cloud/firestore keeps this internal; it is the single point every document read goes through.
const DocumentReader = InternalDocumentReader as unknown as { prototype: Record<string, AnyFn> };

let active = false;
let counts: OpCounts = { reads: 0, writes: 0 };
let installed = false;

function wrap(
  proto: Record<string, AnyFn>,
  method: string,
  around: (self: Record<string, unknown>, run: () => Promise<unknown>) => Promise<unknown>,
): void {
  const original = proto[method];
  if (typeof original !== "function") throw new Error(`firestore-meter: ${method} is not a method here (SDK changed?)`);
  proto[method] = function (this: Record<string, unknown>, ...args: unknown[]) {
    return around(this, () => original.apply(this, args));
  };
}

/** Installs the hooks (once); `db` gives the aggregate query class, which the SDK does not export. */
function install(db: Firestore): void {
  if (installed) return;
  installed = true;
  wrap(WriteBatch.prototype as unknown as Record<string, AnyFn>, "_commit", async (self, run) => {
    const ops = (self._ops as unknown[]).length;
    const result = await run();
    if (active) counts.writes += ops;
    return result;
  });
  wrap(DocumentReader.prototype, "fetchDocuments", async (self, run) => {
    const before = (self.retrievedDocuments as Map<string, unknown>).size;
    try {
      return await run();
    } finally {
      if (active) counts.reads += (self.retrievedDocuments as Map<string, unknown>).size - before;
    }
  });
  wrap(Query.prototype as unknown as Record<string, AnyFn>, "_get", async (_self, run) => {
    const result = (await run()) as { result: { size: number } };
    if (active) counts.reads += Math.max(1, result.result.size);
    return result;
  });
  const aggregate = Object.getPrototypeOf(db.collection("_meter").count()) as Record<string, AnyFn>;
  wrap(aggregate, "_get", async (_self, run) => {
    const result = await run();
    if (active) counts.reads += 1;
    return result;
  });
}

/** Starts counting (from zero). */
export function startMeter(db: Firestore): void {
  install(db);
  counts = { reads: 0, writes: 0 };
  active = true;
}

/** What was counted since start() (or the last take()); counting goes on from zero. */
export function takeMeter(): OpCounts {
  const taken = counts;
  counts = { reads: 0, writes: 0 };
  return taken;
}

/** Stops counting. */
export function stopMeter(): void {
  active = false;
}
