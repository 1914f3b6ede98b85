import { alertMail, alertSms, formatUsd, webhookBody, type AlertContent } from "../../src/domain/alert-message";
import {
  ANOMALY_RULE,
  bucketUsage,
  dailyCostCrossing,
  daysBefore,
  FORECAST_RULE,
  forecastCrossing,
  monthToDate,
  slotStart,
  slotWindow,
  usageAnomaly,
  type DayUsage,
} from "../../src/domain/alerts";
import { alertId } from "../../src/domain/ids";
import { mapWithConcurrency } from "../../src/base/pool";
import { monthForecast } from "../../src/domain/forecast";

const TODAY = "2026-11-26";
const usage = (day: string, totalTokens: number, costMicros = 0): DayUsage => ({ day, totalTokens, costMicros });
/** The 14 days before TODAY with the given token counts, oldest first (0 = no bucket). */
const history = (counts: number[]) =>
  daysBefore(TODAY, counts.length)
    .map((day, i) => usage(day, counts[i]))
    .filter((d) => d.totalTokens > 0);

describe("bucketUsage", () => {
  it("takes billable cost from production and tokens from both modes", () => {
    const data = {
      production: { costMicros: 1_500, totalTokens: 300 },
      development: { costMicros: 0, totalTokens: 200, shadowCostMicros: 99 },
    };
    expect(bucketUsage(TODAY, data)).toEqual({ day: TODAY, costMicros: 1_500, totalTokens: 500 });
  });

  it("reads a bucket with one mode only, or none, as zeros", () => {
    expect(bucketUsage(TODAY, { development: { totalTokens: 7 } })).toEqual({ day: TODAY, costMicros: 0, totalTokens: 7 });
    expect(bucketUsage(TODAY, undefined)).toEqual({ day: TODAY, costMicros: 0, totalTokens: 0 });
  });
});

describe("dailyCostCrossing", () => {
  it.each([
    ["below the threshold", 9_999_999, 10_000_000, false],
    ["exactly at the threshold (not over)", 10_000_000, 10_000_000, false],
    ["one micro over", 10_000_001, 10_000_000, true],
    ["any cost over a threshold of 0", 1, 0, true],
    ["no threshold set", 50_000_000, null, false],
    ["no threshold field", 50_000_000, undefined, false],
  ])("%s", (_label, cost, threshold, fires) => {
    const crossing = dailyCostCrossing(usage(TODAY, 0, cost), threshold);
    expect(crossing !== null).toBe(fires);
    if (fires) expect(crossing).toEqual({ day: TODAY, costMicros: cost, thresholdMicros: threshold });
  });
});

describe("monthForecast", () => {
  it.each([
    // spent, limit, day, days in month -> projected, day the pace reaches the limit (null: no forecast)
    ["nothing spent", 0, 1_000_000, 10, 30, null],
    ["a pace exactly at the limit (not over)", 1_000_000, 3_000_000, 10, 30, null],
    ["one micro over at month end", 1_000_001, 3_000_000, 10, 30, [3_000_003, 30]],
    ["half the limit by day 10 of 30", 1_500_000, 3_000_000, 10, 30, [4_500_000, 20]],
    ["rounded half up: 1 x 31 / 2", 1, 15, 2, 31, [16, 30]],
    ["already over the limit", 5_000_000, 3_000_000, 10, 30, [15_000_000, 6]],
    ["the limit reached on day 1", 10_000_000, 1_000_000, 1, 28, [280_000_000, 1]],
    ["a limit of 0", 1, 0, 15, 30, [2, 1]],
    ["the last day of the month", 3_000_001, 3_000_000, 31, 31, [3_000_001, 31]],
  ])("%s", (_label, spent, limit, day, days, expected) => {
    const forecast = monthForecast(spent, limit, day, days);
    expect(forecast && [forecast.projectedMicros, forecast.limitReachedDay]).toEqual(expected);
  });

  it("is exact beyond float precision", () => {
    // 9e15 x 31 overflows a float's integers; the projection must still be exact.
    expect(monthForecast(9_000_000_000_000_001, 0, 31, 31)?.projectedMicros).toBe(9_000_000_000_000_001);
  });

  it("refuses a day outside the month", () => {
    expect(monthForecast(1_000, 0, 0, 30)).toBeNull();
    expect(monthForecast(1_000, 0, 31, 30)).toBeNull();
  });
});

