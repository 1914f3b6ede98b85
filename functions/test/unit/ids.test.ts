import { dailyId, isSafeModelName, ledgerId, sessionId } from "../../src/domain/ids";

describe("derived ids", () => {
  it("keeps distinct id triples distinct (':' never appears in an id)", () => {
    expect(ledgerId("a_b", "c", "d")).not.toBe(ledgerId("a", "b_c", "d"));
    expect(sessionId("a-", "b")).not.toBe(sessionId("a", "-b"));
    expect(dailyId("agent_1", "2026-11-26")).toBe("agent_1_2026-11-26");
  });
});

describe("isSafeModelName", () => {
  it.each(["gpt-4", "gpt-4.1-mini", "o3", "meta-llama/Llama-3.1-8B", "ft:gpt-4o:org:x"])("accepts %s", (model) => {
    expect(isSafeModelName(model)).toBe(true);
  });
  it.each([
    "",
    "__name__",
    "__x__",
    ".hidden",
    "a b",
    "x".repeat(101),
    "emoji🙂",
    "constructor",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
  ])("refuses %j", (model) => {
    expect(isSafeModelName(model)).toBe(false);
  });
});
