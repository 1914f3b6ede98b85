/**
 * The insight rules of the account view (domain/insights.ts), table by table: each rule fires with
 * the saving computed here independently in BigInt (half up as (2n + d) / 2d, not the module's
 * helper), and stays silent just past each of its thresholds.
 */
import type { Insight } from "../../src/contract/account";
import { emptyFigures, type Figures } from "../../src/domain/analytics";
import {
  accountInsights,
  CACHEABLE_SHARE,
  cheaperModel,
  costPerMessageRising,
  DEV_HEAVY_FACTOR,
  developmentHeavy,
  forecastOverLimit,
  LONG_PROMPT_TOKENS,
  LOW_CACHED_SHARE,
  lowCacheShare,
  MIN_MESSAGES,
  MONTH_DAYS,
  perMonth,
  RISING_FACTOR,
  SHORT_ANSWER_TOKENS,
  SMALLER_MODEL,
  usd as insightUsd,
  type AgentFigures,
  type InsightContext,
} from "../../src/domain/insights";
import { PRICE_BOOK, type ModelPrice, type PriceBook } from "../../src/domain/pricing";

// ---------------------------------------------------------------------------------------------
// Independent arithmetic (BigInt only).

/** n / d rounded half up, for n >= 0 and d > 0. */
const halfUp = (n: bigint, d: bigint): bigint => (2n * n + d) / (2n * d);
/** A saving over `days` as a 30-day month. */
const monthly = (saved: bigint, days: number): bigint => halfUp(saved * 30n, BigInt(days));
/** What tokens cost at a price, rounded once half up. */
const priced = (prompt: number, cached: number, completion: number, p: ModelPrice): bigint =>
  halfUp(
    BigInt(prompt - cached) * BigInt(p.inputMicrosPerMTok) +
      BigInt(cached) * BigInt(p.cachedInputMicrosPerMTok) +
      BigInt(completion) * BigInt(p.outputMicrosPerMTok),
    1_000_000n,
  );
/**
 * Micros as dollars and cents; under a cent (but not zero), to the micro with trailing zeros dropped.
 * The fixtures avoid half cents, so any sane rounding agrees (checked).
 */
