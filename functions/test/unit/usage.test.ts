import fc from "fast-check";
import { MAX_TOKEN_COUNT, type ProviderUsage, type TokenUsage, hasUsage, normalizeUsage } from "../../src/domain/usage";

describe("normalizeUsage", () => {
  it.each<[string, unknown, TokenUsage]>([
    [
      "an OpenAI usage with cached prompt tokens",
      {
        prompt_tokens: 1200,
        completion_tokens: 300,
        total_tokens: 1500,
        prompt_tokens_details: { cached_tokens: 1024 },
      },
      { prompt: 1200, completion: 300, total: 1500, cached: 1024 },
    ],
    ["no details: nothing cached", { prompt_tokens: 10, completion_tokens: 5 }, { prompt: 10, completion: 5, total: 15, cached: 0 }],
    [
      "null details",
      { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: null },
      { prompt: 10, completion: 5, total: 15, cached: 0 },
    ],
    [
      "an inconsistent total_tokens is ignored",
      { prompt_tokens: 10, completion_tokens: 5, total_tokens: 999 },
      { prompt: 10, completion: 5, total: 15, cached: 0 },
    ],
    [
      "cached above prompt is clamped to prompt",
      { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 50 } },
      { prompt: 10, completion: 5, total: 15, cached: 10 },
    ],
    [
      "negative counts become 0",
      { prompt_tokens: -10, completion_tokens: -1, prompt_tokens_details: { cached_tokens: -3 } },
      { prompt: 0, completion: 0, total: 0, cached: 0 },
    ],
    [
      "fractions are floored",
      { prompt_tokens: 10.9, completion_tokens: 5.5, prompt_tokens_details: { cached_tokens: 3.99 } },
      { prompt: 10, completion: 5, total: 15, cached: 3 },
    ],
    [
      "non-finite counts become 0",
      {
        prompt_tokens: Number.NaN,
        completion_tokens: Number.POSITIVE_INFINITY,
        prompt_tokens_details: { cached_tokens: Number.NaN },
      },
      { prompt: 0, completion: 0, total: 0, cached: 0 },
    ],
    [
      "non-numeric counts become 0",
      { prompt_tokens: "12", completion_tokens: null, prompt_tokens_details: { cached_tokens: "3" } },
      { prompt: 0, completion: 0, total: 0, cached: 0 },
    ],
    [
      "details that are not an object",
      { prompt_tokens: 8, completion_tokens: 2, prompt_tokens_details: 8 },
      { prompt: 8, completion: 2, total: 10, cached: 0 },
    ],
    [
      "absurd counts are capped so the total stays a safe integer",
      { prompt_tokens: 1e300, completion_tokens: 1e300 },
      { prompt: MAX_TOKEN_COUNT, completion: MAX_TOKEN_COUNT, total: 2 * MAX_TOKEN_COUNT, cached: 0 },
    ],
    ["an empty object", {}, { prompt: 0, completion: 0, total: 0, cached: 0 }],
    ["null instead of an object", null, { prompt: 0, completion: 0, total: 0, cached: 0 }],
  ])("%s", (_label, raw, expected) => {
    expect(normalizeUsage(raw as ProviderUsage)).toEqual(expected);
  });

  const hostileCount = fc.oneof(
    fc.integer({ min: -1_000_000, max: 10_000_000 }),
    fc.double(),
    fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308),
    fc.string(),
    fc.boolean(),
    fc.anything(),
  );
  const hostileUsage = fc.oneof(
    fc.record(
      {
        prompt_tokens: hostileCount,
        completion_tokens: hostileCount,
        total_tokens: hostileCount,
        prompt_tokens_details: fc.oneof(fc.record({ cached_tokens: hostileCount }, { requiredKeys: [] }), hostileCount),
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
  );

  it("never counts cached tokens twice, whatever the provider sends", () => {
    fc.assert(
      fc.property(hostileUsage, (raw) => {
        const usage = normalizeUsage(raw as ProviderUsage);
        for (const count of [usage.prompt, usage.completion, usage.total, usage.cached]) {
          expect(Number.isSafeInteger(count)).toBe(true);
          expect(count).toBeGreaterThanOrEqual(0);
        }
        const uncached = usage.prompt - usage.cached;
        expect(uncached).toBeGreaterThanOrEqual(0);
        expect(uncached + usage.cached).toBe(usage.prompt);
        expect(usage.total).toBe(usage.prompt + usage.completion);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps well-formed counts as reported", () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.nat(10_000_000), fc.nat(10_000_000), (prompt, completion, cachedSeed) => {
        const cached = prompt === 0 ? 0 : cachedSeed % (prompt + 1);
        const usage = normalizeUsage({
          prompt_tokens: prompt,
          completion_tokens: completion,
          prompt_tokens_details: { cached_tokens: cached },
        });
        expect(usage).toEqual({ prompt, completion, total: prompt + completion, cached });
      }),
    );
  });
});

describe("hasUsage", () => {
  it.each<[string, unknown, boolean]>([
    ["a full usage", { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, true],
    ["zero tokens", { prompt_tokens: 0, completion_tokens: 0 }, true],
    ["no total", { prompt_tokens: 10, completion_tokens: 5 }, true],
    ["missing completion", { prompt_tokens: 10 }, false],
    ["missing prompt", { completion_tokens: 5 }, false],
    ["null counts", { prompt_tokens: null, completion_tokens: null }, false],
    ["NaN", { prompt_tokens: Number.NaN, completion_tokens: 5 }, false],
    ["Infinity", { prompt_tokens: 10, completion_tokens: Number.POSITIVE_INFINITY }, false],
    ["negative", { prompt_tokens: -1, completion_tokens: 5 }, false],
    ["strings", { prompt_tokens: "10", completion_tokens: "5" }, false],
    ["null", null, false],
    ["undefined", undefined, false],
    ["an array", [10, 5], false],
    ["a number", 15, false],
  ])("%s -> %p", (_label, raw, expected) => {
    expect(hasUsage(raw)).toBe(expected);
  });
});
