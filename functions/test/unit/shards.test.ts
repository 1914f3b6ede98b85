/**
 * Sharded rollups, the pure part: which shard a row lands on (base/shard-of.ts), which rollups are
 * sharded, and how a main document and its shards add up (domain/rollups.ts `sumCounters`).
 */
import { shardOf } from "../../src/base/shard-of";
import { localDay } from "../../src/base/periods";
import { addDeltas, rollupNamed, sumCounters, type Deltas } from "../../src/domain/rollups";
import { foldCutoff } from "../../src/handlers/fold";
import { makeLedgerRow } from "../helpers/ledger";

describe("shardOf", () => {
  it("is FNV-1a: the published 32-bit test vectors, modulo n", () => {
    // FNV-1a 32: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
    expect(shardOf("", 2 ** 31)).toBe(0x811c9dc5 % 2 ** 31);
    expect(shardOf("a", 1_000_003)).toBe(0xe40c292c % 1_000_003);
    expect(shardOf("foobar", 16)).toBe(0xbf9cf968 % 16);
  });

  it("spreads ledger ids over every shard, and a retry lands on the same one", () => {
    const ids = Array.from({ length: 512 }, (_, i) => `agent_1:conv-${i % 7}:msg-${i}`);
    const counts = new Array<number>(16).fill(0);
    for (const id of ids) counts[shardOf(id, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(10);
    expect(ids.map((id) => shardOf(id, 16))).toEqual(ids.map((id) => shardOf(id, 16)));
  });

  it("refuses a shard count that is not a positive integer", () => {
    for (const n of [0, -1, 1.5, NaN]) expect(() => shardOf("x", n)).toThrow(RangeError);
  });
});

describe("foldCutoff", () => {
  it("folds a day once it is over in every timezone: at noon UTC, when UTC-12 reaches the next day", () => {
    expect(foldCutoff(Date.parse("2026-12-01T00:30:00Z"))).toBe("2026-11-30");
    expect(foldCutoff(Date.parse("2026-12-01T11:59:59Z"))).toBe("2026-11-30");
    expect(foldCutoff(Date.parse("2026-12-01T12:00:00Z"))).toBe("2026-12-01");
  });

  it("never folds a day that is still today somewhere", () => {
    const zones = ["Etc/GMT+12", "Pacific/Pago_Pago", "America/New_York", "UTC", "Asia/Kolkata", "Pacific/Kiritimati"];
    for (let at = Date.parse("2026-03-01T00:00:00Z"); at < Date.parse("2026-03-03T00:00:00Z"); at += 15 * 60_000) {
      for (const zone of zones) expect([zone, at, localDay(at, zone) >= foldCutoff(at)]).toEqual([zone, at, true]);
    }
  });
});

describe("sharded rollups", () => {
  it("shards the summary and the daily bucket 16 ways, not the session", () => {
    expect(["summary", "daily", "session"].map((name) => rollupNamed(name).shards)).toEqual([16, 16, undefined]);
  });

  it("adds a main document and its shards to the sums of their rows, exactly", () => {
    const daily = rollupNamed("daily");
    const rows = Array.from({ length: 40 }, (_, i) =>
      makeLedgerRow({ agentId: "a", userId: "u", model: i % 2 ? "gpt-4.1" : "gpt-4", mode: i % 5 ? "production" : "development" }, "k"),
    );
    const expected = rows.reduce((into, { row }) => addDeltas(into, daily.deltas(row)), {} as Deltas);
    // The first 8 rows were folded into the main document; the rest sit on their shards.
    const main: Record<string, unknown> = { agentId: "a", userId: "u", day: rows[0].row.localDay, openShards: true };
    for (const { row } of rows.slice(0, 8)) addDeltas(main as Deltas, daily.deltas(row));
    const shards = new Map<number, Deltas>();
    for (const { id, row } of rows.slice(8)) {
      const k = shardOf(id, 16);
      addDeltas(shards.get(k) ?? shards.set(k, {}).get(k)!, daily.deltas(row));
    }
    const stored = [main, ...[...shards.values()].map((s) => ({ ...s, agentId: "a", userId: "u", updatedAt: new Date() }))];
    expect(sumCounters(daily, stored)).toEqual(expected);
  });

  it("leaves identity, timestamps and anything not a number out of the totals", () => {
    const summary = rollupNamed("summary");
    const docs = [
      { agentId: "a", userId: "u", totalMessages: 2, openShards: true, createdAt: new Date() },
      { totalMessages: 3, devMessages: 1, lastActivity: new Date(), totalTokens: "oops" },
      undefined,
    ];
    expect(sumCounters(summary, docs)).toEqual({ totalMessages: 5, devMessages: 1 });
  });
});