const usd = (micros: number | bigint): string => {
  if (BigInt(micros) > 0n && BigInt(micros) < 10_000n) return `$${(Number(micros) / 1_000_000).toFixed(6).replace(/0+$/, "")}`;
  if (BigInt(micros) % 10_000n === 5_000n) throw new Error(`fixture error: ${micros} micros is half a cent`);
  const cents = halfUp(BigInt(micros), 10_000n);
  return `$${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
};
const n = (b: bigint) => Number(b);
/** Whole micros as dollars to a hundredth of a cent (per-message figures), to the nearest. */
const usd4 = (micros: number): string => {
  const hundredths = Math.round(micros / 100);
  return `$${Math.floor(hundredths / 10_000)}.${String(hundredths % 10_000).padStart(4, "0")}`;
};

// ---------------------------------------------------------------------------------------------
// Fixtures.

/** The prices the tables below assume; pinned against the book in the first test. */
const PRICES: Record<string, ModelPrice> = {
  "gpt-4": { inputMicrosPerMTok: 30_000_000, cachedInputMicrosPerMTok: 30_000_000, outputMicrosPerMTok: 60_000_000 },
  "gpt-4o": { inputMicrosPerMTok: 2_500_000, cachedInputMicrosPerMTok: 1_250_000, outputMicrosPerMTok: 10_000_000 },
  "gpt-4o-mini": { inputMicrosPerMTok: 150_000, cachedInputMicrosPerMTok: 75_000, outputMicrosPerMTok: 600_000 },
  "gpt-4.1": { inputMicrosPerMTok: 2_000_000, cachedInputMicrosPerMTok: 500_000, outputMicrosPerMTok: 8_000_000 },
  "gpt-4.1-mini": { inputMicrosPerMTok: 400_000, cachedInputMicrosPerMTok: 100_000, outputMicrosPerMTok: 1_600_000 },
  "gpt-5": { inputMicrosPerMTok: 1_250_000, cachedInputMicrosPerMTok: 125_000, outputMicrosPerMTok: 10_000_000 },
  "gpt-5-mini": { inputMicrosPerMTok: 250_000, cachedInputMicrosPerMTok: 25_000, outputMicrosPerMTok: 2_000_000 },
  o3: { inputMicrosPerMTok: 2_000_000, cachedInputMicrosPerMTok: 500_000, outputMicrosPerMTok: 8_000_000 },
  "o4-mini": { inputMicrosPerMTok: 1_100_000, cachedInputMicrosPerMTok: 275_000, outputMicrosPerMTok: 4_400_000 },
};

const fig = (f: Partial<Figures> = {}): Figures => {
  const out = { ...emptyFigures(), ...f };
  if (f.totalTokens === undefined) out.totalTokens = out.promptTokens + out.completionTokens;
  return out;
};

interface AgentSpec extends Partial<Omit<AgentFigures, "totals">> {
  production?: Partial<Figures>;
  development?: Partial<Figures>;
}

const agent = ({ production = {}, development = {}, ...rest }: AgentSpec = {}): AgentFigures => ({
  agentId: "agent_a",
  name: "Support bot",
  model: "gpt-4o",
  price: PRICES["gpt-4o"],
  monthlyLimitMicros: null,
  weeks: null,
  monthToDateMicros: null,
  ...rest,
  totals: { production: fig(production), development: fig(development) },
});

const ctx = (over: Partial<InsightContext> = {}): InsightContext => ({
  rangeDays: 30,
  daysInMonth: 31,
  dayOfMonth: 10,
  book: PRICE_BOOK,
  ...over,
});

const LABEL = 'Agent "Support bot" ';

function expectFired(found: Insight | null): Insight {
  expect(found).not.toBeNull();
  return found as Insight;
}

// ---------------------------------------------------------------------------------------------

describe("the thresholds and prices the tables assume", () => {
  it("pins every threshold", () => {
    expect({
      MIN_MESSAGES,
      SHORT_ANSWER_TOKENS,
      LONG_PROMPT_TOKENS,
      LOW_CACHED_SHARE,
      CACHEABLE_SHARE,
      DEV_HEAVY_FACTOR,
      RISING_FACTOR,
    }).toEqual({
      MIN_MESSAGES: 20,
      SHORT_ANSWER_TOKENS: 200,
      LONG_PROMPT_TOKENS: 1_024,
      LOW_CACHED_SHARE: 0.2,
      CACHEABLE_SHARE: 0.5,
      DEV_HEAVY_FACTOR: 3,
      RISING_FACTOR: 1.25,
    });
    expect(MONTH_DAYS).toBe(30);
  });

  it.each(Object.entries(PRICES))("the book prices %s as assumed", (model, price) => {
    expect(PRICE_BOOK.models[model]).toEqual(price);
  });

  it("suggests only models the book prices", () => {
    for (const [model, sibling] of Object.entries(SMALLER_MODEL)) {
      expect([model, Object.hasOwn(PRICE_BOOK.models, sibling)]).toEqual([model, true]);
    }
  });
});

describe("perMonth", () => {
  it.each([
    [0, 7, 0],
    [7, 30, 7],
    [1, 60, 1], // 0.5 rounds up
    [1, 61, 0], // 0.49..
    [3, 4, 23], // 22.5 rounds up
    [10, 7, 43], // 42.857..
    [100, 1, 3_000],
    [1_000_001, 366, 81_967], // 81,967.2..
    [300_000_000_000_000, 30, 300_000_000_000_000],
  ])("%i micros over %i days is %i a month", (micros, days, expected) => {
    expect(perMonth(micros, days)).toBe(expected);
    expect(perMonth(micros, days)).toBe(n(monthly(BigInt(micros), days)));
  });
});

describe("usd (the amounts in insight messages)", () => {
  it.each<[number, string]>([
    [0, "$0.00"],
    [1, "$0.000001"],
    [4_213, "$0.004213"],
    [4_200, "$0.0042"],
    [5_000, "$0.005"],
    [9_999, "$0.009999"],
    [10_000, "$0.01"],
    [14_999, "$0.01"],
    [15_000, "$0.02"], // half a cent over a cent rounds up
    [390_000, "$0.39"],
    [1_234_567_890, "$1,234.57"],
    [-4_213, "-$0.004213"],
    [-15_000, "-$0.02"],
  ])("%i micros is %s", (micros, expected) => {
    expect(insightUsd(micros)).toBe(expected);
  });
});

describe("cheaperModel", () => {
  // [case, model, suggested sibling, messages, prompt tokens, cached tokens, completion tokens, days in range]
  const fires: [string, string, string, number, number, number, number, number][] = [
    ["gpt-4o over a month", "gpt-4o", "gpt-4o-mini", 40, 20_000, 4_000, 6_001, 30],
    ["exactly MIN_MESSAGES and SHORT_ANSWER_TOKENS, saving scaled half up", "gpt-4.1", "gpt-4.1-mini", 20, 30_001, 1_001, 4_000, 4],
    ["gpt-4 (no cache discount) over a week", "gpt-4", "gpt-4o-mini", 25, 12_345, 0, 3_210, 7],
    ["gpt-5 over one day, mostly cached", "gpt-5", "gpt-5-mini", 1_000, 800_000, 600_000, 150_001, 1],
    ["o3 over 366 days", "o3", "o4-mini", 5_000, 9_000_000, 100_000, 999_999, 366],
    ["a sibling cost under a cent", "gpt-4", "gpt-4o-mini", 25, 5_000, 0, 4_000, 30],
  ];

  it.each(fires)("fires: %s", (_case, model, sibling, messages, prompt, cached, completion, days) => {
    const cost = priced(prompt, cached, completion, PRICES[model]);
    const alternative = priced(prompt, cached, completion, PRICES[sibling]);
    const saving = monthly(cost - alternative, days);
    const avg = n(halfUp(BigInt(completion), BigInt(messages)));
    const a = agent({
      model,
      price: PRICES[model],
      production: { messages, promptTokens: prompt, cachedTokens: cached, completionTokens: completion, costMicros: n(cost) },
    });

    const found = expectFired(cheaperModel(a, ctx({ rangeDays: days })));

    expect(found.kind).toBe("cheaper-model");
    expect(found.agentId).toBe("agent_a");
    expect(found.estimatedSavingsMicros).toBe(n(saving));
    expect(found.figures).toEqual({
      model,
      suggestedModel: sibling,
      avgCompletionTokens: avg,
      costMicros: n(cost),
      alternativeCostMicros: n(alternative),
    });
    for (const part of [
      LABEL,
      `${avg} tokens`,
      ` ${model};`,
      ` ${sibling} `,
      usd(alternative),
      usd(cost),
      `about ${usd(saving)} a month`,
    ]) {
      expect(found.message).toContain(part);
    }
  });

  it("states a sibling cost under a cent to the micro, never as $0.00", () => {
    const a = agent({
      model: "gpt-4",
      price: PRICES["gpt-4"],
      production: { messages: 25, promptTokens: 5_000, completionTokens: 4_000, costMicros: 390_000 },
    });
    const found = expectFired(cheaperModel(a, ctx()));
    expect(found.figures).toMatchObject({ costMicros: 390_000, alternativeCostMicros: 3_150 });
    expect(found.message).toContain("would have cost $0.00315 instead of $0.39 (about $0.39 a month less)");
  });

  it("the half-up row really is a tie: 72,401 micros over 4 days is 543,007.5", () => {
    const cost = priced(30_001, 1_001, 4_000, PRICES["gpt-4.1"]);
    const alternative = priced(30_001, 1_001, 4_000, PRICES["gpt-4.1-mini"]);
    expect([cost, alternative, ((cost - alternative) * 30n) % 4n]).toEqual([90_501n, 18_100n, 2n]);
    expect(monthly(cost - alternative, 4)).toBe(543_008n);
  });

  const base = { messages: 40, promptTokens: 20_000, cachedTokens: 4_000, completionTokens: 6_000, costMicros: 105_000 };
  const bookWithoutMini: PriceBook = {
    ...PRICE_BOOK,
    models: Object.fromEntries(Object.entries(PRICE_BOOK.models).filter(([m]) => m !== "gpt-4o-mini")),
  };

  it("the base of the silent cases fires", () => {
    expect(cheaperModel(agent({ production: base }), ctx())?.estimatedSavingsMicros).toBe(105_000 - 6_300);
    expect(Object.keys(bookWithoutMini.models)).toHaveLength(Object.keys(PRICE_BOOK.models).length - 1);
    expect(bookWithoutMini.models["gpt-4o-mini"]).toBeUndefined();
  });

  it.each<[string, AgentFigures, InsightContext]>([
    ["MIN_MESSAGES - 1 messages", agent({ production: { ...base, messages: 19, completionTokens: 3_800 } }), ctx()],
    ["answers just above SHORT_ANSWER_TOKENS on average", agent({ production: { ...base, messages: 20, completionTokens: 4_001 } }), ctx()],
    ["zero messages", agent({ production: {} }), ctx()],
    ["a model with no smaller sibling (gpt-4o-mini)", agent({ model: "gpt-4o-mini", production: base }), ctx()],
    ["a model with no smaller sibling (gpt-4.1-nano)", agent({ model: "gpt-4.1-nano", production: base }), ctx()],
    ["a model with no smaller sibling (gpt-5-nano)", agent({ model: "gpt-5-nano", production: base }), ctx()],
    ["an unknown, unpriced model", agent({ model: "my-fine-tune", price: null, production: base }), ctx()],
    ["no model", agent({ model: null, price: null, production: base }), ctx()],
    ['a model named "constructor"', agent({ model: "constructor", price: null, production: base }), ctx()],
    ['a model named "__proto__"', agent({ model: "__proto__", price: null, production: base }), ctx()],
    ['a model named "toString"', agent({ model: "toString", price: null, production: base }), ctx()],
    ["a sibling the book does not price", agent({ production: base }), ctx({ book: bookWithoutMini })],
    ["billed exactly what the sibling would cost", agent({ production: { ...base, costMicros: 6_300 } }), ctx()],
    ["billed less than the sibling would cost", agent({ production: { ...base, costMicros: 6_299 } }), ctx()],
  ])("does not fire: %s", (_case, a, c) => {
    expect(cheaperModel(a, c)).toBeNull();
  });
});

describe("lowCacheShare", () => {
  const custom: ModelPrice = { inputMicrosPerMTok: 3_000_000, cachedInputMicrosPerMTok: 1_000_000, outputMicrosPerMTok: 0 };
  // [case, price, messages, prompt tokens, cached tokens, days in range]
  const fires: [string, ModelPrice, number, number, number, number][] = [
    ["exactly LONG_PROMPT_TOKENS a message, nothing cached", PRICES["gpt-4.1"], 20, 20_480, 0, 30],
    ["a cached share just below LOW_CACHED_SHARE", PRICES["gpt-4o"], 50, 150_001, 30_000, 7],
    ["an odd prompt total and a saving of a fraction of a micro", PRICES["gpt-5"], 30, 40_001, 1_001, 10],
    ["the agent's own price", custom, 100, 500_000, 10_000, 14],
  ];

  it.each(fires)("fires: %s", (_case, price, messages, prompt, cached, days) => {
    const moreCached = BigInt(prompt) / 2n - BigInt(cached);
    const saved = halfUp(moreCached * BigInt(price.inputMicrosPerMTok - price.cachedInputMicrosPerMTok), 1_000_000n);
    const saving = monthly(saved, days);
    const avg = n(halfUp(BigInt(prompt), BigInt(messages)));
    const percent = n(halfUp(BigInt(cached) * 100n, BigInt(prompt)));
    const a = agent({
      price,
      production: { messages, promptTokens: prompt, cachedTokens: cached, completionTokens: messages * 50, costMicros: 1 },
    });

    const found = expectFired(lowCacheShare(a, ctx({ rangeDays: days })));

    expect(found.kind).toBe("low-cache-share");
    expect(found.agentId).toBe("agent_a");
    expect(found.estimatedSavingsMicros).toBe(n(saving));
    expect(found.figures).toEqual({ avgPromptTokens: avg, cachedShare: cached / prompt, promptTokens: prompt, cachedTokens: cached });
    for (const part of [LABEL, `sends ${avg} prompt tokens a message`, `${percent}% of them`, `about ${usd(saving)} a month`]) {
      expect(found.message).toContain(part);
    }
  });

  it("the fixtures exercise the rounding: 18,999 tokens at 1.125 micros is 21,373.875", () => {
    expect(halfUp(18_999n * 1_125_000n, 1_000_000n)).toBe(21_374n);
    expect(
      lowCacheShare(
        agent({ price: PRICES["gpt-5"], production: { messages: 30, promptTokens: 40_001, cachedTokens: 1_001 } }),
        ctx({ rangeDays: 10 }),
      ),
    ).toMatchObject({ estimatedSavingsMicros: 64_122 });
  });

  const base = { messages: 20, promptTokens: 20_480, cachedTokens: 0, completionTokens: 1_000, costMicros: 50_000 };

  it("the base of the silent cases fires", () => {
    expect(lowCacheShare(agent({ price: PRICES["gpt-4.1"], production: base }), ctx())?.estimatedSavingsMicros).toBe(15_360);
  });

  it.each<[string, AgentFigures]>([
    ["MIN_MESSAGES - 1 messages", agent({ price: PRICES["gpt-4.1"], production: { ...base, messages: 19, promptTokens: 19 * 1_024 } })],
    [
      "prompts just below LONG_PROMPT_TOKENS on average",
      agent({ price: PRICES["gpt-4.1"], production: { ...base, promptTokens: 20_479 } }),
    ],
    ["a cached share of exactly LOW_CACHED_SHARE", agent({ price: PRICES["gpt-4.1"], production: { ...base, cachedTokens: 4_096 } })],
    ["an unpriced model", agent({ model: "my-fine-tune", price: null, production: base })],
    ["a price with no cache discount (gpt-4)", agent({ model: "gpt-4", price: PRICES["gpt-4"], production: base })],
    [
      "a price whose cached input is dearer",
      agent({ price: { inputMicrosPerMTok: 1_000_000, cachedInputMicrosPerMTok: 2_000_000, outputMicrosPerMTok: 0 }, production: base }),
    ],
    [
      "a saving that rounds to zero micros",
      agent({ price: { inputMicrosPerMTok: 2, cachedInputMicrosPerMTok: 1, outputMicrosPerMTok: 0 }, production: base }),
    ],
    ["zero messages", agent({ price: PRICES["gpt-4.1"], production: {} })],
  ])("does not fire: %s", (_case, a) => {
    expect(lowCacheShare(a, ctx())).toBeNull();
  });
});

describe("developmentHeavy", () => {
  // [case, dev messages, dev shadow cost, production messages, production cost, how the message compares them]
  it.each<[string, number, number, number, number, string]>([
    ["exactly DEV_HEAVY_FACTOR times production", 20, 300_000, 10, 100_000, "3.0× its production cost"],
    ["no production use", 50, 1_234_567, 0, 0, "with no production use"],
    ["6.7 times production", 25, 1_000_000, 40, 150_000, "6.7× its production cost"],
  ])("fires: %s", (_case, devMessages, shadow, messages, cost, times) => {
    const a = agent({ production: { messages, costMicros: cost }, development: { messages: devMessages, shadowCostMicros: shadow } });

    const found = expectFired(developmentHeavy(a));

    expect(found.kind).toBe("development-heavy");
    expect(found.agentId).toBe("agent_a");
    expect(found).not.toHaveProperty("estimatedSavingsMicros");
    expect(found.figures).toEqual({ devMessages, devShadowCostMicros: shadow, productionMessages: messages, costMicros: cost });
    for (const part of [LABEL, `ran ${devMessages} development messages worth ${usd(shadow)} at list price, ${times}.`]) {
      expect(found.message).toContain(part);
    }
  });

  it.each<[string, Partial<Figures>, Partial<Figures>]>([
    ["MIN_MESSAGES - 1 development messages", { messages: 10, costMicros: 100_000 }, { messages: 19, shadowCostMicros: 300_000 }],
    ["just below DEV_HEAVY_FACTOR times production", { messages: 10, costMicros: 100_000 }, { messages: 20, shadowCostMicros: 299_999 }],
    ["development worth nothing, no production", {}, { messages: 30, shadowCostMicros: 0 }],
    ["zero messages", {}, {}],
    ["production only", { messages: 500, costMicros: 9_000_000 }, {}],
  ])("does not fire: %s", (_case, production, development) => {
    expect(developmentHeavy(agent({ production, development }))).toBeNull();
  });
});

describe("costPerMessageRising", () => {
  const weeks = (bm: number, bc: number, lm: number, lc: number): AgentFigures["weeks"] => ({
    before: fig({ messages: bm, costMicros: bc }),
    last: fig({ messages: lm, costMicros: lc }),
  });

  // [case, messages before, cost before, messages last week, cost last week]
  it.each<[string, number, number, number, number]>([
    ["exactly RISING_FACTOR (1.25)", 20, 2_400_000, 20, 3_000_000],
    ["doubled on fewer messages", 40, 1_200_000, 30, 1_800_000],
    ["the earlier rate lands on half a micro (rounded up)", 20, 3_000_010, 21, 4_200_000],
    ["the earlier rate is not a whole micro", 21, 2_100_010, 20, 3_000_000],
  ])("fires: %s", (_case, bm, bc, lm, lc) => {
    const atEarlierRate = halfUp(BigInt(lm) * BigInt(bc), BigInt(bm));
    const saving = monthly(BigInt(lc) - atEarlierRate, 7);
    const cpmLast = n(halfUp(BigInt(lc), BigInt(lm)));
    const cpmBefore = n(halfUp(BigInt(bc), BigInt(bm)));
    const percent = n(halfUp(BigInt(lc) * BigInt(bm) * 100n, BigInt(bc) * BigInt(lm))) - 100;

    const found = expectFired(costPerMessageRising(agent({ weeks: weeks(bm, bc, lm, lc) })));

    expect(found.kind).toBe("cost-per-message-rising");
    expect(found.agentId).toBe("agent_a");
    expect(found.estimatedSavingsMicros).toBe(n(saving));
    expect(found.figures).toEqual({
      costPerMessageMicros: cpmLast,
      previousCostPerMessageMicros: cpmBefore,
      messages: lm,
      previousMessages: bm,
    });
    for (const part of [
      LABEL,
      `cost ${usd4(cpmLast)} a message in the last 7 days`,
      `up from ${usd4(cpmBefore)} the 7 days before`,
      `(${percent}% more)`,
      `about ${usd(saving)} less`,
    ]) {
      expect(found.message).toContain(part);
    }
  });

  it("the half-micro row really is a tie: 21 × 3,000,010 / 20 = 3,150,010.5", () => {
    expect((21n * 3_000_010n) % 20n).toBe(10n);
    expect(costPerMessageRising(agent({ weeks: weeks(20, 3_000_010, 21, 4_200_000) }))?.estimatedSavingsMicros).toBe(
      n(monthly(4_200_000n - 3_150_011n, 7)),
    );
  });

  it.each<[string, AgentFigures["weeks"]]>([
    ["no weeks (a range under 14 days)", null],
    ["MIN_MESSAGES - 1 messages the week before", weeks(19, 2_280_000, 20, 3_000_000)],
    ["MIN_MESSAGES - 1 messages last week", weeks(20, 2_400_000, 19, 2_850_000)],
    ["nothing billed the week before", weeks(20, 0, 20, 3_000_000)],
    ["just below RISING_FACTOR", weeks(20, 2_400_000, 20, 2_999_999)],
    ["falling", weeks(20, 3_000_000, 20, 2_400_000)],
    ["zero messages", weeks(0, 0, 0, 0)],
  ])("does not fire: %s", (_case, w) => {
    expect(costPerMessageRising(agent({ weeks: w }))).toBeNull();
  });

  // Per-message costs of modern models are fractions of a cent: gpt-4o at 1,000 prompt and 200
  // completion tokens is 4,500 micros. The message must still tell the two rates apart.
  it("states per-message costs below a cent as different amounts", () => {
    const found = expectFired(costPerMessageRising(agent({ weeks: weeks(20, 90_000, 20, 120_000) })));
    const stated = /cost (\S+) a message in the last 7 days, up from (\S+) the 7 days before/.exec(found.message);
    expect(stated).not.toBeNull();
    expect(stated![1]).not.toBe(stated![2]);
    expect(stated![2]).not.toBe("$0.00");
  });

  // The percentage must be the rise that made the rule fire, not one of rounded rates.
  it.each<[string, number, number, number, number, number]>([
    ["a twentieth of a micro a message, doubled", 20, 1, 20, 2, 100],
    ["half a micro a message, doubled", 20, 10, 20, 20, 100],
    ["48 micros a message, up 110%", 21, 1_000, 20, 2_000, 110],
  ])("states the rise from the exact rates: %s", (_case, bm, bc, lm, lc, percent) => {
    const found = expectFired(costPerMessageRising(agent({ weeks: weeks(bm, bc, lm, lc) })));
    expect(found.message).toContain(`(${percent}% more)`);
  });
});

describe("forecastOverLimit", () => {
  /** The first day of the month (1-based) on which the pace reaches the limit. */
  const reachedDay = (spent: number, limit: number, dim: number, dom: number): number => {
    for (let d = 1; d <= dim; d++) if (BigInt(spent) * BigInt(d) >= BigInt(limit) * BigInt(dom)) return d;
    return dim;
  };

  // [case, spent this month, monthly limit, days in month, day of month]
  it.each<[string, number, number, number, number]>([
    ["half the limit by day 10 of 30", 1_000_000, 2_000_000, 30, 10],
    ["the limit reached exactly", 5_000_000, 5_000_000, 31, 15],
    ["past the limit", 6_000_000, 5_000_000, 31, 15],
    ["a projection one micro over the limit", 1_000_001, 3_100_002, 31, 10],
    ["the first day of a leap February", 10_000, 250_000, 29, 1],
    ["the last day of February", 3_000_000, 2_999_999, 28, 28],
  ])("fires: %s", (_case, spent, limit, dim, dom) => {
    const projected = n(halfUp(BigInt(spent) * BigInt(dim), BigInt(dom)));
    const day = reachedDay(spent, limit, dim, dom);
    const when = spent >= limit ? "it has reached it" : `at this pace messages will be refused from about day ${day}`;

    const found = expectFired(
      forecastOverLimit(agent({ monthlyLimitMicros: limit, monthToDateMicros: spent }), ctx({ daysInMonth: dim, dayOfMonth: dom })),
    );

    expect(found.kind).toBe("forecast-over-limit");
    expect(found.agentId).toBe("agent_a");
    expect(found).not.toHaveProperty("estimatedSavingsMicros");
    expect(found.figures).toEqual({
      monthToDateMicros: spent,
      projectedMicros: projected,
      monthlyLimitMicros: limit,
      limitReachedDay: day,
    });
    for (const part of [
      LABEL,
      `has spent ${usd(spent)} this month`,
      `would reach ${usd(projected)} by month end`,
      `monthly limit of ${usd(limit)}: ${when}.`,
    ]) {
      expect(found.message).toContain(part);
    }
  });

  it("rounds a half cent up, in integers: $1.005 is $1.01 (a float's toFixed says $1.00)", () => {
    const found = expectFired(
      forecastOverLimit(agent({ monthlyLimitMicros: 2_000_000, monthToDateMicros: 1_005_000 }), ctx({ daysInMonth: 30, dayOfMonth: 15 })),
    );
    expect(found.message).toContain("has spent $1.01 this month");
    expect(found.message).toContain("would reach $2.01 by month end");
  });

  it("the one-micro row is just over: 1,000,001 × 31 / 10 = 3,100,003.1", () => {
    expect(halfUp(1_000_001n * 31n, 10n)).toBe(3_100_003n);
    expect(reachedDay(1_000_001, 3_100_002, 31, 10)).toBe(31);
  });

  it.each<[string, number | null, number | null, number, number]>([
    ["a limit exactly equal to the projection", 3_000_000, 1_000_000, 30, 10],
    ["a projection that rounds down onto the limit (10.33 -> 10)", 10, 1, 31, 3],
    ["no monthly limit", null, 1_000_000, 31, 10],
    ["a range that does not cover the month to date", 1_000, null, 31, 10],
    ["nothing spent this month", 1_000, 0, 31, 10],
  ])("does not fire: %s", (_case, limit, spent, dim, dom) => {
    expect(
      forecastOverLimit(agent({ monthlyLimitMicros: limit, monthToDateMicros: spent }), ctx({ daysInMonth: dim, dayOfMonth: dom })),
    ).toBeNull();
  });

  // A limit of $0 is legal (settings accept 0): the pace reaches it on day 1, there is no day 0.
  it("names a real day of the month for a limit of zero", () => {
    const found = expectFired(forecastOverLimit(agent({ monthlyLimitMicros: 0, monthToDateMicros: 1 }), ctx()));
    expect(found.message).toContain("it has reached it");
    expect(found.figures.limitReachedDay).toBe(1);
  });
});

describe("an agent that no longer has a name", () => {
  const gone = { agentId: "agent_gone", name: null };
  it.each<[string, () => Insight | null]>([
    [
      "cheaperModel",
      () =>
        cheaperModel(
          agent({
            ...gone,
            production: { messages: 40, promptTokens: 20_000, cachedTokens: 4_000, completionTokens: 6_000, costMicros: 105_000 },
          }),
          ctx(),
        ),
    ],
    [
      "lowCacheShare",
      () => lowCacheShare(agent({ ...gone, price: PRICES["gpt-4.1"], production: { messages: 20, promptTokens: 20_480 } }), ctx()),
    ],
    ["developmentHeavy", () => developmentHeavy(agent({ ...gone, development: { messages: 20, shadowCostMicros: 1 } }))],
    [
      "costPerMessageRising",
      () =>
        costPerMessageRising(
          agent({ ...gone, weeks: { before: fig({ messages: 20, costMicros: 20_000 }), last: fig({ messages: 20, costMicros: 30_000 }) } }),
        ),
    ],
    ["forecastOverLimit", () => forecastOverLimit(agent({ ...gone, monthlyLimitMicros: 1_000, monthToDateMicros: 1_000 }), ctx())],
  ])("%s names it by its id", (_rule, run) => {
    const found = expectFired(run());
    expect(found.agentId).toBe("agent_gone");
    expect(found.message.startsWith("Agent agent_gone ")).toBe(true);
    expect(found.message).not.toContain('"');
    expect(found.message).not.toContain("null");
  });
});

describe("accountInsights", () => {
  const c = ctx({ rangeDays: 30, daysInMonth: 31, dayOfMonth: 10 });
  /** Fires forecast-over-limit only (no usage in the range). */
  const forecast = (agentId: string) => agent({ agentId, monthlyLimitMicros: 1_000_000, monthToDateMicros: 500_000 });
  /** Fires cheaper-model and low-cache-share with the same saving: 12,800 micros over 30 days. */
  const twoEqual = (agentId: string) =>
    agent({
      agentId,
      production: { messages: 20, promptTokens: 20_480, cachedTokens: 0, completionTokens: 2_000, costMicros: 4_272 + 12_800 },
    });
  /** Fires cheaper-model only, saving 98,700. */
  const bigSaving = agent({
    agentId: "y",
    production: { messages: 40, promptTokens: 20_000, cachedTokens: 4_000, completionTokens: 6_000, costMicros: 105_000 },
  });
  /** Fires cost-per-message-rising only, saving perMonth(600, 7) = 2,571. */
  const rising = agent({
    agentId: "c",
    model: null,
    price: null,
    weeks: { before: fig({ messages: 20, costMicros: 2_400 }), last: fig({ messages: 20, costMicros: 3_000 }) },
  });
  /** Fires development-heavy only (no saving). */
  const devHeavy = agent({ agentId: "a", development: { messages: 20, shadowCostMicros: 300 } });

  const agents = [devHeavy, twoEqual("b2"), forecast("z"), rising, bigSaving, twoEqual("b1"), forecast("m")];
  const expected: [string, string, number | undefined][] = [
    ["forecast-over-limit", "m", undefined],
    ["forecast-over-limit", "z", undefined],
    ["cheaper-model", "y", 98_700],
    ["cheaper-model", "b1", 12_800],
    ["cheaper-model", "b2", 12_800],
    ["low-cache-share", "b1", 12_800],
    ["low-cache-share", "b2", 12_800],
    ["cost-per-message-rising", "c", 2_571],
    ["development-heavy", "a", undefined],
  ];
  const summary = (found: Insight[]) => found.map((i) => [i.kind, i.agentId, i.estimatedSavingsMicros]);

  it("orders forecasts first, then saving (largest first), then kind, then agent id", () => {
    expect(summary(accountInsights(agents, c, 100))).toEqual(expected);
  });

  it("does not depend on the order of the agents", () => {
    expect(summary(accountInsights([...agents].reverse(), c, 100))).toEqual(expected);
  });

  it.each([0, 1, 4, 9, 10])("returns at most max = %i", (max) => {
    expect(summary(accountInsights(agents, c, max))).toEqual(expected.slice(0, max));
  });

  it("returns nothing for agents with nothing to say", () => {
    expect(accountInsights([agent(), agent({ agentId: "b", production: { messages: 5, costMicros: 10 } })], c, 20)).toEqual([]);
  });

  it("returns every rule of one agent, with the same figures as the rules alone", () => {
    const all = agent({
      monthlyLimitMicros: 1_000_000,
      monthToDateMicros: 500_000,
      production: { messages: 20, promptTokens: 20_480, cachedTokens: 0, completionTokens: 2_000, costMicros: 17_072 },
      development: { messages: 20, shadowCostMicros: 60_000 },
      weeks: { before: fig({ messages: 20, costMicros: 2_400 }), last: fig({ messages: 20, costMicros: 3_000 }) },
    });
    const found = accountInsights([all], c, 20);
    expect(found.map((i) => i.kind)).toEqual([
      "forecast-over-limit",
      "cheaper-model",
      "low-cache-share",
      "cost-per-message-rising",
      "development-heavy",
    ]);
    expect(found).toEqual([
      forecastOverLimit(all, c),
      cheaperModel(all, c),
      lowCacheShare(all, c),
      costPerMessageRising(all),
      developmentHeavy(all),
    ]);
  });
});
