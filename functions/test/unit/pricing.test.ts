import fc from "fast-check";
import {
  DEFAULT_MODEL,
  LIBRARY_MODELS,
  type ModelPrice,
  PRICE_BOOK,
  type PriceBook,
  costMicros,
  libraryModelPrice,
  resolvePrice,
  worstCaseCostMicros,
} from "../../src/domain/pricing";
import { isValidDay } from "../../src/base/periods";
import { MAX_TOKEN_COUNT, type TokenUsage } from "../../src/domain/usage";

const GPT4: ModelPrice = mtokPrice(30_000_000, 30_000_000, 60_000_000);

const priceArb = fc
  .tuple(fc.nat(200_000_000), fc.nat(200_000_000), fc.nat(200_000_000))
  .map(([input, cached, output]) => mtokPrice(input, cached, output));

function mtokPrice(input: number, cached: number, output: number): ModelPrice {
  return { inputMicrosPerMTok: input, cachedInputMicrosPerMTok: cached, outputMicrosPerMTok: output };
}

function usage(prompt: number, completion: number, cached = 0): TokenUsage {
  return { prompt, completion, total: prompt + completion, cached };
}

function flat(micros: number): ModelPrice {
  return mtokPrice(micros, micros, micros);
}

/** Independent reference: round half up as floor((2n + d) / 2d), every class in BigInt. */
function referenceCost(u: TokenUsage, p: ModelPrice): number {
  const n =
    BigInt(u.prompt - u.cached) * BigInt(p.inputMicrosPerMTok) +
    BigInt(u.cached) * BigInt(p.cachedInputMicrosPerMTok) +
    BigInt(u.completion) * BigInt(p.outputMicrosPerMTok);
  return Number((2n * n + 1_000_000n) / 2_000_000n);
}