describe("forecastCrossing (the monthly-forecast rule)", () => {
  const mtd = (day: string, spentMicros: number) => monthToDate(day, spentMicros);

  it("reads where a day is in its month, leap years included", () => {
    expect(monthToDate("2026-12-02", 5)).toEqual({ month: "2026-12", spentMicros: 5, dayOfMonth: 2, daysInMonth: 31 });
    expect(monthToDate("2028-02-29", 0)).toEqual({ month: "2028-02", spentMicros: 0, dayOfMonth: 29, daysInMonth: 29 });
    expect(() => monthToDate("2026-13-01", 0)).toThrow(RangeError);
  });

  it.each([
    ["no monthly limit", "2026-11-20", 9_000_000, null, false],
    ["a pace under the limit", "2026-11-20", 1_000_000, 3_000_000, false],
    ["a pace over the limit from day 3", "2026-11-03", 400_000, 3_000_000, true],
    ["a pace over the limit on day 2, under half the limit spent (too early)", "2026-11-02", 1_400_000, 3_000_000, false],
    ["on day 2 with exactly half the limit spent", "2026-11-02", 1_500_000, 3_000_000, true],
    ["on day 1 with the limit already passed", "2026-11-01", 3_000_001, 3_000_000, true],
  ])("%s", (_label, day, spent, limit, fires) => {
    const figures = forecastCrossing(mtd(day, spent), limit);
    expect(figures !== null).toBe(fires);
  });

  it("reports the month and the figures that crossed", () => {
    expect(forecastCrossing(mtd("2026-11-10", 1_500_000), 3_000_000)).toEqual({
      month: "2026-11",
      monthToDateMicros: 1_500_000,
      projectedMicros: 4_500_000,
      monthlyLimitMicros: 3_000_000,
      limitReachedDay: 20,
      dayOfMonth: 10,
      daysInMonth: 30,
    });
    expect(FORECAST_RULE).toEqual({ minDayOfMonth: 3, earlyShareDivisor: 2 });
  });
});

describe("usageAnomaly", () => {
  const steady = Array(14).fill(20_000);

  it.each([
    ["a spike on a steady agent", 200_000, steady, true],
    ["a steady day", 21_000, steady, false],
    ["exactly 3x the mean (not over)", 60_000, steady, false],
    ["just over 3x the mean", 60_001, steady, true],
    ["a quiet agent: spike below the minimum volume", 9_999, Array(14).fill(100), false],
    ["a quiet agent at the minimum volume", 10_000, Array(14).fill(100), true],
    ["a new agent: no history", 500_000, [], false],
    ["a new agent: two days of history", 500_000, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1_000, 1_000], false],
    ["three days of history is enough", 500_000, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1_000, 1_000, 1_000], true],
    [
      "weekday-only usage judged on active days",
      70_000,
      [20_000, 20_000, 20_000, 20_000, 20_000, 0, 0, 20_000, 20_000, 20_000, 20_000, 20_000, 0, 0],
      true,
    ],
  ])("%s", (_label, todayTokens, counts, fires) => {
    expect(usageAnomaly(usage(TODAY, todayTokens), history(counts)) !== null).toBe(fires);
  });

  it("reports the figures that crossed", () => {
    expect(usageAnomaly(usage(TODAY, 200_000), history([10_000, 20_001, 30_000]))).toEqual({
      day: TODAY,
      todayTokens: 200_000,
      baselineMeanTokens: 20_000, // 60,001 / 3 = 20,000.33, half up
      baselineTotalTokens: 60_001,
      baselineActiveDays: 3,
      multiplier: 3,
      minTodayTokens: ANOMALY_RULE.minTodayTokens,
    });
  });

  it("ignores buckets outside the 14-day window, and today itself", () => {
    const outside = [usage("2026-11-01", 1), usage("2026-11-02", 1), usage("2026-11-03", 1), usage(TODAY, 1)];
    expect(usageAnomaly(usage(TODAY, 500_000), outside)).toBeNull();
  });

  it("takes the minimum volume from the rule (the param)", () => {
    const rule = { ...ANOMALY_RULE, minTodayTokens: 100_000 };
    expect(usageAnomaly(usage(TODAY, 99_999), history(Array(14).fill(1_000)), rule)).toBeNull();
    expect(usageAnomaly(usage(TODAY, 100_000), history(Array(14).fill(1_000)), rule)).not.toBeNull();
  });
});

describe("daysBefore", () => {
  it("lists the previous days oldest first, across a month end", () => {
    expect(daysBefore("2026-12-02", 3)).toEqual(["2026-11-29", "2026-11-30", "2026-12-01"]);
  });

  it("refuses a malformed day", () => {
    expect(() => daysBefore("2026-02-30", 3)).toThrow(RangeError);
  });
});

describe("slots", () => {
  it("names the 15-minute slot of an instant in UTC", () => {
    const at = Date.UTC(2026, 10, 26, 10, 29, 59, 999);
    expect(slotStart(at)).toBe(Date.UTC(2026, 10, 26, 10, 15));
    expect(slotWindow(at)).toBe("20261126T1015Z");
    expect(slotWindow(Date.UTC(2026, 10, 26, 10, 30))).toBe("20261126T1030Z");
  });

  it("gives alert ids without ambiguity: a window never contains the id separator", () => {
    expect(alertId("agent-1", "billing-failure", slotWindow(Date.UTC(2026, 0, 1)))).toBe("agent-1:billing-failure:20260101T0000Z");
  });
});

