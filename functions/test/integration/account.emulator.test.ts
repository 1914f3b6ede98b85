/**
 * getAccountOverview over HTTP: signed rows of three agents in three timezones (rolled up by the
 * real trigger into the owner's UTC days) give totals, a ranking, days and engagement equal to the
 * ledger's sums over the same UTC days; reconcile --owner finds no drift; a redelivered row counts
 * once; the fold keeps the totals and shrinks the reads; bad input writes nothing; another owner's
 * usage never shows.
 */
import type { AccountOverviewResponse } from "../../src/contract/account";
import type { LedgerRow } from "../../src/domain/ledger";
import { foldRollupShards } from "../../src/handlers/fold";
import { applyRollup } from "../../src/store/rollups";
import { reconcile } from "../../../scripts/reconcile";
import { adminDb, call, createUser, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, writeMadeRows, type RowSpec } from "../helpers/ledger";

jest.setTimeout(120_000);

type Made = { id: string; row: LedgerRow };

const utcDay = (row: LedgerRow) => row.timestamp.slice(0, 10);
const sum = (rows: Made[], f: (r: LedgerRow) => number) => rows.reduce((n, { row }) => n + f(row), 0);
const prod = (rows: Made[]) => rows.filter(({ row }) => row.billable);
const dev = (rows: Made[]) => rows.filter(({ row }) => !row.billable);

async function rolledUp(rows: Made[]): Promise<void> {
  const db = adminDb();
  await waitFor(async () => {
    const markers = await db.getAll(...rows.map(({ id }) => db.doc(`billing_rollup_markers/${id}`)));
    return markers.every((m) => m.exists);
  }, `${rows.length} rows rolled up`);
}

const overview = (user: TestUser, data: unknown) => call<AccountOverviewResponse>("getAccountOverview", data, user.idToken);

let owner: TestUser;
let other: TestUser;
let made: Made[];
const agents: Record<"utc" | "tehran" | "la", string> = { utc: "", tehran: "", la: "" };

beforeAll(async () => {
  const db = adminDb();
  [owner, other] = await Promise.all([createUser("account"), createUser("account-other")]);
  agents.utc = await seedAgent(owner.uid, { name: "Support (UTC)", model: "gpt-4" });
  agents.tehran = await seedAgent(owner.uid, { name: "Sales (Tehran)", model: "gpt-4.1", billing: { timezone: "Asia/Tehran" } });
  agents.la = await seedAgent(owner.uid, { name: "Docs (LA)", model: "gpt-4o-mini", billing: { timezone: "America/Los_Angeles" } });
  const otherAgent = await seedAgent(other.uid, { name: "Not yours" });
  const at = (iso: string) => new Date(iso);
  const specs: Omit<RowSpec, "userId">[] = [
    // Out of range on the UTC side: 2026-02-28 in UTC (already 03-01 in Tehran).
    {
      agentId: agents.tehran,
      timezone: "Asia/Tehran",
      at: at("2026-02-28T22:00:00Z"),
      conversationId: "t0",
      prompt: 900,
      completion: 90,
      model: "gpt-4.1",
    },
    { agentId: agents.utc, timezone: "UTC", at: at("2026-03-01T10:00:00Z"), conversationId: "u1", prompt: 400, completion: 40 },
    { agentId: agents.utc, timezone: "UTC", at: at("2026-03-01T10:01:30Z"), conversationId: "u1", prompt: 450, completion: 60 },
    { agentId: agents.utc, timezone: "UTC", at: at("2026-03-02T23:59:59Z"), conversationId: "u2", prompt: 100, completion: 10, cached: 50 },
    {
      agentId: agents.tehran,
      timezone: "Asia/Tehran",
      at: at("2026-03-01T21:00:00Z"),
      conversationId: "t1",
      prompt: 1_200,
      completion: 300,
      model: "gpt-4.1",
    },
    {
      agentId: agents.tehran,
      timezone: "Asia/Tehran",
      at: at("2026-03-03T00:10:00Z"),
      conversationId: "t1",
      prompt: 80,
      completion: 8,
      model: "gpt-4.1",
      mode: "development",
    },
    // The LA agent's local 03-01, UTC 03-02.
    {
      agentId: agents.la,
      timezone: "America/Los_Angeles",
      at: at("2026-03-02T05:00:00Z"),
      conversationId: "l1",
      prompt: 300,
      completion: 700,
      model: "gpt-4o-mini",
    },
    {
      agentId: agents.la,
      timezone: "America/Los_Angeles",
      at: at("2026-03-03T12:00:00Z"),
      conversationId: "l2",
      prompt: 60,
      completion: 6,
      model: "gpt-4o-mini",
      mode: "development",
    },
    // Out of range on the UTC side: 03-04 in UTC, still 03-03 in Los Angeles.
    {
      agentId: agents.la,
      timezone: "America/Los_Angeles",
      at: at("2026-03-04T01:00:00Z"),
      conversationId: "l3",
      prompt: 500,
      completion: 50,
      model: "gpt-4o-mini",
    },
  ];
  made = specs.map((spec) => makeLedgerRow({ ...spec, userId: owner.uid }, signingKey()));
  const others = [
    makeLedgerRow({ agentId: otherAgent, userId: other.uid, at: at("2026-03-02T12:00:00Z"), prompt: 5_000, completion: 500 }, signingKey()),
  ];
  await writeMadeRows(db, [...made, ...others]);
  await rolledUp([...made, ...others]);
});

