/**
 * Statements from plans, checked against an independent model written here in BigInt: tiers message
 * by message, the markup rounded half up by hand, the minimum, the allowance, the credits burnt at
 * admission (by grant, in priority then expiry order, capped by what is left of each grant and by the
 * subtotal), late usage, and the sum invariant (the lines add up to the total) on random plans.
 */
import fc from "fast-check";
import type { StatementLine } from "../../src/contract/statements";
import { DEFAULT_PLAN, planSchema, readAccount, readPlan, tierBands, type CreditGrant, type Plan } from "../../src/domain/plans";
import {
  buildStatement,
  canonicalJson,
  finalAtMillis,
  lateUsage,
  monthUsage,
  sealStatement,
  statementHash,
  statementStatus,
  statementView,
  type GrantBalance,
  type LateUsage,
  type MonthUsage,
} from "../../src/domain/statements";

const plan = (overrides: Partial<Plan> = {}): Plan => ({ ...DEFAULT_PLAN, planId: "test", name: "Test", ...overrides });

const THREE_TIERS: Plan["tiers"] = [
  { upToMessages: 1_000, unitMicros: 2_000 },
  { upToMessages: 10_000, unitMicros: 1_000 },
  { upToMessages: null, unitMicros: 500 },
];

/** Half up by hand: q + 1 when the remainder is at least half the divisor. */
const halfUp = (n: bigint, d: bigint) => n / d + (2n * (n % d) >= d ? 1n : 0n);

/** The price of message number i (1-based) in a graduated plan: the tier whose range holds i. */
function unitOf(tiers: Plan["tiers"], i: number): bigint {
  const tier = tiers.find((t) => t.upToMessages === null || i <= t.upToMessages)!;
  return BigInt(tier.unitMicros);
}

/** The model's tier charge: graduated message by message; volume every message at the count's tier. */
function modelTiers(p: Plan, messages: number): bigint {
  if (!p.tiers.length || messages === 0) return 0n;
  if (p.tierMode === "volume") return BigInt(messages) * unitOf(p.tiers, messages);
  let sum = 0n;
  for (let i = 1; i <= messages; i++) sum += unitOf(p.tiers, i);
  return sum;
}

interface Model {
  charges: bigint;
  subtotal: bigint;
  credits: bigint;
  total: bigint;
}

function model(p: Plan, usage: MonthUsage, grants: GrantBalance[] = [], adjustments: LateUsage[] = []): Model {
  const list = BigInt(usage.listMicros);
  const covered = list < BigInt(p.includedMicros) ? list : BigInt(p.includedMicros);
  const markup = halfUp((list - covered) * BigInt(p.markupBps), 10_000n);
  const raw = BigInt(p.monthlyFeeMicros) + list - covered + markup + modelTiers(p, usage.messages);
  const charges = raw < BigInt(p.minimumMicros) ? BigInt(p.minimumMicros) : raw;
  const subtotal = charges + adjustments.reduce((a, b) => a + BigInt(b.amountMicros), 0n);
  // What the rows burnt, by grant: the month's, and the late rows' of the months carried.
  const burnt = new Map<string, bigint>();
  for (const byGrant of [usage.creditsByGrant ?? {}, ...adjustments.map((a) => a.credits ?? {})]) {
    for (const [id, micros] of Object.entries(byGrant)) burnt.set(id, (burnt.get(id) ?? 0n) + BigInt(micros));
  }
  const rank = (id: string) => {
    const g = grants.find((b) => b.grant.grantId === id)?.grant;
    return g ? [0, g.priority, g.expiresAt ? Date.parse(g.expiresAt) : Infinity] : [1, 0, 0];
  };
  const ids = [...burnt.keys()].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2] || a.localeCompare(b);
  });
  let left = subtotal > 0n ? subtotal : 0n;
  for (const id of ids) {
    const remaining = grants.find((b) => b.grant.grantId === id)?.remainingMicros;
    let take = burnt.get(id)!;
    if (remaining !== undefined && BigInt(remaining) < take) take = BigInt(remaining);
    if (left < take) take = left;
    left -= take;
  }
  const credits = (subtotal > 0n ? subtotal : 0n) - left;
  return { charges, subtotal, credits, total: subtotal - credits };
}

const sumOf = (lines: StatementLine[]) => lines.reduce((n, l) => n + BigInt(l.amountMicros), 0n);

