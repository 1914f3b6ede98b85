import fc from "fast-check";
import { boundUsage, promptTokenBound, usageBound } from "../../src/domain/usage-bounds";
import { costMicros, resolvePrice, worstCaseCostMicros } from "../../src/domain/pricing";

const usage = (prompt: number, completion: number, cached = 0) => ({ prompt, completion, total: prompt + completion, cached });

describe("usage bounds", () => {
  it.each([
    [0, 0],
    [12, 14],
    [100, 110],
    [1_000, 1_100],
    [1_001, 1_102],
  ])("a counted prompt of %p may be billed for at most %p tokens", (counted, bound) => {
    expect(promptTokenBound(counted)).toBe(bound);
  });

  it("leaves usage within the bound as it is", () => {
    const u = usage(110, 100, 20);
    expect(boundUsage(u, usageBound(100, 100))).toEqual({ usage: u, reported: null });
  });

  it.each([
    ["a completion past maxTokens", usage(100, 10 ** 12), usage(100, 100)],
    ["a prompt far past the counted one", usage(10_000, 50, 9_000), usage(110, 50, 110)],
    ["cached tokens past the bounded prompt", usage(110, 10, 500), usage(110, 10, 110)],
  ])("clamps %s and reports what the provider said", (_what, reported, billed) => {
    expect(boundUsage(reported, usageBound(100, 100))).toEqual({ usage: billed, reported });
  });

  it("never bills more than the worst case held at the bound", () => {
    const price = resolvePrice("gpt-4o-mini")!.price;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.record({ prompt: fc.nat(10 ** 9), completion: fc.nat(10 ** 9), cached: fc.nat(10 ** 9) }),
        (counted, maxTokens, raw) => {
          const reported = usage(raw.prompt, raw.completion, Math.min(raw.cached, raw.prompt));
          const bound = usageBound(counted, maxTokens);
          const billed = boundUsage(reported, bound).usage;
          expect(costMicros(billed, price)).toBeLessThanOrEqual(worstCaseCostMicros(bound.promptTokens, maxTokens, price));
        },
      ),
    );
  });
});
