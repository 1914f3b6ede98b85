/**
 * Credits burnt down at admission (domain/credits.ts): which grants a message holds in, which of
 * them pays, the lifetime window the sweeper keeps, and the signed `creditGrantId` of a row.
 */
import {
  decideAdmission,
  LIFETIME_DAY,
  LIFETIME_MONTH,
  SPEND_SHARDS,
  spendShardOf,
  sweepPlan,
  type SpendShard,
} from "../../src/domain/admission";
import {
  creditCandidates,
  creditSpendScope,
  grantLive,
  grantOrder,
  LIFETIME_WINDOWS,
  MAX_CREDIT_SCOPES,
  payingGrant,
} from "../../src/domain/credits";
import { ledgerId } from "../../src/domain/ids";
import { buildLedgerRow, type LedgerRowInput } from "../../src/domain/ledger-row";
import { rowProblem } from "../../src/domain/ledger-schema";
import { rowInput } from "../helpers/row-input";
import type { CreditGrant } from "../../src/domain/plans";

const AT = Date.parse("2026-03-15T12:00:00Z");
const g = (grantId: string, priority = 50, expiresAt: string | null = null, over: Partial<CreditGrant> = {}): CreditGrant => ({
  grantId,
  amountMicros: 1_000_000,
  priority,
  expiresAt,
  ...over,
});

describe("the grants a message holds in", () => {
  it.each([
    { what: "no grants", grants: [], ids: [] },
    { what: "priority first (0 first)", grants: [g("b", 50), g("a", 90), g("c", 0)], ids: ["c", "b", "a"] },
    {
      what: "then soonest expiry, never-expiring last",
      grants: [g("never", 10), g("late", 10, "2027-01-01T00:00:00Z"), g("soon", 10, "2026-04-01T00:00:00Z")],
      ids: ["soon", "late", "never"],
    },
    { what: "then id", grants: [g("b", 10), g("a", 10)], ids: ["a", "b"] },
    { what: "expired at the message's instant: left out", grants: [g("old", 0, "2026-03-15T12:00:00Z"), g("ok", 50)], ids: ["ok"] },
    { what: "expiring just after: kept", grants: [g("ok", 0, "2026-03-15T12:00:00.001Z")], ids: ["ok"] },
    {
      what: "not yet effective: left out",
      grants: [g("later", 0, null, { effectiveAt: "2026-03-15T12:00:00.001Z" }), g("now", 50)],
      ids: ["now"],
    },
    { what: "effective at the instant: kept", grants: [g("now", 0, null, { effectiveAt: "2026-03-15T12:00:00Z" })], ids: ["now"] },
    { what: "worth nothing: left out", grants: [g("zero", 0, null, { amountMicros: 0 }), g("one", 1)], ids: ["one"] },
    {
      what: `at most ${MAX_CREDIT_SCOPES}, the first in order`,
      grants: [g("d", 4), g("c", 3), g("b", 2), g("a", 1)],
      ids: ["a", "b", "c"],
    },
  ])("$what", ({ grants, ids }) => {
    expect(creditCandidates(grants, AT).map((x) => x.grantId)).toEqual(ids);
  });

  it("orders as the statement does, and a live grant is effective, unexpired and worth something", () => {
    expect([g("b"), g("a", 0)].sort(grantOrder).map((x) => x.grantId)).toEqual(["a", "b"]);
    expect(grantLive(g("x"), AT)).toBe(true);
    expect(grantLive(g("x", 0, "2026-03-01T00:00:00Z"), AT)).toBe(false);
  });
});