function build(p: Plan, usage: MonthUsage, credits: GrantBalance[] = [], adjustments: LateUsage[] = [], month = "2026-03") {
  return buildStatement({ month, plan: p, usage, credits, previousAdjustments: adjustments, status: "open" });
}

/** Checks a statement against the model, and the invariants every statement keeps. */
function expectModel(p: Plan, usage: MonthUsage, credits: GrantBalance[] = [], adjustments: LateUsage[] = []) {
  const s = build(p, usage, credits, adjustments);
  const m = model(p, usage, credits, adjustments);
  expect({ charges: s.chargesMicros, subtotal: s.subtotalMicros, credits: s.creditsAppliedMicros, total: s.totalMicros }).toEqual({
    charges: Number(m.charges),
    subtotal: Number(m.subtotal),
    credits: Number(m.credits),
    total: Number(m.total),
  });
  expect(sumOf(s.lines)).toBe(BigInt(s.totalMicros));
  expect(sumOf(s.lines.filter((l) => l.kind !== "credit"))).toBe(BigInt(s.subtotalMicros));
  for (const l of s.lines) expect(Number.isSafeInteger(l.amountMicros)).toBe(true);
  return s;
}

const kinds = (lines: StatementLine[]) => lines.map((l) => l.kind);
const lineOf = (lines: StatementLine[], kind: StatementLine["kind"]) => lines.filter((l) => l.kind === kind);

describe("plan charges", () => {
  it.each([
    { what: "payg, no usage", p: DEFAULT_PLAN, usage: { messages: 0, listMicros: 0 }, total: 0, kinds: ["usage"] },
    { what: "payg bills list cost", p: DEFAULT_PLAN, usage: { messages: 7, listMicros: 123_457 }, total: 123_457, kinds: ["usage"] },
    {
      what: "a fee and an allowance bigger than the usage",
      p: plan({ monthlyFeeMicros: 20_000_000, includedMicros: 10_000_000, markupBps: 2_000 }),
      usage: { messages: 40, listMicros: 3_000_000 },
      total: 20_000_000,
      kinds: ["fee", "usage", "allowance", "markup"],
    },
    {
      what: "an allowance exactly the usage",
      p: plan({ includedMicros: 3_000_000, markupBps: 2_000 }),
      usage: { messages: 40, listMicros: 3_000_000 },
      total: 0,
      kinds: ["usage", "allowance", "markup"],
    },
    {
      what: "usage past the allowance, marked up",
      p: plan({ includedMicros: 1_000_000, markupBps: 2_000 }),
      usage: { messages: 40, listMicros: 3_000_000 },
      total: 2_400_000,
      kinds: ["usage", "allowance", "markup"],
    },
    {
      what: "zero usage with a minimum",
      p: plan({ minimumMicros: 5_000_000 }),
      usage: { messages: 0, listMicros: 0 },
      total: 5_000_000,
      kinds: ["usage", "minimum"],
    },
    {
      what: "a fee below the minimum is topped up",
      p: plan({ monthlyFeeMicros: 2_000_000, minimumMicros: 5_000_000 }),
      usage: { messages: 3, listMicros: 1_000_000 },
      total: 5_000_000,
      kinds: ["fee", "usage", "minimum"],
    },
    {
      what: "charges above the minimum need no top-up",
      p: plan({ monthlyFeeMicros: 2_000_000, minimumMicros: 5_000_000 }),
      usage: { messages: 3, listMicros: 3_000_001 },
      total: 5_000_001,
      kinds: ["fee", "usage"],
    },
    {
      what: "charges exactly the minimum need no top-up",
      p: plan({ minimumMicros: 5_000_000 }),
      usage: { messages: 3, listMicros: 5_000_000 },
      total: 5_000_000,
      kinds: ["usage"],
    },
  ])("$what", ({ p, usage, total, kinds: expected }) => {
    const s = expectModel(p, usage);
    expect(s.totalMicros).toBe(total);
    expect(kinds(s.lines)).toEqual(expected);
  });

  // billable × 1,250 bps / 10,000: the remainder decides, and exactly half goes up.
  it.each([
    { billable: 3, markup: 0 }, // 0.375
    { billable: 4, markup: 1 }, // 0.5: half up
    { billable: 5, markup: 1 }, // 0.625
    { billable: 12, markup: 2 }, // 1.5: half up
    { billable: 11, markup: 1 }, // 1.375
    { billable: 1_000_004, markup: 125_001 }, // 125000.5
    { billable: 0, markup: 0 },
  ])("markup of 12.5% on $billable µ$ rounds half up to $markup, once, named on its line", ({ billable, markup }) => {
    const s = expectModel(plan({ includedMicros: 100, markupBps: 1_250 }), { messages: 1, listMicros: 100 + billable });
    const [line] = lineOf(s.lines, "markup");
    expect(line).toMatchObject({ quantity: billable, amountMicros: markup });
    expect(line.rounding).toMatch(/half up once per statement/);
    expect(s.lines.filter((l) => l.rounding)).toHaveLength(1);
  });

  it("rounds the markup once per statement, not once per message", () => {
    // Three messages of 4 µ$ each at 12.5%: 0.5 each would round to 3 per message, the month's 1.5 rounds to 2.
    const s = expectModel(plan({ markupBps: 1_250 }), { messages: 3, listMicros: 12 });
    expect(lineOf(s.lines, "markup")[0].amountMicros).toBe(2);
  });
});

