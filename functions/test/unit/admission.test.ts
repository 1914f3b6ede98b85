import fc from "fast-check";
import {
  decideAdmission,
  spendShardOf,
  sweepPlan,
  windowUsage,
  SPEND_SHARDS,
  type AdmissionRequest,
  type HoldEntry,
  type SpendShard,
} from "../../src/domain/admission";

const WINDOWS = { day: "2026-12-01", month: "2026-12" };
const NOW = Date.parse("2026-12-01T12:00:00Z");

const emptyShard = (): SpendShard => ({ days: {}, months: {}, holds: {} });

function hold(atMicros: number, amountMicros: number, over: Partial<HoldEntry> = {}): HoldEntry {
  return { day: WINDOWS.day, month: WINDOWS.month, mode: "production", amountMicros, atMicros, expiresAt: NOW + 240_000, ...over };
}

function request(id: string, amountMicros: number, over: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    reservationId: id,
    mode: "production",
    amountMicros,
    limits: { dailyMicros: 1_000, monthlyMicros: null },
    devDailyMessageCap: 3,
    windows: WINDOWS,
    now: NOW,
    ...over,
  };
}

/** Shards holding `holds` (spread by id as the store spreads them) and `spent` on shard 0. */
function shardsWith(holds: Record<string, HoldEntry>, spent = 0, devMessages = 0): SpendShard[] {
  const shards = Array.from({ length: SPEND_SHARDS }, emptyShard);
  shards[0].days[WINDOWS.day] = { spentMicros: spent, devMessages };
  shards[0].months[WINDOWS.month] = { spentMicros: spent };
  for (const [id, h] of Object.entries(holds)) shards[spendShardOf(id)].holds[id] = h;
  return shards;
}

describe("decideAdmission", () => {
  it.each([
    // [spent, holds ahead (amounts), own amount, daily limit, admitted]
    [0, [], 1_000, 1_000, true],
    [0, [], 1_001, 1_000, false],
    [600, [300], 100, 1_000, true],
    [600, [300], 101, 1_000, false],
    [0, [], 0, 0, false], // a limit of 0 refuses everything billable, even a free-priced message
  ])("spent %p, ahead %p, own %p, limit %p: admitted %p", (spent, ahead, own, limit, admitted) => {
    const holds: Record<string, HoldEntry> = {};
    ahead.forEach((amount, i) => (holds[`a${i}`] = hold(10 + i, amount)));
    holds.me = hold(100, own);
    const outcome = decideAdmission(shardsWith(holds, spent), request("me", own, { limits: { dailyMicros: limit } }));
    expect(outcome.ok).toBe(admitted);
  });

  it("counts only holds ordered before it, by commit time then id", () => {
    const holds = { later: hold(200, 900), tie_b: hold(100, 1), tie_a: hold(100, 500), me: hold(100, 500) };
    // Ahead of "me" (at 100): tie_a (same time, smaller id); tie_b sorts after "me".
    expect(decideAdmission(shardsWith(holds), request("me", 500))).toEqual({ ok: true });
    expect(decideAdmission(shardsWith(holds), request("tie_b", 1))).toMatchObject({ ok: false, reason: "daily-limit", used: 1_000 });
  });

  it("does not count expired holds, nor holds of other days, and names the monthly limit", () => {
    const holds = {
      dead: hold(1, 900, { expiresAt: NOW }),
      yesterday: hold(2, 900, { day: "2026-11-30", month: "2026-11" }),
      me: hold(3, 500),
    };
    expect(decideAdmission(shardsWith(holds), request("me", 500))).toEqual({ ok: true });
    const monthly = request("me", 500, { limits: { dailyMicros: null, monthlyMicros: 1_200 } });
    expect(decideAdmission(shardsWith(holds, 800), monthly)).toEqual({ ok: false, reason: "monthly-limit", limit: 1_200, used: 800 });
  });

  it("caps development messages: settled ones plus holds ahead, own included", () => {
    const dev = (at: number) => hold(at, 0, { mode: "development" });
    // devMessages counts every dev hold from its write on: 1 settled + 3 open holds = 4.
    const shards = shardsWith({ d1: dev(1), d2: dev(2), d3: dev(3) }, 0, 4);
    expect(decideAdmission(shards, request("d2", 0, { mode: "development" }))).toEqual({ ok: true });
    expect(decideAdmission(shards, request("d3", 0, { mode: "development" }))).toEqual({
      ok: false,
      reason: "dev-daily-cap",
      limit: 3,
      used: 3,
    });
  });

  it("throws when its own hold is not in what it read", () => {
    expect(() => decideAdmission(shardsWith({}), request("me", 1))).toThrow(/not in the shards/);
  });
});

