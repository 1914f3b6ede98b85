import fc from "fast-check";
import { usageAnalyticsRequestSchema } from "../../src/contract/analytics";
import { buildAnalytics, efficiency, emptyModes, readDayUsage, type DayUsage, type Figures } from "../../src/domain/analytics";
import { daysInRange } from "../../src/base/periods";

const figures = (messages: number, costMicros: number, prompt = 100 * messages, completion = 50 * messages): Figures => ({
  messages,
  promptTokens: prompt,
  completionTokens: completion,
  cachedTokens: 0,
  totalTokens: prompt + completion,
  costMicros,
  shadowCostMicros: costMicros,
});

/** A stored bucket as store/rollups.ts writes it, for production usage of one model. */
function bucket(day: string, messages: number, costMicros: number, model = "gpt-4"): DayUsage {
  const production = figures(messages, costMicros);
  return readDayUsage(day, { agentId: "a", userId: "u", day, production, byModel: { [model]: { production } } });
}

describe("readDayUsage", () => {
  it("reads both modes and literal model keys, absent figures as zero", () => {
    const usage = readDayUsage("2026-03-01", {
      production: { messages: 2, costMicros: 9 },
      development: figures(1, 0),
      byModel: { "gpt-4.1": { production: { messages: 2, costMicros: 9 } }, "gpt-4": { development: figures(1, 0) } },
    });
    expect(usage.production).toEqual({ ...figures(0, 0), messages: 2, costMicros: 9 });
    expect(usage.development.messages).toBe(1);
    expect([...usage.byModel.keys()]).toEqual(["gpt-4.1", "gpt-4"]);
    expect(usage.byModel.get("gpt-4.1")?.production.costMicros).toBe(9);
    expect(usage.byModel.get("gpt-4.1")?.development.messages).toBe(0);
  });

  it.each([
    ["a float", { production: { costMicros: 1.5 } }, /production\.costMicros/],
    ["a negative", { development: { messages: -1 } }, /development\.messages/],
    ["a string", { production: { totalTokens: "12" } }, /production\.totalTokens/],
    ["a non-map mode", { production: 3 }, /production must be a map/],
    ["a non-map byModel", { byModel: [] }, /byModel must be a map/],
  ])("refuses %s", (_what, data, message) => {
    expect(() => readDayUsage("2026-03-01", data)).toThrow(message);
  });
});

