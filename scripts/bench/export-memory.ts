/**
 * The memory an export costs, measured two ways:
 *
 * - In this process (the figure with the target): the backend's export handler streams the report
 *   into a sink that only counts, while process.memoryUsage() is sampled every 10 ms. Growth is the
 *   peak of heapUsed + external above the level after a forced GC just before. A second run with a
 *   forced GC every few pages shows what stays reachable (does anything accumulate?).
 * - From outside (informational): the Functions emulator runs each function in a worker process,
 *   found by its FUNCTION_TARGET in /proc; its VmRSS is sampled while the export streams over
 *   HTTP. V8 collects lazily, so this includes garbage not yet collected.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import type { Firestore } from "firebase-admin/firestore";
import { handleExportRequest } from "../../functions/src/handlers/export";
import { localSigningKey } from "../local-env";
import { rssBytes, workerPids } from "./env";

const SAMPLE_MS = 20;
const MB = 1_048_576;

/** A running measurement of the worker processes' RSS; stop() ends it. */
export interface MemoryProbe {
  stop(): { growthBytes: number | null; method: string };
}

/** Samples the RSS of every worker of `functionName`; growth is the largest rise of one worker. */
export function workerMemory(functionName: string): MemoryProbe {
  const before = new Map<number, number>();
  const peak = new Map<number, number>();
  const sample = () => {
    for (const pid of workerPids(functionName)) {
      const rss = rssBytes(pid);
      if (rss === null) continue;
      if (!before.has(pid)) before.set(pid, rss);
      peak.set(pid, Math.max(peak.get(pid) ?? 0, rss));
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      if (!before.size) return { growthBytes: null, method: "no worker process of the export found in /proc" };
      const growth = Math.max(...[...peak].map(([pid, max]) => max - (before.get(pid) ?? max)));
      return {
        growthBytes: growth,
        method: `VmRSS of the emulator's ${functionName} worker (/proc, every ${SAMPLE_MS} ms); V8 collects lazily, so garbage not yet collected counts`,
      };
    },
  };
}

/** V8's gc(), made callable without --expose-gc on the command line. */
function forcedGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/** A sink that counts rows and otherwise drops the report; `onWrite` runs after each chunk. */
function countingSink(onWrite: () => void) {
  const counted = { rows: 0 };
  const sink = {
    status: () => undefined,
    header: () => undefined,
    write: async (chunk: string) => {
      for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) counted.rows++;
      onWrite();
    },
    end: async () => undefined,
    abort: () => {
      throw new Error("the in-process export aborted");
    },
  };
  return { sink, counted };
}

/**
 * Runs the export handler in-process over `query`, twice: once left to collect garbage as it
 * would (the peak of heap + external, sampled), once with a forced GC every few pages (what stays
 * reachable). Both are relative to the level after a forced GC just before. Figures in MB.
 */
export async function inProcessExport(
  db: Firestore,
  uid: string,
  query: { agentId: string; from: string; to: string },
): Promise<{ rows: number; peakMb: number; retainedMb: number }> {
  const gc = forcedGc();
  const deps = { db, signingKey: localSigningKey(), verifyIdToken: async () => ({ uid }), now: Date.now };
  const request = { method: "GET", authorization: "Bearer in-process", query: { ...query, format: "ndjson" } };
  gc();
  let base = used();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, used())), 10);
  const natural = countingSink(() => undefined);
  await handleExportRequest(deps, request, natural.sink).finally(() => clearInterval(timer));
  const peakMb = round((Math.max(peak, used()) - base) / MB);
  gc();
  base = used();
  let retained = base;
  let writes = 0;
  const forced = countingSink(() => {
    if (++writes % 4 !== 0) return;
    gc();
    retained = Math.max(retained, used());
  });
  await handleExportRequest(deps, request, forced.sink);
  if (forced.counted.rows !== natural.counted.rows) throw new Error("the two in-process exports differ");
  return { rows: natural.counted.rows, peakMb, retainedMb: round((retained - base) / MB) };
}

const round = (x: number) => Math.round(x * 10) / 10;
