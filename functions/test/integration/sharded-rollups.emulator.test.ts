/**
 * Sharded rollups: a hot agent's summary and daily bucket take their increments on 16 shards each,
 * summed exactly on read; the fold moves the shards of days that are over into their bucket; the
 * reconciliation covers the shards. Rows are written signed to the ledger, and the real trigger
 * rolls them up.
 */
import type { Firestore } from "firebase-admin/firestore";
import { FieldValue } from "firebase-admin/firestore";
import { reconcile } from "../../../scripts/reconcile";
import { shardOf } from "../../src/base/shard-of";
import type { LedgerRow } from "../../src/domain/ledger";
import { addDeltas, rollupNamed, type Deltas } from "../../src/domain/rollups";
import { handleUsageAnalytics } from "../../src/handlers/analytics";
import { foldCutoff, foldRollupShards } from "../../src/handlers/fold";
import { handleLedgerRowCreated } from "../../src/handlers/rollup";
import { adminDb, createUser, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, writeMadeRows, type RowSpec } from "../helpers/ledger";
import { dailyTotals, summaryTotals } from "../helpers/rollups";

jest.setTimeout(180_000);

const SUMMARY = rollupNamed("summary");
const DAILY = rollupNamed("daily");
const DAY_MS = 86_400_000;

let owner: TestUser;
let db: Firestore;

beforeAll(async () => {
  owner = await createUser("sharded");
  db = adminDb();
});

type Made = { id: string; row: LedgerRow };

/** The sums of the rows' deltas for one rollup. */
const sumOf = (rollup: typeof SUMMARY, made: Made[]) => made.reduce((into, m) => addDeltas(into, rollup.deltas(m.row)), {} as Deltas);

/** Signed rows of one agent: a mix of models and modes, spread over conversations. */
function rowsFor(agentId: string, count: number, spec: Partial<RowSpec> = {}): Made[] {
  return Array.from({ length: count }, (_, i) =>
    makeLedgerRow(
      {
        agentId,
        userId: owner.uid,
        conversationId: `conv-${i % 4}`,
        mode: i % 4 === 3 ? "development" : "production",
        model: i % 3 ? "gpt-4" : "gpt-4o-mini",
        prompt: 50 + 7 * i,
        completion: 20 + 3 * i,
        ...spec,
      },
      signingKey(),
    ),
  );
}

/** Waits until the summary (main + shards) counts `made` exactly. */
async function waitForSummary(agentId: string, made: Made[]) {
  const expected = sumOf(SUMMARY, made);
  await waitFor(
    async () => {
      const s = await summaryTotals(db, agentId);
      return (s.totalMessages ?? 0) + (s.devMessages ?? 0) === made.length && s;
    },
    `summary of ${agentId} to count ${made.length} rows`,
    120_000,
  );
  expect(await summaryTotals(db, agentId)).toMatchObject(expected);
}

const shardIds = async (path: string) => (await db.collection(`${path}/shards`).get()).docs.map((d) => Number(d.id)).sort((a, b) => a - b);
const expectedShards = (made: Made[]) => [...new Set(made.map((m) => shardOf(m.id, 16)))].sort((a, b) => a - b);

describe("a burst of 32 rows for one agent", () => {
  it("spreads over the shards, sums exactly, and leaves the main summary written once", async () => {
    const agentId = await seedAgent(owner.uid);
    const made = rowsFor(agentId, 32);
    await writeMadeRows(db, made);
    await waitForSummary(agentId, made);

    const day = made[0].row.localDay;
    expect(await dailyTotals(db, agentId, day)).toMatchObject(sumOf(DAILY, made));
    // Each row on the shard its id hashes to: several shards, the same ones for the summary and the day.
    const shards = expectedShards(made);
    expect(shards.length).toBeGreaterThanOrEqual(8);
    expect(await shardIds(`agent_billing_summary/${agentId}`)).toEqual(shards);
    expect(await shardIds(`agent_usage_daily/${agentId}_${day}`)).toEqual(shards);

    // The main documents hold identity and the flag, no totals, and were written once (by the first row's transaction).
    for (const path of [`agent_billing_summary/${agentId}`, `agent_usage_daily/${agentId}_${day}`]) {
      const main = await db.doc(path).get();
      expect(main.data()).toMatchObject({ agentId, userId: owner.uid, openShards: true });
      expect(Object.keys(main.data()!).filter((f) => SUMMARY.counters.has(f) || DAILY.counters.has(f))).toEqual([]);
      expect(main.updateTime!.isEqual(main.createTime!)).toBe(true);
    }
    const shard = await db.doc(`agent_billing_summary/${agentId}/shards/${shards[0]}`).get();
    expect(shard.data()).toMatchObject({ agentId, userId: owner.uid });
  });

  it("counts a row once when the handler runs twice and concurrently on a missing shard", async () => {
    const agentId = await seedAgent(owner.uid);
    const [first, ...others] = rowsFor(agentId, 12);
    expect(await handleLedgerRowCreated(db, signingKey(), first.id, first.row)).toBe("applied");
    // A row on another shard than the first: its shard is missing, so it goes through the transaction.
    const row = others.find((m) => shardOf(m.id, 16) !== shardOf(first.id, 16))!;
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => handleLedgerRowCreated(db, signingKey(), row.id, row.row)));
    expect(outcomes.sort()).toEqual(["applied", "duplicate", "duplicate", "duplicate"]);
    expect(await handleLedgerRowCreated(db, signingKey(), row.id, row.row)).toBe("duplicate");
    expect(await summaryTotals(db, agentId)).toMatchObject(sumOf(SUMMARY, [first, row]));
    expect(await dailyTotals(db, agentId, first.row.localDay)).toMatchObject(sumOf(DAILY, [first, row]));
  });
});