describe("getAccountOverview", () => {
  const inRange = () => made.filter(({ row }) => utcDay(row) >= "2026-03-01" && utcDay(row) <= "2026-03-03");

  it("totals, ranking, models and days equal the ledger's sums over the owner's UTC days, whatever the agents' timezones", async () => {
    const res = await overview(owner, { from: "2026-03-01", to: "2026-03-03" });
    expect(res.error).toBeUndefined();
    const o = res.result!;
    const rows = inRange();
    expect(rows).toHaveLength(7);
    expect(o).toMatchObject({ from: "2026-03-01", to: "2026-03-03", timezone: "UTC" });
    expect(o.totals).toMatchObject({
      costMicros: sum(prod(rows), (r) => r.costMicros),
      messages: prod(rows).length,
      tokens: sum(prod(rows), (r) => r.tokens.total),
      cachedTokens: sum(prod(rows), (r) => r.tokens.cached),
      devMessages: dev(rows).length,
      devShadowCostMicros: sum(dev(rows), (r) => r.shadowCostMicros),
    });
    expect(o.totals.costMicros).toBeGreaterThan(0);

    const perAgent = Object.values(agents).map((agentId) => {
      const mine = rows.filter(({ row }) => row.agentId === agentId);
      return { agentId, costMicros: sum(prod(mine), (r) => r.costMicros), messages: prod(mine).length, devMessages: dev(mine).length };
    });
    perAgent.sort((a, b) => b.costMicros - a.costMicros);
    expect(o.agents.map(({ agentId, costMicros, messages, devMessages }) => ({ agentId, costMicros, messages, devMessages }))).toEqual(
      perAgent,
    );
    expect(o.agents.find((a) => a.agentId === agents.tehran)).toMatchObject({ name: "Sales (Tehran)", model: "gpt-4.1", status: "active" });
    expect(o.agents.reduce((n, a) => n + a.costShare, 0)).toBeCloseTo(1, 10);
    expect(o.otherAgents).toMatchObject({ agents: 0, costMicros: 0, messages: 0 });

    const models = new Map<string, number>();
    for (const { row } of prod(rows)) models.set(row.model, (models.get(row.model) ?? 0) + row.costMicros);
    expect(Object.fromEntries(o.byModel.map((m) => [m.model, m.production.costMicros]))).toEqual(Object.fromEntries(models));

    expect(o.days.map((d) => d.day)).toEqual(["2026-03-01", "2026-03-02", "2026-03-03"]);
    for (const point of o.days) {
      const of = rows.filter(({ row }) => utcDay(row) === point.day);
      expect(point).toEqual({
        day: point.day,
        costMicros: sum(prod(of), (r) => r.costMicros),
        messages: prod(of).length,
        devMessages: dev(of).length,
        devShadowCostMicros: sum(dev(of), (r) => r.shadowCostMicros),
      });
    }
  });

  it("counts sessions by their first message's UTC day, with their length and messages", async () => {
    const o = (await overview(owner, { from: "2026-03-01", to: "2026-03-03" })).result!;
    // Conversations started in range: u1, u2, t1, l1, l2 (t0 started on 02-28, l3 on 03-04).
    const sessions = ["u1", "u2", "t1", "l1", "l2"];
    const messages = made.filter(({ row }) => sessions.includes(row.conversationId)).length;
    // u1 lasts 90 s and t1 3 h 10 min; the others are one message long.
    const seconds = 90 + (Date.parse("2026-03-03T00:10:00Z") - Date.parse("2026-03-01T21:00:00Z")) / 1000;
    expect(o.engagement).toEqual({
      sessions: 5,
      messagesPerSession: messages / 5,
      avgSessionSeconds: seconds / 5,
      sessionsPerDay: 5 / 3,
      developmentShare: 2 / 7,
    });
  });

  it("bounds a session by its first and last message whatever order its rows are rolled up in", async () => {
    const db = adminDb();
    const late = await createUser("account-order");
    const agentId = await seedAgent(late.uid, { name: "Out of order" });
    const row = (iso: string) => makeLedgerRow({ agentId, userId: late.uid, conversationId: "night", at: new Date(iso) }, signingKey());
    // The later message is rolled up first; the earlier one, on the day before, after it.
    const second = row("2026-04-02T00:00:30Z");
    await writeMadeRows(db, [second]);
    await rolledUp([second]);
    const first = row("2026-04-01T23:59:30Z");
    await writeMadeRows(db, [first]);
    await rolledUp([first]);
    const onFirstDay = (await overview(late, { from: "2026-04-01", to: "2026-04-01" })).result!;
    expect(onFirstDay.engagement).toMatchObject({ sessions: 1, messagesPerSession: 2, avgSessionSeconds: 60 });
    const onSecondDay = (await overview(late, { from: "2026-04-02", to: "2026-04-02" })).result!;
    expect(onSecondDay.engagement.sessions).toBe(0);
    expect(onSecondDay.totals.messages).toBe(1);
  });

  it("leaves out days outside the range, and answers an empty range with zeros", async () => {
    const one = (await overview(owner, { from: "2026-03-02", to: "2026-03-02" })).result!;
    const rows = made.filter(({ row }) => utcDay(row) === "2026-03-02");
    expect(one.totals.costMicros).toBe(sum(prod(rows), (r) => r.costMicros));
    expect(one.agents.map((a) => a.agentId).sort()).toEqual([agents.utc, agents.la].sort());

    const empty = (await overview(owner, { from: "2025-01-01", to: "2025-01-31" })).result!;
    expect(empty.totals).toMatchObject({ costMicros: 0, messages: 0, devMessages: 0 });
    expect(empty.agents).toEqual([]);
    expect(empty.days).toHaveLength(31);
    expect(empty.engagement).toMatchObject({ sessions: 0, messagesPerSession: null, avgSessionSeconds: null, developmentShare: null });
    expect(empty.insights).toEqual([]);
  });

  it("reconciles per owner with no drift, and a redelivered row counts once", async () => {
    const db = adminDb();
    const clean = await reconcile(db, { signingKey: signingKey(), ownerId: owner.uid, pageSize: 4 });
    expect(clean.rows).toBe(made.length);
    expect(clean.drifts).toEqual([]);

    const before = (await overview(owner, { from: "2026-03-01", to: "2026-03-03" })).result!;
    const again = made[1];
    expect(await applyRollup(db, again.id, again.row)).toBe("duplicate");
    expect(await applyRollup(db, again.id, again.row)).toBe("duplicate");
    const after = (await overview(owner, { from: "2026-03-01", to: "2026-03-03" })).result!;
    expect(after.totals).toEqual(before.totals);
    expect((await reconcile(db, { signingKey: signingKey(), ownerId: owner.uid, pageSize: 100 })).drifts).toEqual([]);
  });

  it("reads a bounded number of documents, fewer once the days are folded, with the same totals", async () => {
    const before = (await overview(owner, { from: "2026-03-01", to: "2026-03-03" })).result!;
    // 3 days (each with up to 16 open shards), 3 agents, 1 session aggregation.
    expect(before.documentsRead).toBeLessThanOrEqual(3 + 3 * 16 + 3 + 1);
    expect(before.documentsRead).toBeGreaterThan(3 + 3 + 1);
    const folded = await foldRollupShards(adminDb(), Date.parse("2026-03-10T00:00:00Z"));
    expect(folded.failed).toBe(0);
    const after = (await overview(owner, { from: "2026-03-01", to: "2026-03-03" })).result!;
    expect(after.documentsRead).toBe(3 + 3 + 1);
    expect(after.totals).toEqual(before.totals);
    expect(after.agents).toEqual(before.agents);
    expect(after.days).toEqual(before.days);
  });

  it("never shows another owner's usage", async () => {
    const mine = (await overview(other, { from: "2026-03-01", to: "2026-03-03" })).result!;
    expect(mine.agents).toHaveLength(1);
    expect(mine.agents[0].name).toBe("Not yours");
    const theirs = (await overview(owner, { from: "2026-03-01", to: "2026-03-03" })).result!;
    expect(theirs.agents.map((a) => a.name)).not.toContain("Not yours");
  });

  it.each([
    [{ from: "2026-03-05", to: "2026-03-01" }, /^to: must not be before from/],
    [{ from: "2025-01-01", to: "2026-03-01" }, /^to: the range from 2025-01-01 must span at most 366 days/],
    [{ from: "2026-02-30" }, /^from: must be a real calendar date/],
    [{ from: "2026-3-1" }, /^from: must be a date YYYY-MM-DD/],
    [{ to: "2026-03-01", agentId: "x" }, /agentId/],
    [{ from: "2999-01-01" }, /^from: must not be after today/],
  ])("refuses %j with invalid-argument naming the field", async (data, message) => {
    const res = await overview(owner, data);
    expect(res.error?.status).toBe("INVALID_ARGUMENT");
    expect(res.error?.message).toMatch(message);
  });

  it("refuses a caller who is not signed in", async () => {
    const res = await call("getAccountOverview", {});
    expect(res.error?.status).toBe("UNAUTHENTICATED");
  });

  it("defaults to this UTC month to date", async () => {
    const o = (await overview(owner, {})).result!;
    const today = new Date().toISOString().slice(0, 10);
    expect(o.to).toBe(today);
    expect(o.from).toBe(`${today.slice(0, 8)}01`);
    expect(o.days[o.days.length - 1].day).toBe(today);
  });
});