describe("tiers (unit: production messages)", () => {
  const boundaries = [0, 1, 999, 1_000, 1_001, 9_999, 10_000, 10_001, 25_000];

  it.each(boundaries)("graduated at %i messages: each tier's messages at its price", (messages) => {
    const p = plan({ tierMode: "graduated", tiers: THREE_TIERS });
    const s = expectModel(p, { messages, listMicros: 0 });
    const tiers = lineOf(s.lines, "tier");
    expect(tiers.reduce((n, l) => n + l.quantity, 0)).toBe(messages);
    expect(sumOf(tiers)).toBe(modelTiers(p, messages));
  });

  it.each(boundaries)("volume at %i messages: every message at the price of the tier the count falls in", (messages) => {
    const p = plan({ tierMode: "volume", tiers: THREE_TIERS });
    const s = expectModel(p, { messages, listMicros: 0 });
    const tiers = lineOf(s.lines, "tier");
    expect(tiers).toHaveLength(messages ? 1 : 0);
    if (messages) expect(tiers[0].quantity).toBe(messages);
  });

  it("gives the graduated bands at a boundary and one past it", () => {
    const p = plan({ tiers: THREE_TIERS });
    expect(tierBands(p, 1_000).map((b) => [b.from, b.upTo, b.messages, b.amountMicros])).toEqual([[1, 1_000, 1_000, 2_000_000n]]);
    expect(tierBands(p, 1_001).map((b) => [b.from, b.upTo, b.messages, b.amountMicros])).toEqual([
      [1, 1_000, 1_000, 2_000_000n],
      [1_001, 10_000, 1, 1_000n],
    ]);
    expect(tierBands(p, 10_001).map((b) => b.messages)).toEqual([1_000, 9_000, 1]);
  });

  it("volume pricing is not monotonic: one more message can cost less", () => {
    const p = plan({ tierMode: "volume", tiers: THREE_TIERS });
    expect(build(p, { messages: 1_000, listMicros: 0 }).totalMicros).toBe(2_000_000);
    expect(build(p, { messages: 1_001, listMicros: 0 }).totalMicros).toBe(1_001_000);
  });

  it("refuses tiers that are not ascending or whose last tier has an end", () => {
    const base = { ...plan(), tiers: THREE_TIERS };
    expect(planSchema.safeParse(base).success).toBe(true);
    const unordered = { ...base, tiers: [THREE_TIERS[1], THREE_TIERS[0], THREE_TIERS[2]] };
    expect(planSchema.safeParse(unordered).error?.issues[0].path).toEqual(["tiers", 1, "upToMessages"]);
    const closed = { ...base, tiers: [THREE_TIERS[0], { upToMessages: 5_000, unitMicros: 1 }] };
    expect(planSchema.safeParse(closed).error?.issues[0].message).toBe("must be null on the last tier only");
    expect(() => readPlan("bad", { ...base, markupBps: -1 })).toThrow(/billing_plans\/bad\.markupBps/);
    expect(() => readPlan("bad", { ...base, monthlyFeeMicros: 1.5 })).toThrow(/monthlyFeeMicros: must be an integer/);
  });
});

const grant = (
  grantId: string,
  amountMicros: number,
  priority = 50,
  expiresAt: string | null = null,
  effectiveAt?: string,
): GrantBalance => ({
  grant: { grantId, amountMicros, priority, expiresAt, ...(effectiveAt ? { effectiveAt } : {}) },
  remainingMicros: amountMicros,
});