describe("the fold", () => {
  const now = Date.now();
  const oldAt = new Date(now - 5 * DAY_MS);

  const analytics = (agentId: string, from: string, to: string) =>
    handleUsageAnalytics(db, owner.uid, { agentId, granularity: "day", from, to });

  it("folds the shards of a day that is over, exactly and once, and a late row reopens it", async () => {
    const agentId = await seedAgent(owner.uid);
    const old = rowsFor(agentId, 20, { at: oldAt });
    const today = rowsFor(agentId, 6, { conversationId: "today" });
    await writeMadeRows(db, [...old, ...today]);
    await waitForSummary(agentId, [...old, ...today]);
    const oldDay = old[0].row.localDay;
    const todayDay = today[0].row.localDay;
    expect(oldDay < foldCutoff(now)).toBe(true);
    const bucket = `agent_usage_daily/${agentId}_${oldDay}`;
    const before = { totals: await dailyTotals(db, agentId, oldDay), series: await analytics(agentId, oldDay, todayDay) };
    expect(before.totals).toMatchObject(sumOf(DAILY, old));
    expect(before.series.totals.messages + before.series.totals.development.messages).toBe(26);

    expect((await foldRollupShards(db, now)).failed).toBe(0);
    const folded = await db.doc(bucket).get();
    expect(folded.get("openShards")).toBe(false);
    expect(await shardIds(bucket)).toEqual([]);
    expect(await dailyTotals(db, agentId, oldDay)).toEqual({ ...before.totals, openShards: false });
    // Today is not over in every timezone: left open. The summary is never folded.
    expect((await db.doc(`agent_usage_daily/${agentId}_${todayDay}`).get()).get("openShards")).toBe(true);
    expect((await shardIds(`agent_billing_summary/${agentId}`)).length).toBeGreaterThan(0);
    const after = await analytics(agentId, oldDay, todayDay);
    expect(after.series).toEqual(before.series.series);
    expect(after.totals).toEqual(before.series.totals);
    // One read per day, the open day's shards, the agent.
    const days = before.series.series.length;
    expect(after.documentsRead).toBe(days + (await shardIds(`agent_usage_daily/${agentId}_${todayDay}`)).length + 1);
    expect(after.documentsRead).toBeLessThan(before.series.documentsRead);

    await foldRollupShards(db, now);
    const again = await db.doc(bucket).get();
    expect(again.updateTime!.isEqual(folded.updateTime!)).toBe(true);

    const [late] = rowsFor(agentId, 1, { at: oldAt, conversationId: "late", messageId: "late-row" });
    await writeMadeRows(db, [late]);
    await waitForSummary(agentId, [...old, ...today, late]);
    expect((await db.doc(bucket).get()).get("openShards")).toBe(true);
    expect(await shardIds(bucket)).toEqual([shardOf(late.id, 16)]);
    expect(await dailyTotals(db, agentId, oldDay)).toMatchObject(sumOf(DAILY, [...old, late]));
    const reopened = await analytics(agentId, oldDay, todayDay);
    expect(reopened.totals.messages + reopened.totals.development.messages).toBe(27);
  });
});

describe("reconcile", () => {
  it("reports no drift with shards, and names a corrupted shard field on its main document", async () => {
    const agentId = await seedAgent(owner.uid);
    const made = rowsFor(agentId, 10);
    await writeMadeRows(db, made);
    await waitForSummary(agentId, made);
    const run = () => reconcile(db, { signingKey: signingKey(), agentId, pageSize: 4 });
    expect((await run()).drifts).toEqual([]);

    const k = shardOf(made[0].id, 16);
    const day = made[0].row.localDay;
    await db.doc(`agent_billing_summary/${agentId}/shards/${k}`).update({ totalCostMicros: FieldValue.increment(1) });
    await db.doc(`agent_usage_daily/${agentId}_${day}/shards/${k}`).update({ "production.messages": FieldValue.increment(-1) });
    const { drifts } = await run();
    const summaryCost = sumOf(SUMMARY, made).totalCostMicros as number;
    const dayMessages = (sumOf(DAILY, made).production as Deltas).messages as number;
    expect(drifts).toEqual([
      { agentId, doc: `agent_billing_summary/${agentId}`, field: "totalCostMicros", ledger: summaryCost, stored: summaryCost + 1 },
      { agentId, doc: `agent_usage_daily/${agentId}_${day}`, field: "production.messages", ledger: dayMessages, stored: dayMessages - 1 },
    ]);
  });
});
