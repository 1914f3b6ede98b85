import fc from "fast-check";
import {
  checkWindows,
  decideReservation,
  emptySpendState,
  nextExpiry,
  pruneWindows,
  sweepExpired,
  windowUsage,
  type ReserveDecisionInput,
  type SpendState,
} from "../../src/domain/limits";
import { PRICE_BOOK, worstCaseCostMicros } from "../../src/domain/pricing";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const TTL = 240_000;
const windows = { day: "2026-11-26", month: "2026-11" };

function input(over: Partial<ReserveDecisionInput> = {}): ReserveDecisionInput {
  return {
    reservationId: "r1",
    mode: "production",
    amountMicros: 100,
    limits: {},
    devDailyMessageCap: 3,
    windows,
    now: NOW,
    ttlMs: TTL,
    ...over,
  };
}

function stateWith(over: Partial<SpendState>): SpendState {
  return { ...emptySpendState(), ...over };
}

describe("decideReservation: production", () => {
  it.each([
    ["no limits", {}, 0, true],
    ["under the daily limit", { dailyMicros: 1_000 }, 0, true],
    ["exactly at the daily limit", { dailyMicros: 1_000 }, 900, true],
    ["one micro over the daily limit", { dailyMicros: 1_000 }, 901, false],
    ["over the monthly limit", { monthlyMicros: 950 }, 900, false],
    ["a null limit is no limit", { dailyMicros: null, monthlyMicros: null }, 10_000_000, true],
  ])("%s", (_label, limits, spentToday, admitted) => {
    const state = stateWith({
      days: { [windows.day]: { spentMicros: spentToday, devMessages: 0 } },
      months: { [windows.month]: { spentMicros: spentToday } },
    });
    const { outcome } = decideReservation(state, input({ limits }));
    expect(outcome.ok).toBe(admitted);
  });

  it("reports the daily limit first, with what is spent plus reserved", () => {
    const state = stateWith({
      days: { [windows.day]: { spentMicros: 500, devMessages: 0 } },
      months: { [windows.month]: { spentMicros: 500 } },
      reservations: { other: { ...windows, mode: "production", amountMicros: 450, expiresAt: NOW + 1 } },
    });
    const { outcome } = decideReservation(state, input({ limits: { dailyMicros: 1_000, monthlyMicros: 1_000 } }));
    expect(outcome).toEqual({ ok: false, reason: "daily-limit", limit: 1_000, used: 950 });
  });

  it("reports the monthly limit when only the month is full", () => {
    const state = stateWith({ months: { [windows.month]: { spentMicros: 5_000 } } });
    const { outcome } = decideReservation(state, input({ limits: { dailyMicros: 1_000, monthlyMicros: 5_050 } }));
    expect(outcome).toEqual({ ok: false, reason: "monthly-limit", limit: 5_050, used: 5_000 });
  });

  it("refuses everything billable under a limit of 0, even a free message", () => {
    expect(decideReservation(emptySpendState(), input({ amountMicros: 0, limits: { dailyMicros: 0 } })).outcome.ok).toBe(false);
    expect(decideReservation(emptySpendState(), input({ amountMicros: 0, limits: { monthlyMicros: 0 } })).outcome.ok).toBe(false);
  });

  it("records the reservation with its windows, amount and expiry", () => {
    const { outcome, state } = decideReservation(emptySpendState(), input({ amountMicros: 123, limits: { dailyMicros: 1_000 } }));
    expect(outcome).toEqual({ ok: true });
    expect(state.reservations.r1).toEqual({
      day: windows.day,
      month: windows.month,
      mode: "production",
      amountMicros: 123,
      expiresAt: NOW + TTL,
    });
    expect(windowUsage(state, windows)).toEqual({
      daySpentMicros: 0,
      dayReservedMicros: 123,
      monthSpentMicros: 0,
      monthReservedMicros: 123,
      devMessagesToday: 0,
    });
  });

  it("holds open reservations against the limit, so the next message is refused", () => {
    const first = decideReservation(emptySpendState(), input({ reservationId: "a", amountMicros: 600, limits: { dailyMicros: 1_000 } }));
    const second = decideReservation(first.state, input({ reservationId: "b", amountMicros: 600, limits: { dailyMicros: 1_000 } }));
    expect(second.outcome).toEqual({ ok: false, reason: "daily-limit", limit: 1_000, used: 600 });
  });

  it("is idempotent per reservation id: a repeated reserve neither counts twice nor is refused", () => {
    const first = decideReservation(emptySpendState(), input({ amountMicros: 600, limits: { dailyMicros: 1_000 } }));
    const again = decideReservation(first.state, input({ amountMicros: 600, limits: { dailyMicros: 1_000 } }));
    expect(again.outcome).toEqual({ ok: true });
    expect(windowUsage(again.state, windows).dayReservedMicros).toBe(600);
  });

  it("counts a reservation of yesterday against the month but not against today", () => {
    const state = stateWith({
      reservations: { old: { day: "2026-11-25", month: "2026-11", mode: "production", amountMicros: 700, expiresAt: NOW + 1 } },
    });
    expect(decideReservation(state, input({ amountMicros: 400, limits: { dailyMicros: 1_000 } })).outcome.ok).toBe(true);
    expect(decideReservation(state, input({ amountMicros: 400, limits: { monthlyMicros: 1_000 } })).outcome).toEqual({
      ok: false,
      reason: "monthly-limit",
      limit: 1_000,
      used: 700,
    });
  });

  it("admits the worst case of real prices until the limit is reached, never beyond", () => {
    const worst = worstCaseCostMicros(1_200, 1_024, PRICE_BOOK.models["gpt-4"]);
    const limit = 5 * worst + worst - 1; // room for 5 worst cases, not 6
    let state = emptySpendState();
    const outcomes = Array.from({ length: 8 }, (_, i) => {
      const decided = decideReservation(state, input({ reservationId: `m${i}`, amountMicros: worst, limits: { dailyMicros: limit } }));
      state = decided.state;
      return decided.outcome.ok;
    });
    expect(outcomes).toEqual([true, true, true, true, true, false, false, false]);
    expect(windowUsage(state, windows).dayReservedMicros).toBe(5 * worst);
  });
});