describe("PRICE_BOOK", () => {
  it("keeps the seed's gpt-4 price as the default model's", () => {
    expect(DEFAULT_MODEL).toBe("gpt-4");
    expect(PRICE_BOOK.models["gpt-4"]).toEqual(GPT4);
  });

  it("is versioned and dated", () => {
    expect(isValidDay(PRICE_BOOK.effectiveFrom)).toBe(true);
    expect(PRICE_BOOK.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(PRICE_BOOK.version.startsWith(PRICE_BOOK.effectiveFrom)).toBe(true);
  });

  it("cannot be changed at run time", () => {
    expect(Object.isFrozen(PRICE_BOOK)).toBe(true);
    expect(Object.isFrozen(PRICE_BOOK.models)).toBe(true);
    expect(Object.isFrozen(PRICE_BOOK.models["gpt-4"])).toBe(true);
  });

  it.each(Object.entries(PRICE_BOOK.models))("%s is priced in non-negative integer micros", (_model, price) => {
    for (const value of [price.inputMicrosPerMTok, price.cachedInputMicrosPerMTok, price.outputMicrosPerMTok]) {
      expect(Number.isSafeInteger(value)).toBe(true);
      expect(value).toBeGreaterThan(0);
    }
    expect(price.cachedInputMicrosPerMTok).toBeLessThanOrEqual(price.inputMicrosPerMTok);
  });

  // Pinned figures: a library upgrade that moves any of them fails here, and must bump the version.
  it.each<[string, number, number, number]>([
    ["gpt-4", 30_000_000, 30_000_000, 60_000_000],
    ["gpt-4-turbo", 10_000_000, 10_000_000, 30_000_000],
    ["gpt-3.5-turbo", 500_000, 500_000, 1_500_000],
    ["gpt-4o", 2_500_000, 1_250_000, 10_000_000],
    ["gpt-4o-mini", 150_000, 75_000, 600_000],
    ["gpt-4.1", 2_000_000, 500_000, 8_000_000],
    ["gpt-4.1-mini", 400_000, 100_000, 1_600_000],
    ["gpt-4.1-nano", 100_000, 25_000, 400_000],
    ["gpt-5", 1_250_000, 125_000, 10_000_000],
    ["gpt-5-mini", 250_000, 25_000, 2_000_000],
    ["gpt-5-nano", 50_000, 5_000, 400_000],
    ["gpt-5.1", 1_250_000, 125_000, 10_000_000],
    ["gpt-5.2", 1_750_000, 175_000, 14_000_000],
    ["o1", 15_000_000, 7_500_000, 60_000_000],
    ["o3", 2_000_000, 500_000, 8_000_000],
    ["o3-mini", 1_100_000, 550_000, 4_400_000],
    ["o4-mini", 1_100_000, 275_000, 4_400_000],
  ])("%s: input %p, cached %p, output %p micros per MTok", (model, input, cached, output) => {
    expect(PRICE_BOOK.models[model]).toEqual(mtokPrice(input, cached, output));
  });

  it("holds exactly the pinned models", () => {
    expect(Object.keys(PRICE_BOOK.models).sort()).toEqual([...LIBRARY_MODELS, "gpt-4"].sort());
    expect(Object.keys(PRICE_BOOK.models)).toHaveLength(17);
  });
});

describe("libraryModelPrice", () => {
  const at = new Date("2026-11-01T00:00:00Z");

  it("bills cached input at the input price when the library has no cache price", () => {
    expect(libraryModelPrice("gpt-4-turbo", at)).toEqual(mtokPrice(10_000_000, 10_000_000, 30_000_000));
  });

  it("takes a date-dependent price as it stood at the given date (o3's June 2025 cut)", () => {
    expect(libraryModelPrice("o3", new Date("2025-06-01T00:00:00Z"))?.inputMicrosPerMTok).toBe(10_000_000);
    expect(libraryModelPrice("o3", new Date("2025-06-10T00:00:00Z"))?.inputMicrosPerMTok).toBe(2_000_000);
  });

  it("takes the base tier of a tiered price", () => {
    expect(libraryModelPrice("gpt-5.4", at)).toEqual(mtokPrice(2_500_000, 250_000, 15_000_000));
  });

  it.each(["no-such-model", "gpt-4o-2024-08-06", ""])("does not price %p (unknown, or only an alias of another id)", (model) => {
    expect(libraryModelPrice(model, at)).toBeNull();
  });
});

describe("resolvePrice", () => {
  const agentPrice = mtokPrice(1_000_000, 500_000, 2_000_000);

  it("uses the book's price and version", () => {
    expect(resolvePrice("gpt-4")).toEqual({ price: GPT4, priceVersion: PRICE_BOOK.version });
  });

  it("lets the agent's own price win over the book, recorded with the book version and the price itself", () => {
    expect(resolvePrice("gpt-4", agentPrice)).toEqual({
      price: agentPrice,
      priceVersion: `agent:${PRICE_BOOK.version}:1000000/500000/2000000`,
    });
  });

  it("records a different priceVersion for each agent price", () => {
    const other = mtokPrice(1_000_000, 500_000, 2_000_001);
    expect(resolvePrice("gpt-4", other)?.priceVersion).not.toBe(resolvePrice("gpt-4", agentPrice)?.priceVersion);
  });

  it("prices an unpriced model with the agent's own price", () => {
    expect(resolvePrice("my-fine-tune", agentPrice)?.price).toEqual(agentPrice);
  });

  it.each([null, undefined])("falls back to the book when the agent price is %p", (none) => {
    expect(resolvePrice("gpt-4o", none)?.price).toEqual(PRICE_BOOK.models["gpt-4o"]);
  });

  it.each(["unpriced-model", "GPT-4", "constructor", "__proto__", "toString", "hasOwnProperty"])(
    "returns null for %p, never $0",
    (model) => {
      expect(resolvePrice(model)).toBeNull();
    },
  );

  it("reads the book it is given", () => {
    const book: PriceBook = { version: "test.7", effectiveFrom: "2030-01-01", models: { tiny: flat(1) } };
    expect(resolvePrice("tiny", null, book)).toEqual({ price: flat(1), priceVersion: "test.7" });
    expect(resolvePrice("gpt-4", null, book)).toBeNull();
    expect(resolvePrice("gpt-4", agentPrice, book)?.priceVersion).toBe("agent:test.7:1000000/500000/2000000");
  });

  it.each([
    { ...agentPrice, inputMicrosPerMTok: 1.5 },
    { ...agentPrice, outputMicrosPerMTok: -1 },
    { ...agentPrice, cachedInputMicrosPerMTok: Number.NaN },
  ])("refuses an agent price that is not integer micros: %p", (bad) => {
    expect(() => resolvePrice("gpt-4", bad)).toThrow(RangeError);
  });
});

describe("costMicros", () => {
  it.each<[number, number, number]>([
    [0, 0, 0],
    [1, 0, 30],
    [0, 1, 60],
    [1000, 1000, 90_000],
    [123, 456, 31_050],
    [1_000_000, 0, 30_000_000],
    [0, 1_000_000, 60_000_000],
  ])("gpt-4: %p prompt + %p completion tokens cost %p micros", (prompt, completion, expected) => {
    expect(costMicros(usage(prompt, completion), PRICE_BOOK.models["gpt-4"])).toBe(expected);
  });

  it.each<[string, TokenUsage, ModelPrice, number]>([
    ["1 token at 1.5 micros rounds up", usage(1, 0), flat(1_500_000), 2],
    ["1 token at 2.5 micros rounds half up, not to even", usage(1, 0), flat(2_500_000), 3],
    ["1 token at 0.5 micros rounds up", usage(0, 1), flat(500_000), 1],
    ["1 token at 0.49 micros rounds down", usage(1, 0), flat(490_000), 0],
    ["1 token at 1.499999 micros rounds down", usage(1, 0), flat(1_499_999), 1],
    ["3 tokens at 0.499999 micros (1.499997) round down", usage(3, 0), flat(499_999), 1],
    // Rounded once: two 0.4-micro parts make 0.8 -> 1, where rounding each part would give 0.
    ["0.4 + 0.4 micros round once, to 1", usage(1, 1), flat(400_000), 1],
    ["gpt-4o-mini: 1 input token is 0.15 micros, rounds to 0", usage(1, 0), PRICE_BOOK.models["gpt-4o-mini"], 0],
    ["gpt-4o-mini: 1 output token is 0.6 micros, rounds to 1", usage(0, 1), PRICE_BOOK.models["gpt-4o-mini"], 1],
  ])("%s", (_label, u, price, expected) => {
    expect(costMicros(u, price)).toBe(expected);
  });

  it.each<[string, string, TokenUsage, number]>([
    // 600 uncached * 2.5 + 400 cached * 1.25 + 100 output * 10 = 1500 + 500 + 1000 micros.
    ["gpt-4o with 400 of 1000 prompt tokens cached", "gpt-4o", usage(1000, 100, 400), 3_000],
    ["gpt-4o with nothing cached", "gpt-4o", usage(1000, 100, 0), 3_500],
    ["gpt-5-nano, a fully cached million-token prompt", "gpt-5-nano", usage(1_000_000, 0, 1_000_000), 5_000],
    ["gpt-4.1 cached at a quarter of input", "gpt-4.1", usage(2000, 0, 2000), 1_000],
    ["gpt-4 has no cache discount", "gpt-4", usage(1000, 0, 1000), 30_000],
  ])("%s", (_label, model, u, expected) => {
    expect(costMicros(u, PRICE_BOOK.models[model])).toBe(expected);
  });

  it.each<[string, TokenUsage, ModelPrice, RegExp]>([
    ["cached above prompt", usage(10, 0, 11), GPT4, /must not exceed/],
    ["negative prompt", usage(-1, 0), GPT4, /usage.prompt/],
    ["fractional completion", usage(1, 0.5), GPT4, /usage.completion/],
    ["NaN cached", usage(1, 1, Number.NaN), GPT4, /usage.cached/],
    ["fractional price", usage(1, 1), flat(1.5), /inputMicrosPerMTok/],
    ["a cost past MAX_SAFE_INTEGER", usage(MAX_TOKEN_COUNT, MAX_TOKEN_COUNT), GPT4, /largest safe/],
  ])("refuses %s", (_label, u, price, message) => {
    expect(() => costMicros(u, price)).toThrow(RangeError);
    expect(() => costMicros(u, price)).toThrow(message);
  });

  const tokens = fc.nat(10_000_000);
  const usageArb = fc.tuple(tokens, tokens, tokens).map(([uncached, cached, completion]) => usage(uncached + cached, completion, cached));

  it("equals an independent BigInt reference", () => {
    fc.assert(
      fc.property(usageArb, priceArb, (u, price) => {
        const cost = costMicros(u, price);
        expect(Number.isSafeInteger(cost)).toBe(true);
        expect(cost).toBe(referenceCost(u, price));
      }),
      { numRuns: 2000 },
    );
  });

  it("is monotonic in each token class", () => {
    fc.assert(
      fc.property(usageArb, priceArb, fc.integer({ min: 1, max: 1_000_000 }), (u, price, extra) => {
        const base = costMicros(u, price);
        expect(costMicros(usage(u.prompt + extra, u.completion, u.cached), price)).toBeGreaterThanOrEqual(base);
        expect(costMicros(usage(u.prompt + extra, u.completion, u.cached + extra), price)).toBeGreaterThanOrEqual(base);
        expect(costMicros(usage(u.prompt, u.completion + extra, u.cached), price)).toBeGreaterThanOrEqual(base);
      }),
    );
  });

  it("is additive within 1 micro: cost(a + b) is cost(a) + cost(b) up to one rounding", () => {
    fc.assert(
      fc.property(usageArb, usageArb, priceArb, (a, b, price) => {
        const sum = usage(a.prompt + b.prompt, a.completion + b.completion, a.cached + b.cached);
        const drift = costMicros(sum, price) - (costMicros(a, price) + costMicros(b, price));
        expect(Math.abs(drift)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("worstCaseCostMicros", () => {
  it.each<[string, number, number, number]>([
    ["gpt-4", 100, 1000, 63_000],
    ["gpt-4", 0, 0, 0],
    // No cache discount assumed: 1000 input tokens at the full 2.5 micros each.
    ["gpt-4o", 1000, 100, 3_500],
  ])("%s: %p prompt tokens and %p max completion tokens reserve %p micros", (model, prompt, max, expected) => {
    expect(worstCaseCostMicros(prompt, max, PRICE_BOOK.models[model])).toBe(expected);
  });

  it("uses the dearer input price when an agent's price makes cached input dearer", () => {
    expect(worstCaseCostMicros(10, 0, mtokPrice(1_000_000, 3_000_000, 0))).toBe(30);
  });

  it.each([
    [-1, 10],
    [10, 1.5],
    [Number.NaN, 10],
  ])("refuses token counts %p and %p", (prompt, max) => {
    expect(() => worstCaseCostMicros(prompt, max, GPT4)).toThrow(RangeError);
  });

  it("is never below the real cost of a message within the reservation", () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.nat(1_000_000),
        fc.nat(1_000_000),
        fc.nat(1_000_000),
        priceArb,
        (prompt, cachedSeed, max, usedSeed, price) => {
          const cached = cachedSeed % (prompt + 1);
          const completion = usedSeed % (max + 1);
          expect(worstCaseCostMicros(prompt, max, price)).toBeGreaterThanOrEqual(costMicros(usage(prompt, completion, cached), price));
        },
      ),
    );
  });
});