describe("the grant that pays", () => {
  it.each([
    { what: "none held", outcomes: [], paid: null },
    {
      what: "the first that fits",
      outcomes: [
        { grantId: "a", fits: true },
        { grantId: "b", fits: true },
      ],
      paid: "a",
    },
    {
      what: "past a full one",
      outcomes: [
        { grantId: "a", fits: false },
        { grantId: "b", fits: true },
      ],
      paid: "b",
    },
    {
      what: "none fits: the owner pays",
      outcomes: [
        { grantId: "a", fits: false },
        { grantId: "b", fits: false },
      ],
      paid: null,
    },
  ])("$what", ({ outcomes, paid }) => {
    expect(payingGrant(outcomes)).toBe(paid);
  });

  it("fits a hold in a grant by the ordered holds: spent plus every hold up to its own within the amount", () => {
    const shards: SpendShard[] = Array.from({ length: SPEND_SHARDS }, () => ({ days: {}, months: {}, holds: {} }));
    shards[0].months[LIFETIME_MONTH] = { spentMicros: 600 };
    shards[0].days[LIFETIME_DAY] = { spentMicros: 600, devMessages: 0 };
    const hold = (atMicros: number) => ({
      ...LIFETIME_WINDOWS,
      mode: "production" as const,
      amountMicros: 200,
      atMicros,
      expiresAt: AT + 1,
    });
    for (const [id, at] of [
      ["m1", 1],
      ["m2", 2],
      ["m3", 3],
    ] as const)
      shards[spendShardOf(id)].holds[id] = hold(at);
    const fits = (id: string) =>
      decideAdmission(shards, {
        reservationId: id,
        mode: "production",
        amountMicros: 200,
        limits: { dailyMicros: null, monthlyMicros: 1_000 },
        devDailyMessageCap: 0,
        windows: { ...LIFETIME_WINDOWS },
        now: AT,
      }).ok;
    // 600 + 200 = 800, + 200 = 1000 (fits exactly), + 200 = 1200.
    expect(["m1", "m2", "m3"].map(fits)).toEqual([true, true, false]);
  });

  it("names a grant's scope apart from agents' and API keys'", () => {
    expect(creditSpendScope("uid-1", "welcome")).toBe("credit:uid-1:welcome");
  });
});

describe("the lifetime window", () => {
  it("is never pruned by the sweeper, while old days and months are", () => {
    const shard: SpendShard = {
      days: { [LIFETIME_DAY]: { spentMicros: 5, devMessages: 0 }, "2020-01-01": { spentMicros: 1, devMessages: 0 } },
      months: { [LIFETIME_MONTH]: { spentMicros: 5 }, "2020-01": { spentMicros: 1 } },
      holds: {},
    };
    expect(sweepPlan(shard, { day: "2026-03-15", month: "2026-03" }, AT)).toEqual({ holds: [], days: ["2020-01-01"], months: ["2020-01"] });
  });
});

describe("a row paid by a grant", () => {
  const input = (over: Partial<LedgerRowInput> = {}) => rowInput(AT, over);
  const id = ledgerId("agent-1", "conv-1", "msg-1");

  it("signs creditGrantId when present, and a row without it signs as before", () => {
    const paid = buildLedgerRow(input({ creditGrantId: "welcome" }), "k");
    const plain = buildLedgerRow(input(), "k");
    expect(paid.creditGrantId).toBe("welcome");
    expect(plain).not.toHaveProperty("creditGrantId");
    expect(rowProblem(id, paid, "k")).toBeNull();
    expect(rowProblem(id, plain, "k")).toBeNull();
    expect(paid.sig).not.toBe(plain.sig);
    expect(rowProblem(id, { ...paid, creditGrantId: "other" }, "k")).toBe("signature does not verify");
    expect(rowProblem(id, { ...plain, creditGrantId: "welcome" }, "k")).toBe("signature does not verify");
    const { creditGrantId: _dropped, ...stripped } = paid;
    expect(rowProblem(id, stripped, "k")).toBe("signature does not verify");
  });

  it("is never a development row", () => {
    expect(() => buildLedgerRow(input({ mode: "development", creditGrantId: "welcome" }), "k")).toThrow(/never paid by a credit grant/);
  });
});