describe("decideReservation: development", () => {
  it("counts messages against the daily cap and refuses at the cap", () => {
    let state = emptySpendState();
    const outcomes = [1, 2, 3, 4].map((n) => {
      const decided = decideReservation(state, input({ reservationId: `d${n}`, mode: "development", amountMicros: 999 }));
      state = decided.state;
      return decided.outcome;
    });
    expect(outcomes.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(outcomes[3]).toEqual({ ok: false, reason: "dev-daily-cap", limit: 3, used: 3 });
    expect(windowUsage(state, windows)).toMatchObject({ devMessagesToday: 3, dayReservedMicros: 0 });
  });

  it("ignores money limits (development is free) but a cap of 0 refuses it", () => {
    expect(decideReservation(emptySpendState(), input({ mode: "development", limits: { dailyMicros: 0 } })).outcome.ok).toBe(true);
    expect(decideReservation(emptySpendState(), input({ mode: "development", devDailyMessageCap: 0 })).outcome).toEqual({
      ok: false,
      reason: "dev-daily-cap",
      limit: 0,
      used: 0,
    });
  });

  it("starts a new count on a new local day", () => {
    const full = stateWith({ days: { "2026-11-25": { spentMicros: 0, devMessages: 3 } } });
    expect(decideReservation(full, input({ mode: "development" })).outcome.ok).toBe(true);
  });
});

describe("expiry", () => {
  const open = (expiresAt: number, amountMicros = 500) => ({ ...windows, mode: "production" as const, amountMicros, expiresAt });

  it("sweeps entries at or past their expiry and keeps the others", () => {
    const state = stateWith({ reservations: { dead: open(NOW - 1), edge: open(NOW), live: open(NOW + 1) } });
    const { state: swept, swept: ids } = sweepExpired(state, NOW);
    expect(ids.sort()).toEqual(["dead", "edge"]);
    expect(Object.keys(swept.reservations)).toEqual(["live"]);
  });

  it("gives an expired hold back to the limit inside the reservation", () => {
    const state = stateWith({ reservations: { crashed: open(NOW - 1, 900) } });
    const { outcome, state: next } = decideReservation(state, input({ amountMicros: 900, limits: { dailyMicros: 1_000 } }));
    expect(outcome.ok).toBe(true);
    expect(Object.keys(next.reservations)).toEqual(["r1"]);
  });

  it("reports the earliest expiry, or null with nothing open", () => {
    expect(nextExpiry(emptySpendState())).toBeNull();
    expect(nextExpiry(stateWith({ reservations: { a: open(NOW + 50), b: open(NOW + 10) } }))).toBe(NOW + 10);
  });
});

describe("pruneWindows", () => {
  it("drops days and months before the current ones and keeps current and later keys", () => {
    const state = stateWith({
      days: {
        "2026-10-31": { spentMicros: 1, devMessages: 0 },
        "2026-11-25": { spentMicros: 2, devMessages: 0 },
        "2026-11-26": { spentMicros: 3, devMessages: 0 },
        "2026-11-27": { spentMicros: 4, devMessages: 0 },
      },
      months: { "2026-10": { spentMicros: 1 }, "2026-11": { spentMicros: 9 }, "2026-12": { spentMicros: 0 } },
    });
    const pruned = pruneWindows(state, windows);
    expect(Object.keys(pruned.days).sort()).toEqual(["2026-11-26", "2026-11-27"]);
    expect(Object.keys(pruned.months).sort()).toEqual(["2026-11", "2026-12"]);
  });

  it("happens as part of every reservation", () => {
    const state = stateWith({ days: { "2026-11-01": { spentMicros: 1, devMessages: 0 } }, months: { "2026-09": { spentMicros: 1 } } });
    const { state: next } = decideReservation(state, input());
    expect(Object.keys(next.days)).toEqual([windows.day]);
    expect(Object.keys(next.months)).toEqual([windows.month]);
  });
});

describe("input checks", () => {
  it.each([
    ["a day outside its month", { windows: { day: "2026-12-01", month: "2026-11" } }, /spend windows/],
    ["a malformed day", { windows: { day: "26-11-2026", month: "2026-11" } }, /spend windows/],
    ["a negative amount", { amountMicros: -1 }, /amountMicros/],
    ["a fractional amount", { amountMicros: 1.5 }, /amountMicros/],
    ["a fractional limit", { limits: { dailyMicros: 0.5 } }, /limits.dailyMicros/],
    ["a negative cap", { devDailyMessageCap: -1 }, /devDailyMessageCap/],
    ["no ttl", { ttlMs: 0 }, /ttlMs/],
  ])("refuses %s", (_label, over, message) => {
    expect(() => decideReservation(emptySpendState(), input(over as Partial<ReserveDecisionInput>))).toThrow(message);
  });

  it("accepts well-formed windows", () => {
    expect(checkWindows(windows)).toBe(windows);
  });
});

describe("the limit holds under any interleaving of reserves and settles", () => {
  it("spent + reserved never passes the limit when actual costs stay within their reservations", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("reserve" as const), amount: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant("settle" as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000 }), fc.array(op, { maxLength: 60 }), (limit, ops) => {
        let state = emptySpendState();
        ops.forEach((o, i) => {
          if (o.kind === "reserve") {
            state = decideReservation(
              state,
              input({ reservationId: `r${i}`, amountMicros: o.amount, limits: { dailyMicros: limit } }),
            ).state;
            return;
          }
          const [id, r] = Object.entries(state.reservations)[0] ?? [];
          if (!id) return;
          const { [id]: _settled, ...rest } = state.reservations;
          const day = state.days[windows.day];
          const actual = Math.floor(r.amountMicros * o.fraction);
          state = {
            ...state,
            reservations: rest,
            days: { ...state.days, [windows.day]: { ...day, spentMicros: day.spentMicros + actual } },
          };
        });
        const usage = windowUsage(state, windows);
        expect(usage.daySpentMicros + usage.dayReservedMicros).toBeLessThanOrEqual(limit);
      }),
    );
  });
});
