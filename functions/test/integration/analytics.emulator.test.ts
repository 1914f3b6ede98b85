/**
 * getUsageAnalytics over HTTP, on months of signed traffic written to the ledger for two agents in
 * two timezones and rolled up by the real trigger. (The history is in analytics-history.)
 */
import { DateTime } from "luxon";
import { seededRandom } from "../../../scripts/seed-traffic";
import type { UsageAnalyticsResponse } from "../../src/contract/analytics";
import type { LedgerRow } from "../../src/domain/ledger";
import { foldRollupShards } from "../../src/handlers/fold";
import { adminDb, call, createUser, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, type RowSpec, writeMadeRows } from "../helpers/ledger";
import { summaryTotals } from "../helpers/rollups";

jest.setTimeout(120_000);

const NY = "America/New_York";
const TOKYO = "Asia/Tokyo";
const MODELS = ["gpt-4", "gpt-4.1", "gpt-4o-mini"];
/** The model only the edge rows use, so a day's breakdown shows where each one landed. */
const EDGE_MODEL = "gpt-4.1-nano";

interface Seeded {
  agentId: string;
  timezone: string;
  rows: { id: string; row: LedgerRow }[];
}

/** About four months of mixed traffic, plus rows one millisecond either side of local midnights. */
function trafficFor(agentId: string, userId: string, timezone: string, seed: number, edges: string[]): RowSpec[] {
  const random = seededRandom(`analytics-${seed}`);
  const start = Date.parse("2026-01-01T12:00:00Z");
  const specs: RowSpec[] = Array.from({ length: 100 }, () => ({
    agentId,
    userId,
    timezone,
    conversationId: `conv-${Math.floor(random() * 5)}`,
    mode: random() < 0.7 ? "production" : "development",
    model: MODELS[Math.floor(random() * MODELS.length)],
    prompt: 10 + Math.floor(random() * 2_000),
    completion: 1 + Math.floor(random() * 800),
    cached: Math.floor(random() * 5),
    at: new Date(start + Math.floor(random() * 118 * 86_400_000)),
  }));
  for (const local of edges) {
    const at = DateTime.fromISO(local, { zone: timezone }).toJSDate();
    specs.push({ agentId, userId, timezone, conversationId: "edges", mode: "production", model: EDGE_MODEL, prompt: 7, completion: 3, at });
  }
  return specs;
}

async function writeRows(specs: RowSpec[]): Promise<{ id: string; row: LedgerRow }[]> {
  const db = adminDb();
  const made = specs.map((spec) => makeLedgerRow(spec, signingKey()));
  await writeMadeRows(db, made);
  return made;
}

/** Waits until the rollup trigger has counted every row written for the agent. */
async function waitForRollup(seeded: Seeded): Promise<void> {
  const production = seeded.rows.filter((r) => r.row.billable).length;
  const development = seeded.rows.length - production;
  await waitFor(
    async () => {
      const summary = await summaryTotals(adminDb(), seeded.agentId);
      return (summary.totalMessages ?? 0) === production && (summary.devMessages ?? 0) === development;
    },
    `rollup of ${seeded.rows.length} rows of ${seeded.agentId}`,
    240_000,
  );
}

/** Periods computed here from the instant and the zone, independently of the backend. */
const periodKey = (row: LedgerRow, timezone: string, granularity: "day" | "week" | "month") => {
  const local = DateTime.fromISO(row.timestamp, { zone: timezone });
  if (granularity === "month") return local.toFormat("yyyy-MM");
  return (granularity === "week" ? local.startOf("week") : local).toFormat("yyyy-MM-dd");
};

function expectedByPeriod(seeded: Seeded, granularity: "day" | "week" | "month") {
  const out = new Map<string, { messages: number; costMicros: number; totalTokens: number; devMessages: number; devShadow: number }>();
  for (const { row } of seeded.rows) {
    const key = periodKey(row, seeded.timezone, granularity);
    const e = out.get(key) ?? { messages: 0, costMicros: 0, totalTokens: 0, devMessages: 0, devShadow: 0 };
    if (row.billable) {
      e.messages += 1;
      e.costMicros += row.costMicros;
      e.totalTokens += row.tokens.total;
    } else {
      e.devMessages += 1;
      e.devShadow += row.shadowCostMicros;
    }
    out.set(key, e);
  }
  return out;
}

let owner: TestUser;
let stranger: TestUser;
let ny: Seeded;
let tokyo: Seeded;

const analytics = (data: unknown, user: TestUser | null = owner) => call<UsageAnalyticsResponse>("getUsageAnalytics", data, user?.idToken);

beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("analytics-owner"), createUser("analytics-stranger")]);
  const [nyId, tokyoId] = await Promise.all([
    seedAgent(owner.uid, { billing: { timezone: NY } }),
    seedAgent(owner.uid, { billing: { timezone: TOKYO } }),
  ]);
  // New York: Feb 28 -> Mar 1 (a month edge, EST), Sunday Mar 8 -> Monday Mar 9 (a week edge, on the DST day).
  const nyEdges = ["2026-02-28T23:59:59.999", "2026-03-01T00:00:00.000", "2026-03-08T23:59:59.999", "2026-03-09T00:00:00.000"];
  // Tokyo: Mar 31 -> Apr 1 (a month edge, 15:00Z), Sunday Apr 5 -> Monday Apr 6 (a week edge).
  const tokyoEdges = ["2026-03-31T23:59:59.999", "2026-04-01T00:00:00.000", "2026-04-05T23:59:59.999", "2026-04-06T00:00:00.000"];
  ny = { agentId: nyId, timezone: NY, rows: await writeRows(trafficFor(nyId, owner.uid, NY, 1, nyEdges)) };
  tokyo = { agentId: tokyoId, timezone: TOKYO, rows: await writeRows(trafficFor(tokyoId, owner.uid, TOKYO, 2, tokyoEdges)) };
  await Promise.all([waitForRollup(ny), waitForRollup(tokyo)]);
}, 300_000);