describe("credits burnt at admission", () => {
  const p = plan({ monthlyFeeMicros: 10_000_000 });
  // Subtotal 15,000,000.
  const usage = (creditsByGrant?: Record<string, number>): MonthUsage => ({
    messages: 10,
    listMicros: 5_000_000,
    ...(creditsByGrant ? { creditsByGrant } : {}),
  });

  it("credits what the rows burnt, grant by grant, and nothing of a grant no row burnt", () => {
    const s = expectModel(p, usage({ small: 1_200_000 }), [grant("small", 2_000_000), grant("unused", 100_000_000, 0)]);
    expect(s).toMatchObject({
      creditsAppliedMicros: 1_200_000,
      totalMicros: 13_800_000,
      credits: [{ grantId: "small", micros: 1_200_000 }],
    });
    expect(lineOf(s.lines, "credit")).toEqual([{ kind: "credit", description: "Credit small", quantity: 1, amountMicros: -1_200_000 }]);
    expect(s.usage.creditsByGrant).toEqual({ small: 1_200_000 });
  });

  it("never takes the total below zero: past the subtotal, grants are credited in priority, then expiry, then id order", () => {
    const grants = [
      grant("late-expiry", 8_000_000, 10, "2026-12-01T00:00:00Z"),
      grant("low-priority", 50_000_000, 90),
      grant("soon-expiry", 8_000_000, 10, "2026-04-01T00:00:00Z"),
      grant("b-same", 1_000_000, 10, null),
      grant("a-same", 1_000_000, 10, null),
    ];
    const burnt = {
      "late-expiry": 5_000_000,
      "low-priority": 5_000_000,
      "soon-expiry": 4_000_000,
      "b-same": 1_000_000,
      "a-same": 1_000_000,
    };
    const s = expectModel(p, usage(burnt), grants);
    expect(s.credits).toEqual([
      { grantId: "soon-expiry", micros: 4_000_000 },
      { grantId: "late-expiry", micros: 5_000_000 },
      { grantId: "a-same", micros: 1_000_000 },
      { grantId: "b-same", micros: 1_000_000 },
      { grantId: "low-priority", micros: 4_000_000 },
    ]);
    expect(s.totalMicros).toBe(0);
  });

  it("credits a grant at most what is left of it, and a grant no longer on the account after the others", () => {
    const s = expectModel(p, usage({ gone: 1_000_000, g: 3_000_000 }), [{ ...grant("g", 10_000_000), remainingMicros: 2_500_000 }]);
    expect(s.credits).toEqual([
      { grantId: "g", micros: 2_500_000 },
      { grantId: "gone", micros: 1_000_000 },
    ]);
    expect(s).toMatchObject({ creditsAppliedMicros: 3_500_000, totalMicros: 11_500_000 });
  });

  it("is none without burnt credits, whatever the grants' balances (no end-of-month application)", () => {
    const s = expectModel(p, usage(), [grant("big", 100_000_000, 0)]);
    expect(s).toMatchObject({ creditsAppliedMicros: 0, totalMicros: 15_000_000, credits: [] });
  });
});