describe("alert messages", () => {
  const alert: AlertContent = {
    id: "agent-1:daily-cost:2026-11-26",
    agentId: "agent-1",
    kind: "daily-cost",
    window: TODAY,
    figures: { day: TODAY, costMicros: 12_345_678, thresholdMicros: 10_000_000 },
    createdAt: Date.UTC(2026, 10, 26, 10, 15),
  };

  it.each([
    [0, "$0.00"],
    [10_000_000, "$10.00"],
    [12_345_678, "$12.345678"],
    [1_500_000, "$1.50"],
    [123, "$0.000123"],
    [1_234_567_000_000, "$1,234,567.00"],
  ])("formats %p micros as %p exactly", (micros, text) => {
    expect(formatUsd(micros)).toBe(text);
  });

  it("writes the figures into subject and text, and the agent's name into the text only", () => {
    const mail = alertMail(alert, "Support bot");
    expect(mail.subject).toBe("Billing alert: spend $12.345678 on 2026-11-26 is over your $10.00 alert");
    expect(mail.text).toContain("$12.345678");
    expect(mail.text).toContain('Agent: "Support bot" (agent-1).');
    expect(mail.text).toContain(alert.id);
  });

  it("keeps every word of the owner's out of the subject", () => {
    const spam = "WIN $1000 NOW at spam.example";
    for (const kind of ["daily-cost", "usage-anomaly", "billing-failure", "monthly-forecast"] as const) {
      const mail = alertMail({ ...alert, kind, agentId: "FREE-PRIZE-CLICK", figures: { ...alert.figures, failures: 1, charged: 0 } }, spam);
      expect([kind, mail.subject.includes("spam"), mail.subject.includes("FREE-PRIZE")]).toEqual([kind, false, false]);
      expect(mail.text).toContain(spam);
      expect([kind, alertSms({ ...alert, kind, agentId: "FREE-PRIZE-CLICK" }).includes("FREE-PRIZE")]).toEqual([kind, false]);
    }
  });

  it("describes a monthly forecast, before and after the limit is reached", () => {
    const figures = {
      monthToDateMicros: 1_500_000,
      projectedMicros: 4_500_000,
      monthlyLimitMicros: 3_000_000,
      limitReachedDay: 20,
      dayOfMonth: 10,
      daysInMonth: 30,
    };
    const forecast = { ...alert, kind: "monthly-forecast" as const, window: "2026-11", figures };
    const mail = alertMail(forecast, "A");
    expect(mail.subject).toBe("Billing alert: 2026-11 is on pace for $4.50, over your $3.00 monthly limit");
    expect(mail.text).toContain("is $1.50 after 10 of 30 days");
    expect(mail.text).toContain("refused from about day 20");
    const reached = alertMail({ ...forecast, figures: { ...figures, monthToDateMicros: 3_000_000 } }, "A");
    expect(reached.text).toContain("The limit is reached");
  });

  it("writes an SMS of the subject alone, the same for the same alert", () => {
    expect(alertSms(alert)).toBe(
      "Billing alert: spend $12.345678 on 2026-11-26 is over your $10.00 alert. Open the billing console for the agent and the figures.",
    );
    expect(alertSms(alert)).not.toContain("agent-1");
    expect(alertSms({ ...alert })).toBe(alertSms(alert));
  });

  it("escapes the owner's agent name in the HTML", () => {
    const mail = alertMail(alert, '<img src=x onerror="alert(1)">');
    expect(mail.html).not.toContain("<img");
    expect(mail.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("describes anomalies and failures", () => {
    const anomaly = alertMail(
      {
        ...alert,
        kind: "usage-anomaly",
        figures: { todayTokens: 90_000, baselineMeanTokens: 20_000, multiplier: 3, baselineActiveDays: 5 },
      },
      "A",
    );
    expect(anomaly.text).toContain("90,000 tokens");
    const failure = alertMail(
      { ...alert, kind: "billing-failure", window: "20261126T1015Z", figures: { failures: 2, charged: 0 } },
      undefined,
    );
    expect(failure.subject).toBe("Billing alert: 2 failed billing transaction(s)");
  });

  it("builds the same webhook body for the same alert (retries carry the same signature)", () => {
    expect(webhookBody(alert)).toBe(webhookBody({ ...alert }));
    expect(JSON.parse(webhookBody(alert))).toEqual({
      type: "billing.alert",
      id: alert.id,
      kind: "daily-cost",
      agentId: "agent-1",
      window: TODAY,
      figures: alert.figures,
      createdAt: "2026-11-26T10:15:00.000Z",
    });
  });
});

describe("mapWithConcurrency", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});
