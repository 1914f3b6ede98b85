/**
 * Counts the Firestore document reads and writes this process makes, at the Admin SDK's client
 * (@google-cloud/firestore), the way Firestore bills them:
 *   - a write is one document in a commit that succeeded (batches, single writes, transactions;
 *     a failed commit writes nothing),
 *   - a read is one document a batch get returned, found or missing (get, getAll, transaction get),
 *     one per document a query returned (at least one per query), one per aggregation query.
 * The hooks wrap the client's own methods; they count only between start() and take(). The same
 * hooks time each round trip (a commit, a batch get, a query) while a trace runs (startTrace), so
 * the bench can tell how many of them a request waited for one after another.
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

/** One round trip to Firestore: when it was sent and when its answer came (performance.now()). */
export interface RoundTrip {
  kind: "commit" | "get" | "query";
  start: number;
  end: number;
}

let trace: RoundTrip[] | null = null;

/** Times `run` into the running trace, if any. */
async function timed<T>(kind: RoundTrip["kind"], run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await run();
  } finally {
    trace?.push({ kind, start, end: performance.now() });
  }
}

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
    const result = await timed("commit", run);
    if (active) counts.writes += ops;
    return result;
  });
  wrap(DocumentReader.prototype, "fetchDocuments", async (self, run) => {
    const before = (self.retrievedDocuments as Map<string, unknown>).size;
    try {
      return await timed("get", run);
    } finally {
      if (active) counts.reads += (self.retrievedDocuments as Map<string, unknown>).size - before;
    }
  });
  wrap(Query.prototype as unknown as Record<string, AnyFn>, "_get", async (_self, run) => {
    const result = (await timed("query", run)) as { result: { size: number } };
    if (active) counts.reads += Math.max(1, result.result.size);
    return result;
  });
  const aggregate = Object.getPrototypeOf(db.collection("_meter").count()) as Record<string, AnyFn>;
  wrap(aggregate, "_get", async (_self, run) => {
    const result = await timed("query", run);
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

/** Starts timing every round trip (from none); the meter's counting is not affected. */
export function startTrace(db: Firestore): void {
  install(db);
  trace = [];
}

/** The round trips timed since startTrace(), or the last takeTrace(); the trace goes on from none. */
export function takeTrace(): RoundTrip[] {
  const taken = trace ?? [];
  if (trace) trace = [];
  return taken;
}

/** Stops timing round trips. */
export function stopTrace(): void {
  trace = null;
}

/**
 * How many of `trips` ran one after another: the most of them that can be lined up so that each
 * starts after the one before it answered (picked greedily by earliest answer, which is optimal).
 * Round trips that overlap count once, so this is the number a request waited for in sequence.
 */
export function sequentialDepth(trips: readonly RoundTrip[]): number {
  let depth = 0;
  let free = Number.NEGATIVE_INFINITY;
  for (const trip of [...trips].sort((a, b) => a.end - b.end)) {
    if (trip.start < free) continue;
    depth++;
    free = trip.end;
  }
  return depth;
}