describe("late usage", () => {
  const sealedPlan = plan({ markupBps: 1_000, tierMode: "volume", tiers: THREE_TIERS });
  const billedUsage = { messages: 1_000, listMicros: 1_000_000 };
  const billed = { plan: sealedPlan, usage: billedUsage, chargesMicros: Number(model(sealedPlan, billedUsage).charges) };

  it("credits the late rows' burnt credits on the statement that carries them", () => {
    const was = { ...billed, usage: { ...billedUsage, creditsByGrant: { g: 500 } } };
    const now = { messages: 1_002, listMicros: 1_003_000, creditsByGrant: { g: 2_500, h: 100 } };
    const late = lateUsage("2026-02", was, now)!;
    expect(late.credits).toEqual({ g: 2_000, h: 100 });
    const fee = plan({ monthlyFeeMicros: 10_000_000 });
    const s = expectModel(fee, { messages: 1, listMicros: 10, creditsByGrant: { g: 10 } }, [grant("g", 1_000_000)], [late]);
    expect(s.credits).toEqual([
      { grantId: "g", micros: 2_010 },
      { grantId: "h", micros: 100 },
    ]);
  });

  it("is none when the sealed month's usage did not change", () => {
    expect(lateUsage("2026-02", billed, billedUsage)).toBeNull();
  });

  it("recomputes the sealed month with its own plan and bills the difference as an adjustment line", () => {
    const now = { messages: 1_002, listMicros: 1_003_000 };
    const late = lateUsage("2026-02", billed, now)!;
    expect(late.amountMicros).toBe(Number(model(sealedPlan, now).charges - BigInt(billed.chargesMicros)));
    const s = expectModel(DEFAULT_PLAN, { messages: 1, listMicros: 10 }, [], [late]);
    expect(lineOf(s.lines, "adjustment")).toEqual([
      {
        kind: "adjustment",
        description: "Late usage of 2026-02 (2 messages after it was sealed)",
        quantity: 2,
        amountMicros: late.amountMicros,
      },
    ]);
    expect(s.carried).toEqual([{ month: "2026-02", usage: now, chargesMicros: late.chargesMicros }]);
  });

  it("can be negative (volume tiers), and credits never go below zero", () => {
    const now = { messages: 1_001, listMicros: 1_000_100 };
    const late = lateUsage("2026-02", billed, now)!;
    expect(late.amountMicros).toBeLessThan(0);
    const s = expectModel(DEFAULT_PLAN, { messages: 0, listMicros: 0 }, [grant("g", 1_000_000)], [late]);
    expect(s.creditsAppliedMicros).toBe(0);
    expect(s.totalMicros).toBe(late.amountMicros);
  });
});

