/**
 * Reading a long history back through the client SDK: a 90-day getUsageAnalytics (documents read
 * and latency) and a 90-day export (rows per second, and the memory the export function's worker
 * grows by while it streams).
 */
import type { Firestore } from "firebase-admin/firestore";
import type { BillingClient } from "../../client/src";
import { daysInRange } from "../../functions/src/base/periods";
import { dailyId } from "../../functions/src/domain/ids";
import { rollupNamed, type Rollup } from "../../functions/src/domain/rollups";
import { foldRollupShards } from "../../functions/src/handlers/fold";
import { adminDb } from "../local-env";
import { inProcessExport, workerMemory } from "./export-memory";
import type { Figure } from "./report";
import { summarize, timeCalls } from "./stats";

const ANALYTICS_CALLS = 20;
const DAILY = rollupNamed("daily");

/** How many of `rollup`'s documents `ids` (days of a range) still have shards to add (not folded). */
export async function openDays(db: Firestore, rollup: Rollup, ids: string[]): Promise<number> {
  const snaps = await db.getAll(...ids.map((id) => db.doc(`${rollup.collection}/${id}`)));
  return snaps.filter((s) => s.get("openShards") === true).length;
}

/**
 * The fold the 15-minute scheduler runs (the history was just written, so every day is still open):
 * the documents a query reads before and after it.
 */
async function foldHistory(client: BillingClient, request: { agentId: string; from: string; to: string; granularity: "day" }) {
  const before = (await client.getUsageAnalytics(request)).documentsRead;
  const started = performance.now();
  const folded = await foldRollupShards(adminDb(), Date.now());
  return { before, folded, seconds: (performance.now() - started) / 1000 };
}

/** The analytics figures over `range`; `rows` is the number of ledger rows in it. */
export async function measureAnalytics(
  client: BillingClient,
  agentId: string,
  range: { from: string; to: string },
  rows: number,
): Promise<Figure[]> {
  const request = { agentId, granularity: "day" as const, ...range };
  const fold = await foldHistory(client, request);
  const days = daysInRange(range.from, range.to);
  const open = await openDays(
    adminDb(),
    DAILY,
    days.map((day) => dailyId(agentId, day)),
  );
  // Each day's bucket, 16 shards per day not folded, the agent, and one to spare (the bound).
  const bound = days.length + DAILY.shards! * open + 2;
  const first = await client.getUsageAnalytics(request);
  await client.getUsageAnalytics(request);
  const timed = await timeCalls(ANALYTICS_CALLS, 1, () => client.getUsageAnalytics(request));
  const latency = summarize(timed.latencies);
  const counted = first.totals.messages + first.totals.development.messages;
  const method = `${first.series.length}-day range, granularity day, over ${rows.toLocaleString("en-US")} ledger rows`;
  return [
    {
      group: "analytics",
      name: "90-day query: documents read",
      value: first.documentsRead,
      unit: "",
      target: `≤ ${bound} (days + 16 × open days + 2)`,
      pass: first.documentsRead <= bound,
      method: `documentsRead of the response after the fold; ${days.length} days, ${open} still open (not over in every timezone); ${method}`,
    },
    {
      group: "analytics",
      name: "90-day query: documents read before the fold",
      value: fold.before,
      unit: "",
      target: "—",
      pass: null,
      method: `the same query with every day's shards open; the fold then took ${fold.seconds.toFixed(1)} s for ${fold.folded.buckets} buckets (${fold.folded.shards} shards, ${fold.folded.failed} failed)`,
    },
    {
      group: "analytics",
      name: "90-day query: latency p50 / p99",
      value: `${latency.p50} / ${latency.p99}`,
      unit: "ms",
      target: "—",
      pass: timed.failures.length ? false : null,
      method: `${ANALYTICS_CALLS} calls in a row after 2 warm-up, ${method}`,
    },
    {
      group: "analytics",
      name: "90-day query: messages counted",
      value: counted,
      unit: "",
      target: `= ${rows} rows`,
      pass: counted === rows,
      method: "production + development messages of the totals",
    },
  ];
}

/** A stuck export (the emulator reloaded its workers mid-request) must not hang the run. */
const EXPORT_TIMEOUT_MS = 180_000;

/** Reads an export over HTTP to its end, counting NDJSON rows. */
async function readRows(client: BillingClient, agentId: string, range: { from: string; to: string }): Promise<number> {
  const report = await client.openBillingReport({ agentId, ...range, format: "ndjson" }, AbortSignal.timeout(EXPORT_TIMEOUT_MS));
  const reader = report.body.getReader();
  let rows = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    for (const byte of chunk.value) if (byte === 10) rows++;
  }
  return rows;
}

/** One timed export over HTTP with the worker's RSS sampled; tried twice (see EXPORT_TIMEOUT_MS). */
async function timedExport(client: BillingClient, agentId: string, range: { from: string; to: string }) {
  for (let attempt = 1; ; attempt++) {
    const probe = workerMemory("exportBillingReport");
    const started = performance.now();
    try {
      const rows = await readRows(client, agentId, range);
      return { rows, seconds: (performance.now() - started) / 1000, memory: probe.stop() };
    } catch (err) {
      probe.stop();
      if (attempt === 2) throw err;
      console.log(`  the export broke off (${(err as Error).message}); measuring again`);
    }
  }
}

/** The export figures over `range`, which holds `rows` ledger rows of `owner`'s agent. */
export async function measureExport(
  db: Firestore,
  client: BillingClient,
  owner: { uid: string; agentId: string },
  range: { from: string; to: string },
  rows: number,
): Promise<Figure[]> {
  // A small export first, so the function's worker is up and its modules loaded before measuring.
  await readRows(client, owner.agentId, { from: range.to, to: range.to });
  const http = await timedExport(client, owner.agentId, range);
  const local = await inProcessExport(db, owner.uid, { agentId: owner.agentId, ...range });
  const rssMb = http.memory.growthBytes === null ? "n/a" : Math.round((http.memory.growthBytes / 1_048_576) * 10) / 10;
  const inProcess = "the export handler run in the bench process into a counting sink, process.memoryUsage() sampled every 10 ms";
  return [
    {
      group: "export",
      name: "rows exported (NDJSON, 90 days, HTTP)",
      value: http.rows,
      unit: "rows",
      target: `= ${rows}, ≥ 20,000`,
      pass: http.rows === rows && http.rows >= 20_000,
    },
    {
      group: "export",
      name: "export throughput (HTTP)",
      value: Math.round(http.rows / http.seconds),
      unit: "rows/s",
      target: "—",
      pass: null,
      method: `client-side, request to last byte: ${http.seconds.toFixed(1)} s`,
    },
    // The target is on live memory: what the export holds while it streams. The uncollected peak
    // depends on when V8 chooses to collect garbage, not on the range, so it is shown beside it.
    {
      group: "export",
      name: "export memory growth, live (heap + external)",
      value: local.retainedMb,
      unit: "MB",
      target: "< 50 MB",
      pass: local.rows === rows && local.retainedMb < 50,
      method: `${inProcess}: the largest heap + external after a forced GC every 4 pages, above the level before; ${local.rows} rows`,
    },
    {
      group: "export",
      name: "export memory growth, peak incl. uncollected garbage",
      value: local.peakMb,
      unit: "MB",
      target: "—",
      pass: null,
      method: `${inProcess}: peak above the level after a forced GC, GC left to V8`,
    },
    {
      group: "export",
      name: "export worker RSS growth (peak − before)",
      value: rssMb,
      unit: typeof rssMb === "number" ? "MB" : "",
      target: "—",
      pass: null,
      method: http.memory.method,
    },
  ];
}
