/**
 * Statements month after month: grants drawn down across months, sealed statements taken as they
 * are, late usage of a sealed month billed once on the next statement not sealed, and which months
 * become final (to seal, oldest first).
 */
import { DEFAULT_PLAN, type CreditGrant, type Plan } from "../../src/domain/plans";
import { LATE_USAGE_LOOKBACK_MONTHS, monthsToRead, walkStatements, type WalkInput } from "../../src/domain/statement-walk";
import { sealStatement, type MonthUsage, type SealedStatement } from "../../src/domain/statements";

const PRO: Plan = { ...DEFAULT_PLAN, planId: "pro", name: "Pro", monthlyFeeMicros: 10_000_000, markupBps: 1_000 };
const at = (iso: string) => Date.parse(iso);
const usage = (messages: number, listMicros: number): MonthUsage => ({ messages, listMicros });
const grant = (grantId: string, amountMicros: number): CreditGrant => ({ grantId, amountMicros, priority: 50, expiresAt: null });

function walk(overrides: Partial<WalkInput>) {
  return walkStatements({
    months: ["2026-01", "2026-02", "2026-03"],
    plan: PRO,
    grants: [],
    sealed: new Map(),
    usage: new Map([
      ["2026-01", usage(10, 1_000_000)],
      ["2026-02", usage(20, 2_000_000)],
      ["2026-03", usage(0, 0)],
    ]),
    now: at("2026-03-10T00:00:00Z"),
    ...overrides,
  });
}

/** The walk's sealed statements, as the store would keep them. */
function sealedOf(result: ReturnType<typeof walk>): Map<string, SealedStatement> {
  return new Map(result.toSeal.map((s) => [s.month, sealStatement("alice", s)]));
}

describe("walkStatements", () => {
  it("makes the months past their grace final (to seal, oldest first) and the rest open", () => {
    const result = walk({ now: at("2026-03-02T00:00:00Z") });
    expect(result.statements.map((s) => [s.month, s.status])).toEqual([
      ["2026-01", "final"],
      ["2026-02", "open"],
      ["2026-03", "open"],
    ]);
    expect(result.toSeal.map((s) => s.month)).toEqual(["2026-01"]);
  });

  it("credits what each month's rows burnt, at most the subtotal, and a grant at most its amount across months", () => {
    const burnt = (messages: number, listMicros: number, welcome: number): MonthUsage => ({
      ...usage(messages, listMicros),
      creditsByGrant: { welcome },
    });
    const result = walk({
      grants: [grant("welcome", 25_000_000)],
      usage: new Map([
        ["2026-01", burnt(10, 1_000_000, 8_000_000)],
        ["2026-02", burnt(20, 2_000_000, 15_000_000)],
        ["2026-03", burnt(0, 0, 10_000_000)],
      ]),
    });
    // Jan: 11.1 $ less the 8 $ burnt; Feb: 12.2 $, of the 15 $ burnt (17 $ left of the grant); Mar: 10 $, 4.8 $ left of the grant.
    expect(result.statements.map((s) => [s.creditsAppliedMicros, s.totalMicros])).toEqual([
      [8_000_000, 3_100_000],
      [12_200_000, 0],
      [4_800_000, 5_200_000],
    ]);
  });

  it("credits nothing of a grant no row burnt (no end-of-month application of balances)", () => {
    const result = walk({ grants: [grant("welcome", 25_000_000)] });
    expect(result.statements.map((s) => s.creditsAppliedMicros)).toEqual([0, 0, 0]);
  });

  it("takes a sealed statement as it is, whatever the plan or usage now", () => {
    const first = walk({ now: at("2026-03-10T00:00:00Z") });
    const sealed = sealedOf(first);
    const again = walk({ sealed, plan: DEFAULT_PLAN });
    expect(again.statements[0]).toBe(sealed.get("2026-01"));
    expect(again.toSeal).toEqual([]);
    // The open month follows today's plan.
    expect(again.statements[2].planId).toBe("payg");
  });

  it("bills late usage of a sealed month once, on the next statement not sealed", () => {
    const sealed = sealedOf(walk({}));
    const late = new Map([
      ["2026-01", usage(12, 1_500_000)],
      ["2026-02", usage(20, 2_000_000)],
      ["2026-03", usage(1, 100)],
    ]);
    const result = walk({ sealed, usage: late });
    const march = result.statements[2];
    // January recomputed with its sealed plan: 10 + 1.5 + 0.15 = 11.65 $, billed 11.1 $.
    expect(march.lines.filter((l) => l.kind === "adjustment")).toEqual([
      { kind: "adjustment", description: "Late usage of 2026-01 (2 messages after it was sealed)", quantity: 2, amountMicros: 550_000 },
    ]);
    expect(march.carried).toEqual([{ month: "2026-01", usage: usage(12, 1_500_000), chargesMicros: 11_650_000 }]);

    // Once March is sealed with it, April does not bill it again; more late rows bill only what is new.
    const withMarch = new Map([...sealed, ["2026-03", sealStatement("alice", { ...march, status: "final" })]]);
    const months = ["2026-01", "2026-02", "2026-03", "2026-04"];
    const april = walk({ months, sealed: withMarch, usage: new Map([...late, ["2026-04", usage(0, 0)]]), now: at("2026-04-10T00:00:00Z") });
    expect(april.statements[3].lines.filter((l) => l.kind === "adjustment")).toEqual([]);
    const later = new Map([...late, ["2026-01", usage(13, 1_600_000)], ["2026-04", usage(0, 0)]]);
    const april2 = walk({ months, sealed: withMarch, usage: later, now: at("2026-04-10T00:00:00Z") });
    expect(april2.statements[3].lines.filter((l) => l.kind === "adjustment").map((l) => [l.quantity, l.amountMicros])).toEqual([
      [1, 110_000],
    ]);
  });

  it("reads the months not sealed and the sealed months within the lookback", () => {
    const months = ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"];
    const sealed = new Set(["2025-10", "2025-11", "2025-12", "2026-01"]);
    expect(LATE_USAGE_LOOKBACK_MONTHS).toBe(3);
    expect(monthsToRead(months, sealed)).toEqual(["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]);
    expect(monthsToRead(months, new Set(months))).toEqual([]);
  });

  it("refuses to build a month whose usage was not read", () => {
    expect(() => walk({ usage: new Map() })).toThrow("statement walk: the usage of 2026-01 was not read");
  });
});
