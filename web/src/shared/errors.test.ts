import { describe, expect, it } from "vitest";
import { describeFailure, fieldErrors } from "./errors";

describe("describeFailure", () => {
  it("tells a spending limit from a rate limit", () => {
    expect(describeFailure({ code: "resource-exhausted", message: "x", details: { reason: "daily-limit" } })).toMatchObject({
      kind: "limit",
      title: "Limit reached",
    });
    expect(describeFailure({ code: "resource-exhausted", message: "x", details: { retryAfterMs: 4_200 } })).toMatchObject({
      kind: "rate-limited",
      retryInSeconds: 5,
      message: "Too many messages: retry in 5 s.",
    });
  });

  it("names an unpriced model, a paused agent and an agent failure", () => {
    expect(
      describeFailure({ code: "failed-precondition", message: 'Model "m" has no price, so production messages cannot be billed.' }).kind,
    ).toBe("unpriced");
    expect(describeFailure({ code: "failed-precondition", message: 'Agent "a" is paused.' }).kind).toBe("paused");
    expect(describeFailure({ code: "unavailable", message: "agent down" }).kind).toBe("agent-failure");
  });
});

describe("fieldErrors", () => {
  it("puts the backend's invalid-argument message at its field", () => {
    expect(fieldErrors({ code: "invalid-argument", message: "dailyLimitUsd: must not be negative" })).toEqual({
      dailyLimitUsd: "must not be negative",
    });
    expect(fieldErrors({ code: "not-found", message: "x" })).toEqual({});
  });

  it("leaves out what the transport appends to the backend's message", () => {
    expect(fieldErrors({ code: "invalid-argument", message: "dailyLimitUsd: must not be negative [400]" })).toEqual({
      dailyLimitUsd: "must not be negative",
    });
  });
});