describe("buildAnalytics series", () => {
  it("has one point per day, empty days included, in order", () => {
    const result = buildAnalytics([bucket("2026-03-02", 2, 500), bucket("2026-03-04", 1, 7)], "2026-03-01", "2026-03-05", "day");
    expect(result.series.map((p) => [p.period, p.messages, p.costMicros])).toEqual([
      ["2026-03-01", 0, 0],
      ["2026-03-02", 2, 500],
      ["2026-03-03", 0, 0],
      ["2026-03-04", 1, 7],
      ["2026-03-05", 0, 0],
    ]);
    expect(result.series[1].cost).toBe(0.0005);
    expect(result.totals).toMatchObject({
      messages: 3,
      costMicros: 507,
      cost: 0.000507,
      promptTokens: 300,
      completionTokens: 150,
      totalTokens: 450,
    });
  });

  it("names ISO weeks by their Monday across New Year and counts only days in range", () => {
    // 2026-01-01 is a Thursday; Sunday 2026-01-04 closes its week; Monday 2026-01-05 opens the next.
    const days = [bucket("2025-12-29", 5, 5), bucket("2026-01-01", 1, 10), bucket("2026-01-04", 2, 20), bucket("2026-01-05", 4, 40)];
    const result = buildAnalytics(days, "2026-01-01", "2026-01-12", "week");
    expect(result.series.map((p) => [p.period, p.messages, p.costMicros])).toEqual([
      ["2025-12-29", 3, 30],
      ["2026-01-05", 4, 40],
      ["2026-01-12", 0, 0],
    ]);
    expect(result.totals.messages).toBe(7);
  });

  it("splits months at their last day, leap day included, with empty months", () => {
    const days = [bucket("2024-01-31", 1, 1), bucket("2024-02-01", 2, 2), bucket("2024-02-29", 3, 3), bucket("2024-04-01", 4, 4)];
    const result = buildAnalytics(days, "2024-01-15", "2024-04-01", "month");
    expect(result.series.map((p) => [p.period, p.messages])).toEqual([
      ["2024-01", 1],
      ["2024-02", 5],
      ["2024-03", 0],
      ["2024-04", 4],
    ]);
  });

  it("keeps development usage apart from billable figures", () => {
    const dev = readDayUsage("2026-05-01", {
      development: { ...figures(3, 0), shadowCostMicros: 900 },
      byModel: { "gpt-4": { development: { ...figures(3, 0), shadowCostMicros: 900 } } },
    });
    const result = buildAnalytics([dev], "2026-05-01", "2026-05-01", "day");
    expect(result.series[0]).toMatchObject({
      messages: 0,
      costMicros: 0,
      development: { messages: 3, totalTokens: 450, shadowCostMicros: 900, shadowCost: 0.0009 },
    });
    expect(result.breakdown.byMode.development).toMatchObject({ messages: 3, costMicros: 0, shadowCostMicros: 900 });
    expect(result.efficiency.developmentShadowCostMicros).toBe(900);
    expect(result.efficiency.costPerMessageMicros).toBeNull();
  });

  it("breaks usage down by model, dearest first, with any model name", () => {
    const days = [bucket("2026-05-01", 1, 10, "gpt-4.1"), bucket("2026-05-02", 1, 30, "__proto__"), bucket("2026-05-03", 2, 10, "gpt-4.1")];
    const { breakdown } = buildAnalytics(days, "2026-05-01", "2026-05-03", "day");
    expect(breakdown.byModel.map((m) => [m.model, m.production.messages, m.production.costMicros])).toEqual([
      ["__proto__", 1, 30],
      ["gpt-4.1", 3, 20],
    ]);
    expect(breakdown.byMode.production.costMicros).toBe(50);
  });

  it("gives each period its cost by model, adding up to the period's cost", () => {
    const days = [bucket("2026-03-02", 2, 500, "gpt-4"), bucket("2026-03-03", 1, 7, "gpt-4.1"), bucket("2026-03-09", 1, 40, "gpt-4")];
    const result = buildAnalytics(days, "2026-03-02", "2026-03-15", "week");
    expect(result.series.map((p) => [p.period, p.byModel])).toEqual([
      [
        "2026-03-02",
        [
          { model: "gpt-4", costMicros: 500, shadowCostMicros: 0 },
          { model: "gpt-4.1", costMicros: 7, shadowCostMicros: 0 },
        ],
      ],
      ["2026-03-09", [{ model: "gpt-4", costMicros: 40, shadowCostMicros: 0 }]],
    ]);
    for (const p of result.series) expect(p.byModel.reduce((sum, m) => sum + m.costMicros, 0)).toBe(p.costMicros);
  });

  it("ignores buckets outside the range", () => {
    const result = buildAnalytics([bucket("2026-04-30", 9, 9), bucket("2026-05-01", 1, 1)], "2026-05-01", "2026-05-01", "month");
    expect(result.series).toEqual([expect.objectContaining({ period: "2026-05", messages: 1 })]);
  });

  it("sums every granularity to the same totals (property)", () => {
    const start = Date.UTC(2023, 0, 1);
    const dayAt = (offset: number) => new Date(start + offset * 86_400_000).toISOString().slice(0, 10);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1200 }),
        fc.integer({ min: 0, max: 365 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 365 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 10_000_000 })), {
          maxLength: 40,
        }),
        (offset, length, traffic) => {
          const from = dayAt(offset);
          const to = dayAt(offset + length);
          const days = daysInRange(from, to);
          const buckets = traffic.filter(([d]) => d < days.length).map(([d, n, micros]) => bucket(days[d], n, micros));
          const expected = buckets.reduce((sum, b) => sum + b.production.costMicros, 0);
          for (const granularity of ["day", "week", "month"] as const) {
            const result = buildAnalytics(buckets, from, to, granularity);
            expect(result.series.reduce((sum, p) => sum + p.costMicros, 0)).toBe(expected);
            expect(result.totals.costMicros).toBe(expected);
          }
          expect(buildAnalytics(buckets, from, to, "day").series).toHaveLength(days.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("efficiency", () => {
  const withProduction = (f: Figures) => ({ ...emptyModes(), production: f });

  it("rounds cost per message half up, in integer micros", () => {
    expect(efficiency(withProduction(figures(2, 5))).costPerMessageMicros).toBe(3); // 2.5 -> 3
    expect(efficiency(withProduction(figures(3, 7))).costPerMessageMicros).toBe(2); // 2.33 -> 2
    expect(efficiency(withProduction(figures(3, 8))).costPerMessageMicros).toBe(3); // 2.67 -> 3
    expect(efficiency(withProduction(figures(4, 10))).costPerMessage).toBe(0.000003); // 2.5 -> 3 micros
  });

  it("rounds cost per 1K tokens half up and gives plain ratios", () => {
    // 1 micro over 2,000 tokens is 0.5 micros per 1K: half up to 1.
    const e = efficiency(withProduction(figures(1, 1, 1_500, 500)));
    expect(e.costPer1kTokensMicros).toBe(1);
    expect(e.tokensPerMessage).toBe(2_000);
    expect(e.completionPromptRatio).toBeCloseTo(1 / 3, 12);
    // 3,000,000 micros over 7,000 tokens: 428,571.43 per 1K -> 428,571.
    expect(efficiency(withProduction(figures(1, 3_000_000, 4_000, 3_000))).costPer1kTokensMicros).toBe(428_571);
  });

  it("gives null where there is nothing to divide by", () => {
    const e = efficiency(emptyModes());
    expect(e).toMatchObject({
      costPerMessageMicros: null,
      costPerMessage: null,
      tokensPerMessage: null,
      completionPromptRatio: null,
      costPer1kTokensMicros: null,
    });
    expect(e.developmentShadowCostMicros).toBe(0);
  });

  it("stays exact on totals far beyond float-safe products", () => {
    const big = figures(3, 9_000_000_000_000, 1, 2);
    expect(efficiency(withProduction(big)).costPer1kTokensMicros).toBe(3_000_000_000_000_000);
  });
});

describe("usageAnalyticsRequestSchema", () => {
  const ok = { agentId: "agent-1", granularity: "week", from: "2025-01-01", to: "2025-12-31" };
  const issue = (data: unknown) => {
    const parsed = usageAnalyticsRequestSchema.safeParse(data);
    return parsed.success ? null : { path: parsed.error.issues[0].path.join("."), message: parsed.error.issues[0].message };
  };

  it("accepts a valid request and a full leap year", () => {
    expect(issue(ok)).toBeNull();
    expect(issue({ ...ok, from: "2024-01-01", to: "2024-12-31" })).toBeNull();
  });

  it.each([
    [{ ...ok, granularity: "year" }, "granularity"],
    [{ ...ok, from: "2025-02-30" }, "from"],
    [{ ...ok, to: "2025/12/31" }, "to"],
    [{ ...ok, from: "2025-06-02", to: "2025-06-01" }, "to"],
    [{ ...ok, from: "2024-01-01", to: "2025-01-01" }, "to"],
    [{ ...ok, extra: 1 }, ""],
  ])("refuses %p naming %s", (data, path) => {
    expect(issue(data)?.path).toBe(path);
  });

  it("says why a long range is refused", () => {
    expect(issue({ ...ok, from: "2024-01-01", to: "2025-01-01" })?.message).toMatch(/at most 366 days, got 367/);
  });
});