describe("the sum invariant, on random plans, usage, credits and adjustments", () => {
  const tiersArb = fc
    .uniqueArray(fc.integer({ min: 1, max: 5_000 }), { maxLength: 4 })
    .chain((ends) =>
      fc.tuple(
        fc.constant([...ends].sort((a, b) => a - b)),
        fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: ends.length + 1, maxLength: ends.length + 1 }),
      ),
    )
    .map(([ends, units]) => units.map((unitMicros, i) => ({ upToMessages: i < ends.length ? ends[i] : null, unitMicros })));
  const planArb = fc.record({
    monthlyFeeMicros: fc.integer({ min: 0, max: 100_000_000 }),
    includedMicros: fc.integer({ min: 0, max: 50_000_000 }),
    markupBps: fc.integer({ min: 0, max: 30_000 }),
    minimumMicros: fc.integer({ min: 0, max: 200_000_000 }),
    tierMode: fc.constantFrom("graduated" as const, "volume" as const),
    tiers: fc.oneof(fc.constant([] as Plan["tiers"]), tiersArb),
  });
  const grantArb = fc.record({
    id: fc.integer({ min: 0, max: 9 }),
    amount: fc.integer({ min: 0, max: 80_000_000 }),
    priority: fc.integer({ min: 0, max: 100 }),
    expiresDay: fc.option(fc.integer({ min: 1, max: 27 }), { nil: null }),
    remaining: fc.integer({ min: 0, max: 80_000_000 }),
    burnt: fc.integer({ min: 0, max: 80_000_000 }),
  });

  it("matches the model; lines add up to the total, non-credit lines to the subtotal", () => {
    fc.assert(
      fc.property(
        planArb,
        fc.integer({ min: 0, max: 12_000 }),
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.uniqueArray(grantArb, { selector: (g) => g.id, maxLength: 4 }),
        fc.array(fc.integer({ min: -5_000_000, max: 5_000_000 }), { maxLength: 2 }),
        (fields, messages, listMicros, grants, adjustments) => {
          const p = plan(fields);
          // Grants with an even id are on the account; an odd one burnt credits but is no longer there.
          const balances = grants
            .filter((g) => g.id % 2 === 0)
            .map((g) => ({
              ...grant(
                `g${g.id}`,
                g.amount,
                g.priority,
                g.expiresDay === null ? null : `2026-0${g.expiresDay % 2 ? 2 : 3}-${String(g.expiresDay).padStart(2, "0")}T00:00:00Z`,
              ),
              remainingMicros: Math.min(g.amount, g.remaining),
            }));
          const burnt = Object.fromEntries(grants.filter((g) => g.burnt > 0).map((g) => [`g${g.id}`, g.burnt]));
          const late: LateUsage[] = adjustments.map((amountMicros, i) => ({
            month: `2025-1${i}`,
            usage: { messages: 1, listMicros: 1 },
            billed: { messages: 0, listMicros: 0 },
            chargesMicros: 0,
            amountMicros,
            ...(grants.length ? { credits: { [`g${grants[0].id}`]: 1_000 + i } } : {}),
          }));
          const creditsByGrant = Object.keys(burnt).length ? { creditsByGrant: burnt } : {};
          expectModel(p, { messages, listMicros, ...creditsByGrant }, balances, late);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("finalization and the hash", () => {
  it("is open until the month's end plus 3 days, then final", () => {
    const finalAt = Date.parse("2026-04-04T00:00:00Z");
    expect(finalAtMillis("2026-03")).toBe(finalAt);
    expect(statementStatus("2026-03", Date.parse("2026-03-15T12:00:00Z"))).toBe("open");
    expect(statementStatus("2026-03", finalAt - 1)).toBe("open");
    expect(statementStatus("2026-03", finalAt)).toBe("final");
    expect(statementStatus("2026-12", Date.parse("2027-01-04T00:00:00Z"))).toBe("final");
  });

  const final = () =>
    buildStatement({
      month: "2026-03",
      plan: plan({ monthlyFeeMicros: 1_000_000, markupBps: 500 }),
      usage: { messages: 5, listMicros: 777 },
      credits: [],
      previousAdjustments: [],
      status: "final",
    });

  it("seals only a final statement, with a SHA-256 of its canonical JSON", () => {
    const sealed = sealStatement("alice", final());
    expect(sealed.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sealed.hash).toBe(statementHash("alice", final()));
    expect(() => sealStatement("alice", { ...final(), status: "open" })).toThrow(/only a final statement is sealed/);
  });

  it("hashes every field: another owner, a changed line or total gives another hash", () => {
    const base = statementHash("alice", final());
    expect(statementHash("bob", final())).not.toBe(base);
    const changed = final();
    changed.lines[0] = { ...changed.lines[0], amountMicros: changed.lines[0].amountMicros + 1 };
    expect(statementHash("alice", changed)).not.toBe(base);
    expect(statementHash("alice", { ...final(), totalMicros: final().totalMicros + 1 })).not.toBe(base);
  });

  it("writes one canonical text whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: "x" }], e: undefined })).toBe('{"a":[{"c":"x","d":2}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(() => canonicalJson({ a: 0.5 })).toThrow(/not a safe integer/);
  });

  it("shows callers the statement without its internals", () => {
    const view = statementView(sealStatement("alice", final()));
    expect(Object.keys(view).sort()).toEqual(
      [
        "chargesMicros",
        "creditsAppliedMicros",
        "finalAt",
        "hash",
        "lines",
        "month",
        "planId",
        "planVersion",
        "status",
        "subtotalMicros",
        "totalMicros",
        "usage",
      ].sort(),
    );
  });
});

describe("month usage and accounts", () => {
  it("sums production messages and list cost over days, development left out", () => {
    const day = (messages: number, costMicros: number) => ({
      production: { messages, costMicros },
      development: { messages: 99, costMicros: 0 },
    });
    expect(monthUsage([day(2, 100), day(0, 0), day(5, 2_000_000)])).toEqual({ messages: 7, listMicros: 2_000_100 });
    expect(monthUsage([])).toEqual({ messages: 0, listMicros: 0 });
  });

  it("sums the credits burnt by grant over days", () => {
    const day = (byGrant: [string, number][]) => ({
      production: { messages: 1, costMicros: 10 },
      credits: { byGrant: new Map(byGrant) },
    });
    expect(
      monthUsage([
        day([["b", 3]]),
        day([]),
        day([
          ["a", 2],
          ["b", 4],
          ["z", 0],
        ]),
      ]),
    ).toEqual({
      messages: 3,
      listMicros: 30,
      creditsByGrant: { a: 2, b: 7 },
    });
  });

  it("reads an account, defaulting its credits, and names a bad field", () => {
    expect(readAccount("u", { userId: "u", planId: "pro" })).toEqual({ userId: "u", planId: "pro", credits: [] });
    const bad: Partial<CreditGrant> = { grantId: "g", amountMicros: -1, priority: 0, expiresAt: null };
    expect(() => readAccount("u", { userId: "u", credits: [bad] })).toThrow(
      /billing_accounts\/u\.credits\.0\.amountMicros: must not be negative/,
    );
  });
});
