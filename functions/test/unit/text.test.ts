/** Well-formed text (base/text.ts): what Firestore can store, and what a row stores. */
import { isWellFormedText, wellFormedText } from "../../src/base/text";
import { sendMessageRequestSchema } from "../../src/contract/send-message";
import { buildLedgerRow } from "../../src/domain/ledger-row";

const LONE = ["\uD800", "a\uDBFFb", "\uDC00", "x\uDFFF", "\uDC00\uD800", "end\uD83D"];
const FINE = ["", "plain", "emoji 🙂", "\uD83D\uDE42", "中文", "\uFFFD"];

describe("well-formed text", () => {
  it.each(LONE)("finds the lone surrogate in %j and replaces it with U+FFFD", (text) => {
    expect(isWellFormedText(text)).toBe(false);
    const fixed = wellFormedText(text);
    expect(isWellFormedText(fixed)).toBe(true);
    expect(fixed.length).toBe(text.length);
    expect(fixed).toContain("\uFFFD");
  });

  it.each(FINE)("leaves %j as it is", (text) => {
    expect(isWellFormedText(text)).toBe(true);
    expect(wellFormedText(text)).toBe(text);
  });

  it("refuses a message with a lone surrogate at the boundary, naming the field", () => {
    const parsed = sendMessageRequestSchema.safeParse({ agentId: "a", conversationId: "c", message: "hi \uD800", testMode: "production" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["message", "must be well-formed Unicode text (it has a lone UTF-16 surrogate)"],
    ]);
  });

  it("stores an agent's answer well-formed", () => {
    const built = buildLedgerRow(
      {
        agentId: "a",
        conversationId: "c",
        messageId: "m",
        userId: "u",
        mode: "development",
        model: "gpt-4",
        userMessage: "hello",
        agentResponse: "half \uD83D",
        usage: { prompt: 1, completion: 1, total: 2, cached: 0 },
        usageSource: "provider",
        price: null,
        at: Date.parse("2026-12-01T00:00:00Z"),
        timezone: "UTC",
        latencyMs: 1,
      },
      "key",
    );
    expect(built.agentResponse).toBe("half \uFFFD");
  });
});