interface Message {
  amount: number;
  actual: number;
  holdAt: number;
  readAt: number;
  endAt: number;
}

/**
 * Replays messages whose hold, read and end (settle or release) happen at the given times, as the
 * store does them, and returns which were admitted and what the admitted ones cost.
 */
function simulate(messages: Message[], limit: number): { admitted: boolean[]; spent: number } {
  type Event = { at: number; kind: "hold" | "read" | "end"; i: number };
  const order = { hold: 0, read: 1, end: 2 };
  const events: Event[] = messages.flatMap((m, i) => [
    { at: m.holdAt, kind: "hold" as const, i },
    { at: m.readAt, kind: "read" as const, i },
    { at: m.endAt, kind: "end" as const, i },
  ]);
  events.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind] || a.i - b.i);
  const holds: Record<string, HoldEntry> = {};
  const admitted: boolean[] = messages.map(() => false);
  let spent = 0;
  for (const e of events) {
    const id = `m${String(e.i).padStart(3, "0")}`;
    const m = messages[e.i];
    if (e.kind === "hold") holds[id] = hold(m.holdAt, m.amount);
    if (e.kind === "read") {
      const outcome = decideAdmission(shardsWith(holds, spent), request(id, m.amount, { limits: { dailyMicros: limit } }));
      admitted[e.i] = outcome.ok;
      if (!outcome.ok) delete holds[id];
    }
    if (e.kind === "end" && admitted[e.i]) {
      delete holds[id];
      spent += m.actual;
    }
  }
  return { admitted, spent };
}

const messageArb = fc
  .record({
    amount: fc.integer({ min: 0, max: 400 }),
    share: fc.integer({ min: 0, max: 100 }),
    holdAt: fc.integer({ min: 0, max: 1_000 }),
    readDelay: fc.integer({ min: 1, max: 300 }),
    endDelay: fc.integer({ min: 1, max: 300 }),
  })
  .map((r) => ({
    amount: r.amount,
    actual: Math.floor((r.amount * r.share) / 100),
    holdAt: r.holdAt * 1_000 + 1,
    readAt: (r.holdAt + r.readDelay) * 1_000 + 2,
    endAt: (r.holdAt + r.readDelay + r.endDelay) * 1_000 + 3,
  }));

describe("admission under any interleaving", () => {
  it("never lets the admitted messages cost more than the limit", () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3_000 }), (messages, limit) => {
        expect(simulate(messages, limit).spent).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });

  it("in a burst (every hold before any read), admits in commit order every message that still fits", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 5_000 }),
        (amounts, limit) => {
          const messages = amounts.map((amount, i) => ({ amount, actual: amount, holdAt: i + 1, readAt: 10_000 + i, endAt: 20_000 + i }));
          const { admitted } = simulate(messages, limit);
          // Reads come in commit order here, each after the refusals before it deleted their holds.
          let held = 0;
          const fits = amounts.map((a) => held + a <= limit && (held += a) > 0);
          expect(admitted).toEqual(fits);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("windowUsage and sweepPlan", () => {
  it("reports spent, live holds and development messages of the windows", () => {
    const shards = shardsWith({ a: hold(1, 300), dead: hold(2, 50, { expiresAt: NOW - 1 }) }, 700, 2);
    expect(windowUsage(shards, WINDOWS, NOW)).toEqual({
      daySpentMicros: 700,
      dayReservedMicros: 300,
      monthSpentMicros: 700,
      monthReservedMicros: 300,
      devMessagesToday: 2,
    });
  });

  it("drops expired holds and windows older than the day and month before", () => {
    const shard: SpendShard = {
      days: {
        "2026-11-28": { spentMicros: 1, devMessages: 0 },
        "2026-11-29": { spentMicros: 1, devMessages: 0 },
        "2026-12-01": { spentMicros: 1, devMessages: 0 },
      },
      months: { "2026-10": { spentMicros: 1 }, "2026-11": { spentMicros: 1 }, "2026-12": { spentMicros: 1 } },
      holds: { old: hold(1, 1, { expiresAt: NOW - 1 }), live: hold(2, 1) },
    };
    expect(sweepPlan(shard, WINDOWS, NOW)).toEqual({ holds: ["old"], days: ["2026-11-28"], months: ["2026-10"] });
  });

  it("spreads ids over every shard, always the same shard for one id", () => {
    const seen = new Set(Array.from({ length: 2_000 }, (_, i) => spendShardOf(`agent:conv:${i}`)));
    expect(seen.size).toBe(SPEND_SHARDS);
    expect(spendShardOf("a:b:c")).toBe(spendShardOf("a:b:c"));
  });
});
