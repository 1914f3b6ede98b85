/**
 * The web console's callables, their pure parts: the next message's worst case (the figure the
 * hold reserves), the schemas, and the alerts' page tokens.
 */
import { CALLABLES } from "../../src/contract/callables";
import { chatOf, quoteMessage } from "../../src/domain/message-quote";
import { resolvePrice, worstCaseCostMicros } from "../../src/domain/pricing";
import { countChatTokens } from "../../src/domain/tokens";
import { usageBound } from "../../src/domain/usage-bounds";
import { decodeAlertToken, encodeAlertToken, toAlertItem } from "../../src/handlers/list-alerts";
import { parseInput } from "../../src/validation";

describe("quoteMessage (domain)", () => {
  it("prices gpt-4's worst case exactly: (17 counted + 2) prompt tokens at $30/M and 100 at $60/M = 6,570 µ$", () => {
    const quote = quoteMessage({ model: "gpt-4" }, "[[tokens:90]] [[sleep:100]]", 100);
    expect(quote).toMatchObject({ model: "gpt-4", promptTokens: 17, bound: { promptTokens: 19, completionTokens: 100 } });
    expect(quote.worstCaseMicros).toBe(19 * 30 + 100 * 60);
  });

  it("counts the system prompt, bounds the prompt by a tenth and prices at the dearer input price, as the hold does", () => {
    const agent = { model: "gpt-4o-mini", systemPrompt: "You are a helpful support agent." };
    const quote = quoteMessage(agent, "Where is my invoice?", 300);
    const counted = countChatTokens(
      [
        { role: "system", content: agent.systemPrompt },
        { role: "user", content: "Where is my invoice?" },
      ],
      "gpt-4o-mini",
    );
    const bound = usageBound(counted, 300);
    expect(quote.promptTokens).toBe(counted);
    expect(quote.bound).toEqual(bound);
    expect(quote.worstCaseMicros).toBe(worstCaseCostMicros(bound.promptTokens, 300, resolvePrice("gpt-4o-mini")!.price));
    expect(chatOf(agent, "x").map((t) => t.role)).toEqual(["system", "user"]);
  });

  it("uses the agent's own price for its model only, and says null for an unpriced model", () => {
    const pricing = { model: "gpt-4", inputMicrosPerMTok: 1_000_000, cachedInputMicrosPerMTok: 0, outputMicrosPerMTok: 2_000_000 };
    const own = quoteMessage({ model: "gpt-4", pricing }, "hi", 1_000);
    expect(own.priceVersion).toMatch(/^agent:/);
    expect(own.worstCaseMicros).toBe(worstCaseCostMicros(own.bound.promptTokens, 1_000, pricing));
    expect(quoteMessage({ model: "gpt-4o", pricing }, "hi").priceVersion).not.toMatch(/^agent:/);
    expect(quoteMessage({ model: "my-own-model" }, "hi")).toMatchObject({ price: null, priceVersion: null, worstCaseMicros: null });
  });

  it("defaults to sendMessage's model and maxTokens", () => {
    expect(quoteMessage({}, "hi")).toMatchObject({ model: "gpt-4", bound: { completionTokens: 1_024 } });
  });
});

describe("the console's request schemas", () => {
  it("name the field of a bad input", () => {
    expect(() => parseInput(CALLABLES.setAgentStatus.request, { agentId: "a", status: "deleted" })).toThrow(
      'status: must be "active" or "paused"',
    );
    expect(() => parseInput(CALLABLES.quoteMessage.request, { agentId: "a", maxTokens: 0 })).toThrow("maxTokens: must be at least 1");
    expect(() => parseInput(CALLABLES.listBillingAlerts.request, { pageSize: 101 })).toThrow("pageSize: must be at most 100");
    expect(() => parseInput(CALLABLES.listBillingAlerts.request, { agentId: "../x" })).toThrow("agentId:");
  });

  it("accept the minimal requests", () => {
    expect(parseInput(CALLABLES.quoteMessage.request, { agentId: "a" })).toEqual({ agentId: "a" });
    expect(parseInput(CALLABLES.listBillingAlerts.request, {})).toEqual({});
  });
});

describe("alert page tokens", () => {
  const cursor = { seconds: 1_700_000_000, nanos: 123_456_789, id: "agent-1:daily-cost:2026-12-01" };

  it("round-trip a cursor for the same agent filter", () => {
    expect(decodeAlertToken(encodeAlertToken(cursor, "agent-1"), "agent-1")).toEqual(cursor);
    expect(decodeAlertToken(encodeAlertToken(cursor, undefined), undefined)).toEqual(cursor);
  });

  it("refuse a token of another filter, or junk, as invalid-argument", () => {
    expect(() => decodeAlertToken(encodeAlertToken(cursor, "agent-1"), "agent-2")).toThrow(
      "pageToken: was issued for another agentId filter",
    );
    expect(() => decodeAlertToken(encodeAlertToken(cursor, "agent-1"), undefined)).toThrow("another agentId filter");
    expect(() => decodeAlertToken("not-a-token", undefined)).toThrow("pageToken: is not a token issued by this backend");
    expect(() => decodeAlertToken(Buffer.from('{"seconds":-1}').toString("base64url"), undefined)).toThrow("pageToken:");
  });

  it("show the owner what an alert says, never its delivery errors", () => {
    const item = toAlertItem({
      id: "a:daily-cost:2026-12-01",
      data: {
        agentId: "a",
        userId: "u",
        kind: "daily-cost",
        window: "2026-12-01",
        figures: { costMicros: 5 },
        delivery: { mail: "queued", webhook: "failed", lastError: "secret detail", attempts: 3 },
      },
    });
    expect(item).toEqual({
      alertId: "a:daily-cost:2026-12-01",
      agentId: "a",
      kind: "daily-cost",
      window: "2026-12-01",
      createdAt: null,
      figures: { costMicros: 5 },
      delivery: { mail: "queued", webhook: "failed" },
    });
  });
});
