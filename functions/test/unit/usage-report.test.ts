/** What the dispatcher reports to Stripe and what it does with each answer (domain/usage-report.ts). */
import { randomUUID } from "node:crypto";
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffMs,
  identifierOf,
  MAX_IDENTIFIER_CHARS,
  meterEventOf,
  usageReportOf,
  verdictOf,
} from "../../src/domain/usage-report";
import { makeLedgerRow } from "../helpers/ledger";

const KEY = "unit-signing-key";
const row = (mode: "production" | "development", spec: { prompt?: number; completion?: number } = {}) =>
  makeLedgerRow({ agentId: "agent-1", userId: "owner-1", mode, at: new Date("2026-11-20T10:00:00.250Z"), ...spec }, KEY);

describe("usageReportOf", () => {
  it("reports a billed production row with its cost, owner, agent and instant", () => {
    const { id, row: r } = row("production");
    expect(r.costMicros).toBeGreaterThan(0);
    expect(usageReportOf(id, r)).toEqual({
      rowId: id,
      identifier: id,
      userId: "owner-1",
      agentId: "agent-1",
      costMicros: r.costMicros,
      timestampMs: Date.parse("2026-11-20T10:00:00.250Z"),
    });
  });

  it("reports no development row, and no row that bills nothing", () => {
    const dev = row("development");
    expect(usageReportOf(dev.id, dev.row)).toBeNull();
    const free = row("production", { prompt: 0, completion: 0 });
    expect(free.row.costMicros).toBe(0);
    expect(usageReportOf(free.id, free.row)).toBeNull();
    const unbilled = row("production");
    expect(usageReportOf(unbilled.id, { ...unbilled.row, billable: false })).toBeNull();
  });

  it("identifies a row's event by its id, or past Stripe's 100 characters by a hash of it", () => {
    const long = `${"a".repeat(60)}:${randomUUID()}:${randomUUID()}`;
    expect(long.length).toBeGreaterThan(MAX_IDENTIFIER_CHARS);
    const id = identifierOf(long);
    expect(id).toMatch(/^sha256_[0-9a-f]{64}$/);
    expect(id.length).toBeLessThanOrEqual(MAX_IDENTIFIER_CHARS);
    expect(identifierOf(long)).toBe(id);
    expect(identifierOf(`${long}x`)).not.toBe(id);
    expect(identifierOf("a:b:c")).toBe("a:b:c");
  });
});

describe("meterEventOf", () => {
  it("sends the cost as a whole-number string, in whole seconds, to the customer", () => {
    expect(meterEventOf({ identifier: "r1", costMicros: 5_970, timestampMs: 1_700_000_000_999 }, "ev", "cus_1")).toEqual({
      event_name: "ev",
      identifier: "r1",
      timestamp: 1_700_000_000,
      payload: { stripe_customer_id: "cus_1", value: "5970" },
    });
  });
});

describe("verdictOf", () => {
  it.each([
    [{ statusCode: 400, message: "An event already exists with identifier r1." }, "duplicate"],
    [{ statusCode: 400, message: "other words", code: "resource_already_exists" }, "duplicate"],
    [{ statusCode: 429, message: "Too many requests" }, "retry"],
    [{ statusCode: 400, message: "Too many concurrent requests", code: "rate_limit", type: "StripeRateLimitError" }, "retry"],
    [{ statusCode: 500, message: "boom" }, "retry"],
    [{ statusCode: 503, message: "unavailable" }, "retry"],
    [{ statusCode: undefined, message: "connection reset", type: "StripeConnectionError" }, "retry"],
    [{ statusCode: 401, message: "Invalid API Key" }, "retry"],
    [{ statusCode: 403, message: "not allowed" }, "retry"],
    [{ statusCode: 409, message: "lock timeout" }, "retry"],
    [{ statusCode: 400, message: "No such customer: 'cus_x'", code: "resource_missing" }, "invalid"],
    [{ statusCode: 400, message: "Timestamp must be within the past 35 calendar days", code: "timestamp_out_of_range" }, "invalid"],
    [{ statusCode: 404, message: "not found" }, "invalid"],
  ] as const)("%o is %s", (err, verdict) => {
    expect(verdictOf(err)).toBe(verdict);
  });
});

describe("backoffMs", () => {
  it("doubles from 30 s and stops at an hour, spread over the upper half", () => {
    expect(backoffMs(1, 0)).toBe(BACKOFF_BASE_MS / 2);
    expect(backoffMs(1, 0.999999)).toBeLessThanOrEqual(BACKOFF_BASE_MS);
    expect(backoffMs(2, 0)).toBe(BACKOFF_BASE_MS);
    expect(backoffMs(3, 0.5)).toBe(BACKOFF_BASE_MS * 3);
    expect(backoffMs(40, 0)).toBe(BACKOFF_MAX_MS / 2);
    expect(backoffMs(40, 0.999999)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
  });
});
