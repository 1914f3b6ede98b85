/** The demo's account view: every agent of the demo owner at once, read through the client SDK. */
import type { BillingClient } from "../client/src";
import { localDay } from "../functions/src/base/periods";
import { count, table, usd } from "./cli-format";

/** The last `days` UTC days before today, and today: the account's days. */
export const utcRange = (days: number, now = Date.now()) => ({ from: localDay(now - days * 86_400_000, "UTC"), to: localDay(now, "UTC") });

/** Seconds as a person reads them: 45 s, 12 min, 3.6 h. */
const duration = (s: number) => (s < 120 ? `${Math.round(s)} s` : s < 7_200 ? `${Math.round(s / 60)} min` : `${(s / 3_600).toFixed(1)} h`);
const share = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);

/** Prints getAccountOverview for a range of UTC days: totals, the agents ranked, engagement and insights. */
export async function printAccountOverview(client: BillingClient, range: { from: string; to: string }): Promise<void> {
  const o = await client.getAccountOverview(range);
  const t = o.totals;
  console.log(`  ${o.from} to ${o.to} (UTC days, whatever each agent's timezone)`);
  console.log(`  production  ${count(t.messages)} messages · ${count(t.tokens)} tokens · ${usd(t.costMicros)} billed`);
  console.log(`  development ${count(t.devMessages)} messages · free (list price ${usd(t.devShadowCostMicros)})`);
  const rows = o.agents.map((a) => [a.name ?? a.agentId, a.model ?? "n/a", count(a.messages), usd(a.costMicros, 4), share(a.costShare)]);
  console.log(table(["agent", "model", "messages", "billed", "share"], rows));
  const e = o.engagement;
  const length = e.avgSessionSeconds === null ? "n/a" : duration(e.avgSessionSeconds);
  console.log(
    `  engagement: ${count(e.sessions)} sessions · ${e.messagesPerSession?.toFixed(1) ?? "n/a"} messages each · ${length} long on average · ` +
      `${e.sessionsPerDay.toFixed(1)} a day · development share ${share(e.developmentShare)}`,
  );
  for (const insight of o.insights) {
    const saving = insight.estimatedSavingsMicros ? ` (saves about ${usd(insight.estimatedSavingsMicros, 2)} a month)` : "";
    console.log(`  insight ${insight.kind}: ${insight.message}${saving}`);
  }
  if (!o.insights.length) console.log("  no insights: nothing in this range calls for one");
  console.log(
    `  (${count(o.documentsRead)} documents read: a document per UTC day and its open shards, the agents, one session aggregate)`,
  );
}