describe("getUsageAnalytics", () => {
  it.each(["day", "week", "month"] as const)(
    "sums every %s series to the ledger, period by period, in each agent's timezone",
    async (granularity) => {
      for (const seeded of [ny, tokyo]) {
        const res = await analytics({ agentId: seeded.agentId, granularity, from: "2025-12-31", to: "2026-05-02" });
        expect(res.error).toBeUndefined();
        const body = res.result as UsageAnalyticsResponse;
        const expected = expectedByPeriod(seeded, granularity);
        for (const point of body.series) {
          const e = expected.get(point.period) ?? { messages: 0, costMicros: 0, totalTokens: 0, devMessages: 0, devShadow: 0 };
          expect([point.period, point.messages, point.costMicros, point.totalTokens]).toEqual([
            point.period,
            e.messages,
            e.costMicros,
            e.totalTokens,
          ]);
          expect([point.period, point.development.messages, point.development.shadowCostMicros]).toEqual([
            point.period,
            e.devMessages,
            e.devShadow,
          ]);
          expect(point.cost).toBeCloseTo(point.costMicros / 1e6, 9);
        }
        // Every period with usage is in the series, and empty ones are too (the range starts before any).
        expect(
          body.series
            .filter((p) => p.messages + p.development.messages > 0)
            .map((p) => p.period)
            .sort(),
        ).toEqual([...expected.keys()].sort());
        const production = seeded.rows.filter((r) => r.row.billable);
        expect(body.totals.messages).toBe(production.length);
        expect(body.totals.costMicros).toBe(production.reduce((s, r) => s + r.row.costMicros, 0));
        expect(body.series.reduce((s, p) => s + p.costMicros, 0)).toBe(body.totals.costMicros);
      }
    },
  );

  it("names weeks by their Monday and months YYYY-MM, with empty periods", async () => {
    const weeks = (await analytics({ agentId: ny.agentId, granularity: "week", from: "2026-01-01", to: "2026-01-20" })).result!;
    expect(weeks.series.map((p) => p.period)).toEqual(["2025-12-29", "2026-01-05", "2026-01-12", "2026-01-19"]);
    const months = (await analytics({ agentId: ny.agentId, granularity: "month", from: "2025-11-15", to: "2026-02-01" })).result!;
    expect(months.series.map((p) => p.period)).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
    expect(months.series.slice(0, 2).every((p) => p.messages === 0 && p.development.messages === 0)).toBe(true);
  });

  it.each([
    ["New York", () => ny, "2026-02-28", "2026-03-01", "2026-03-09"],
    ["Tokyo", () => tokyo, "2026-03-31", "2026-04-01", "2026-04-06"],
  ])(
    "puts %s rows either side of local midnight on the right day, week and month",
    async (_zone, seeded, lastOfMonth, firstOfMonth, monday) => {
      const edgeMessages = async (from: string, to: string, granularity: "day" | "week" | "month" = "day") => {
        const res = await analytics({ agentId: seeded().agentId, granularity, from, to });
        return res.result!.breakdown.byModel.find((m) => m.model === EDGE_MODEL)?.production.messages ?? 0;
      };
      expect(await edgeMessages(lastOfMonth, lastOfMonth)).toBe(1);
      expect(await edgeMessages(firstOfMonth, firstOfMonth)).toBe(1);
      const sunday = DateTime.fromISO(monday).minus({ days: 1 }).toISODate() as string;
      expect(await edgeMessages(sunday, sunday)).toBe(1);
      expect(await edgeMessages(monday, monday)).toBe(1);
      const month = (await analytics({ agentId: seeded().agentId, granularity: "month", from: lastOfMonth, to: firstOfMonth })).result!;
      const week = (await analytics({ agentId: seeded().agentId, granularity: "week", from: sunday, to: monday })).result!;
      expect(month.series.map((p) => p.period)).toEqual([lastOfMonth.slice(0, 7), firstOfMonth.slice(0, 7)]);
      expect(week.series.map((p) => p.period)).toEqual([DateTime.fromISO(sunday).startOf("week").toISODate(), monday]);
    },
  );

  it("breaks usage down by model and mode and reports efficiency from the same figures", async () => {
    const body = (await analytics({ agentId: tokyo.agentId, granularity: "month", from: "2026-01-01", to: "2026-05-31" })).result!;
    for (const model of [...MODELS, EDGE_MODEL]) {
      const rows = tokyo.rows.filter((r) => r.row.model === model && r.row.billable);
      const entry = body.breakdown.byModel.find((m) => m.model === model);
      expect(entry?.production.messages ?? 0).toBe(rows.length);
      expect(entry?.production.costMicros ?? 0).toBe(rows.reduce((s, r) => s + r.row.costMicros, 0));
    }
    const dev = tokyo.rows.filter((r) => !r.row.billable);
    expect(body.breakdown.byMode.development).toMatchObject({
      messages: dev.length,
      costMicros: 0,
      shadowCostMicros: dev.reduce((s, r) => s + r.row.shadowCostMicros, 0),
    });
    const t = body.totals;
    const halfUp = (n: number, d: number) => Number((BigInt(n) * 2n + BigInt(d)) / (2n * BigInt(d)));
    expect(body.efficiency.costPerMessageMicros).toBe(halfUp(t.costMicros, t.messages));
    expect(body.efficiency.costPer1kTokensMicros).toBe(halfUp(t.costMicros * 1000, t.totalTokens));
    expect(body.efficiency.tokensPerMessage).toBeCloseTo(t.totalTokens / t.messages, 9);
    expect(body.efficiency.completionPromptRatio).toBeCloseTo(t.completionTokens / t.promptTokens, 9);
    expect(body.efficiency.developmentShadowCostMicros).toBe(t.development.shadowCostMicros);
    expect(body.timezone).toBe(TOKYO);
  });

  it("reads at most 92 documents for 90 days, whatever the traffic", async () => {
    // These days are over: the 15-minute fold has moved their shards into the buckets by the time anyone asks.
    await foldRollupShards(adminDb(), Date.now());
    const busy = (await analytics({ agentId: ny.agentId, granularity: "day", from: "2026-01-15", to: "2026-04-14" })).result!;
    const idle = await seedAgent(owner.uid);
    const quiet = (await analytics({ agentId: idle, granularity: "day", from: "2026-01-15", to: "2026-04-14" })).result!;
    expect(busy.series).toHaveLength(90);
    expect(busy.totals.messages + busy.totals.development.messages).toBeGreaterThan(50);
    expect(quiet.totals.messages + quiet.totals.development.messages).toBe(0);
    expect(busy.documentsRead).toBeLessThanOrEqual(92);
    expect(busy.documentsRead).toBe(quiet.documentsRead);
  });

  it("accepts 366 days and refuses 367 naming the field", async () => {
    expect(
      (await analytics({ agentId: ny.agentId, granularity: "month", from: "2024-01-01", to: "2024-12-31" })).result?.series,
    ).toHaveLength(12);
    const res = await analytics({ agentId: ny.agentId, granularity: "month", from: "2025-01-01", to: "2026-01-02" });
    expect(res.error?.status).toBe("INVALID_ARGUMENT");
    expect(res.error?.message).toMatch(/^to: .*366 days/);
  });

  it("refuses bad input and other people's agents, writing nothing", async () => {
    const db = adminDb();
    const before = (await db.collection("agent_usage_daily").where("agentId", "==", ny.agentId).get()).docs.map((d) =>
      d.updateTime.toMillis(),
    );
    const ok = { agentId: ny.agentId, granularity: "day", from: "2026-01-01", to: "2026-01-31" };
    const cases: [unknown, TestUser | null, string, RegExp][] = [
      [{ ...ok, granularity: "year" }, owner, "INVALID_ARGUMENT", /^granularity: /],
      [{ ...ok, from: "2026-02-01" }, owner, "INVALID_ARGUMENT", /^to: must not be before from/],
      [{ ...ok, from: "2026-02-30" }, owner, "INVALID_ARGUMENT", /^from: /],
      [{ ...ok, to: "31/01/2026" }, owner, "INVALID_ARGUMENT", /^to: /],
      [{ ...ok, agentId: "a/b" }, owner, "INVALID_ARGUMENT", /^agentId: /],
      [{ ...ok, limit: 3 }, owner, "INVALID_ARGUMENT", /"limit": unknown field/],
      [ok, null, "UNAUTHENTICATED", /^Sign in/],
      [ok, stranger, "PERMISSION_DENIED", /./],
      [{ ...ok, agentId: "no-such-agent" }, owner, "NOT_FOUND", /./],
    ];
    for (const [data, user, status, message] of cases) {
      const res = await analytics(data, user);
      expect([JSON.stringify(data), res.error?.status]).toEqual([JSON.stringify(data), status]);
      expect(res.error?.message).toMatch(message);
    }
    const after = (await db.collection("agent_usage_daily").where("agentId", "==", ny.agentId).get()).docs.map((d) =>
      d.updateTime.toMillis(),
    );
    expect(after).toEqual(before);
    expect((await db.collection("billable_conversations").where("agentId", "==", ny.agentId).count().get()).data().count).toBe(
      ny.rows.length,
    );
  });
});
