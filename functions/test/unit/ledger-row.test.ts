import { ledgerId } from "../../src/domain/ids";
import { buildLedgerRow, UNPRICED, type LedgerRowInput } from "../../src/domain/ledger-row";
import { rowProblem } from "../../src/domain/ledger-schema";
import { rowInput } from "../helpers/row-input";
import { keyId, signRow } from "../../src/domain/ledger-signature";
import { PRICE_BOOK, type ModelPrice } from "../../src/domain/pricing";

const KEY = "unit-test-key";
const AT = Date.parse("2026-03-01T03:00:00Z");

const input = (overrides: Partial<LedgerRowInput> = {}) => rowInput(AT, overrides);

const problemOf = (i: LedgerRowInput, key = KEY) =>
  rowProblem(ledgerId(i.agentId, i.conversationId, i.messageId), buildLedgerRow(i, KEY), key);

describe("buildLedgerRow", () => {
  it("builds a production row that the rollup accepts, priced exactly, with the seed's display fields", () => {
    const row = buildLedgerRow(input(), KEY);
    expect(problemOf(input())).toBeNull();
    // gpt-4: 100 input tokens at $30/M and 50 output tokens at $60/M.
    expect(row).toMatchObject({
      costMicros: 6_000,
      shadowCostMicros: 6_000,
      cost: 0.006,
      billable: true,
      testMode: false,
      mode: "production",
      tokens: { prompt: 100, completion: 50, total: 150, cached: 0 },
      timestamp: "2026-03-01T03:00:00.000Z",
      localDay: "2026-03-01",
      sessionId: "agent-1:conv-1",
      priceVersion: PRICE_BOOK.version,
      writer: "billing-backend",
      latencyMs: 12,
    });
  });

  it("prices cached tokens at their rate and rounds the message once, half up", () => {
    const price: ModelPrice = { inputMicrosPerMTok: 1_000_000, cachedInputMicrosPerMTok: 500_000, outputMicrosPerMTok: 2_000_000 };
    // 2 uncached input tokens at 1 micro, 1 cached at 0.5: 2.5 micros, rounded up to 3.
    const i = input({ usage: { prompt: 3, completion: 0, total: 3, cached: 1 }, price: { price, priceVersion: "agent:test" } });
    expect(buildLedgerRow(i, KEY)).toMatchObject({ costMicros: 3, cost: 0.000003, priceVersion: "agent:test" });
    expect(problemOf(i)).toBeNull();
  });

  it("makes development rows free, keeping what they would have cost", () => {
    const i = input({ mode: "development" });
    expect(buildLedgerRow(i, KEY)).toMatchObject({ costMicros: 0, cost: 0, shadowCostMicros: 6_000, billable: false, testMode: true });
    expect(problemOf(i)).toBeNull();
  });

  it("meters a development message of an unpriced model at no cost, and refuses to build such a production row", () => {
    const dev = input({ mode: "development", model: "no-such-model", price: null });
    expect(buildLedgerRow(dev, KEY)).toMatchObject({ costMicros: 0, shadowCostMicros: 0, priceVersion: UNPRICED });
    expect(problemOf(dev)).toBeNull();
    expect(() => buildLedgerRow(input({ model: "no-such-model", price: null }), KEY)).toThrow(RangeError);
  });

  it("counts the local day in the agent's timezone", () => {
    expect(buildLedgerRow(input({ timezone: "America/New_York" }), KEY).localDay).toBe("2026-02-28");
  });

  it("signs with the key, so a row under another key is refused", () => {
    expect(problemOf(input(), "another-key")).toBe("signature does not verify");
  });
});

describe("signing keys", () => {
  const [OLD, NEW] = ["old-ledger-key", "new-ledger-key"];
  const id = ledgerId("agent-1", "conv-1", "msg-1");
  const problem = (row: unknown, secret: string) => rowProblem(id, row, secret);

  it("records the id of the key that signed a row, which names no part of the key", () => {
    const row = buildLedgerRow(input(), `${NEW}, ${OLD}`);
    expect(row.kid).toBe(keyId(NEW));
    expect(row.kid).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId(OLD)).not.toBe(keyId(NEW));
  });

  it("verifies every row after a rotation (new key first, old kept), and none signed by a key left out", () => {
    const before = buildLedgerRow(input(), OLD);
    const after = buildLedgerRow(input({ messageId: "msg-2" }), `${NEW},${OLD}`);
    expect(problem(before, `${NEW},${OLD}`)).toBeNull();
    expect(rowProblem(ledgerId("agent-1", "conv-1", "msg-2"), after, `${NEW},${OLD}`)).toBeNull();
    expect(problem(before, NEW)).toBe("signature does not verify");
  });

  it("verifies a row from before key ids with any key of the set", () => {
    const { kid: _kid, sig: _sig, ...unsigned } = buildLedgerRow(input(), OLD);
    const legacy = { ...unsigned, sig: signRow(unsigned, OLD) };
    expect("kid" in legacy).toBe(false);
    expect(problem(legacy, `${NEW},${OLD}`)).toBeNull();
    expect(problem(legacy, NEW)).toBe("signature does not verify");
  });

  it("refuses a row whose key id was changed, or that names a key it was not signed with", () => {
    const row = buildLedgerRow(input(), OLD);
    expect(problem({ ...row, kid: keyId(NEW) }, `${NEW},${OLD}`)).toBe("signature does not verify");
    expect(problem({ ...row, kid: undefined }, `${NEW},${OLD}`)).toBe("signature does not verify");
  });

  it("refuses an empty key set", () => {
    expect(() => buildLedgerRow(input(), " , ")).toThrow("ledger signing key is empty");
  });
});
