/**
 * The demo's history: a month of earlier traffic seeded as signed ledger rows (idempotently),
 * rolled up by the real trigger, then read back through the client SDK as an analytics table, a
 * chart of daily cost and an export file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { plot } from "asciichart";
import { SingleBar, Presets } from "cli-progress";
import { parse } from "csv-parse/sync";
import type { Firestore } from "firebase-admin/firestore";
import type { BillingClient } from "../client/src";
import { localDay } from "../functions/src/base/periods";
import { count, table, usd } from "./cli-format";
import { DEMO } from "./demo-setup";
import { localSigningKey, ROOT } from "./local-env";
import { ledgerRowOf, trafficOf, writeRows } from "./seed-traffic";

export const HISTORY_DAYS = 30;
const WRITE_CONCURRENCY = 16;
const ROLLUP_TIMEOUT_MS = 240_000;

const bar = (label: string) =>
  new SingleBar(
    { format: `  ${label.padEnd(22)} {bar} {value}/{total} {unit}`, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );

/** The demo's month: the days before today in the agent's timezone, as `from`..`to` (today included). */
export function historyRange(now = new Date()): { from: string; to: string } {
  return { from: localDay(now.getTime() - HISTORY_DAYS * 86_400_000, DEMO.timezone), to: localDay(now, DEMO.timezone) };
}

/** Writes the month's rows (an earlier run's rows are found and left alone); returns how many. */
export async function seedMonth(db: Firestore, now = new Date()): Promise<number> {
  const messages = trafficOf({
    agentId: DEMO.agentId,
    userId: DEMO.uid,
    timezone: DEMO.timezone,
    until: now,
    days: HISTORY_DAYS,
    perDay: 30,
    developmentShare: 0.25,
  });
  const key = localSigningKey();
  const rows = messages.map((m) => ledgerRowOf(m, key));
  const progress = bar("writing ledger rows");
  const started = Date.now();
  progress.start(rows.length, 0, { unit: "rows" });
  const outcome = await writeRows(db, rows, WRITE_CONCURRENCY, () => progress.increment());
  progress.stop();
  console.log(`  ${count(outcome.created)} signed rows written in ${seconds(started)} (${WRITE_CONCURRENCY} at a time)`);
  if (outcome.existing) console.log(`  ${count(outcome.existing)} rows were already there from an earlier run: left as they are`);
  return rows.length;
}

/** Rows of the agent in the ledger, by mode (two aggregation queries). */
async function ledgerCounts(db: Firestore): Promise<{ production: number; development: number }> {
  const base = db.collection("billable_conversations").where("agentId", "==", DEMO.agentId);
  const [production, development] = await Promise.all(
    [true, false].map((billable) => base.where("billable", "==", billable).count().get()),
  );
  return { production: production.data().count, development: development.data().count };
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * Waits until the summary (read through the SDK) counts every row of the agent's ledger: the
 * rollup trigger has caught up. Shows a progress bar when `label` is given.
 */
export async function waitForRollups(db: Firestore, client: BillingClient, label?: string): Promise<void> {
  const target = await ledgerCounts(db);
  const total = target.production + target.development;
  const progress = label ? bar(label) : null;
  const started = Date.now();
  progress?.start(total, 0, { unit: "rows" });
  try {
    for (;;) {
      const { summary } = await client.getBillingInfo(DEMO.agentId);
      progress?.update(Math.min(total, summary.totalMessages + summary.devMessages));
      if (summary.totalMessages === target.production && summary.devMessages === target.development) break;
      if (Date.now() - started > ROLLUP_TIMEOUT_MS) throw new Error(`the rollups did not catch up within ${ROLLUP_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    progress?.stop();
  }
  if (label) console.log(`  the summary counts all ${count(total)} ledger rows (rolled up by the trigger; waited ${seconds(started)})`);
}

/** Weekly analytics of the range as a table, with the breakdown and efficiency below it. */
export async function printAnalytics(client: BillingClient, range: { from: string; to: string }): Promise<void> {
  const weekly = await client.getUsageAnalytics({ agentId: DEMO.agentId, granularity: "week", ...range });
  const rows = weekly.series.map((p) => [
    p.period,
    count(p.messages),
    count(p.totalTokens),
    usd(p.costMicros, 4),
    count(p.development.messages),
    usd(p.development.shadowCostMicros, 4),
  ]);
  const t = weekly.totals;
  rows.push([
    "total",
    count(t.messages),
    count(t.totalTokens),
    usd(t.costMicros, 4),
    count(t.development.messages),
    usd(t.development.shadowCostMicros, 4),
  ]);
  console.log(table(["week of", "messages", "tokens", "billed", "dev msgs", "dev list price"], rows));
  const models = weekly.breakdown.byModel.map(
    (m) => `${m.model} ${usd(m.production.costMicros, 4)} (${count(m.production.messages)} msgs)`,
  );
  const e = weekly.efficiency;
  console.log(`  by model: ${models.join(" · ")}`);
  const perMessage = e.costPerMessageMicros === null ? "n/a" : usd(e.costPerMessageMicros);
  const per1k = e.costPer1kTokensMicros === null ? "n/a" : usd(e.costPer1kTokensMicros);
  console.log(
    `  efficiency: ${perMessage} per message · ${per1k} per 1K tokens · ${e.tokensPerMessage?.toFixed(0) ?? "n/a"} tokens per message`,
  );
  console.log(
    `  (${weekly.documentsRead} documents read: the agent, one daily bucket per day and the shards of days not folded yet, never the ledger)`,
  );
}

/** A terminal chart of billed cost per day. */
export async function printDailyChart(client: BillingClient, range: { from: string; to: string }): Promise<void> {
  const daily = await client.getUsageAnalytics({ agentId: DEMO.agentId, granularity: "day", ...range });
  // Display only: dollars as floats are fine on a chart axis, never in a total.
  const dollars = daily.series.map((p) => p.costMicros / 1e6);
  console.log(plot(dollars, { height: 10, format: (v) => `$${v.toFixed(2)}`.padStart(8) }));
  const first = daily.series[0]?.period ?? range.from;
  const last = daily.series[daily.series.length - 1]?.period ?? range.to;
  console.log(
    `${" ".repeat(10)}${first}${" ".repeat(Math.max(1, dollars.length - first.length - last.length))}${last}   (billed per day, ${DEMO.timezone})`,
  );
}

/** Streams the range's CSV export to exports/demo-agent-<from>-<to>.csv; returns its path. */
export async function writeExport(client: BillingClient, range: { from: string; to: string }): Promise<string> {
  const file = path.join(ROOT, "exports", `${DEMO.agentId}-${range.from}-${range.to}.csv`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const report = await client.openBillingReport({ agentId: DEMO.agentId, ...range, format: "csv" });
  await pipeline(Readable.fromWeb(report.body as NodeReadableStream<Uint8Array>), fs.createWriteStream(file));
  const rows = (parse(fs.readFileSync(file), { columns: true }) as unknown[]).length;
  console.log(
    `  wrote ${path.relative(ROOT, file)}: ${count(rows)} rows, ${count(fs.statSync(file).size)} bytes (server's name: ${report.filename})`,
  );
  return file;
}
