import { HttpsError } from "firebase-functions/v2/https";
import { CALLABLES, type CallableName } from "../../src/contract/callables";
import { BillingError, HTTP_STATUS, publicError, statusName, toHttpsError } from "../../src/errors";
import { billingCallable } from "../../src/triggers/callable";

describe("the map of callables", () => {
  it.each(Object.keys(CALLABLES) as CallableName[])("%s refuses unknown fields (strict schema)", (name) => {
    const parsed = CALLABLES[name].request.safeParse({ notAField: 1 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.code)).toContain("unrecognized_keys");
  });

  it("refuses, at compile time, a handler that answers the wrong type", () => {
    const wrongAnswer = () =>
      // @ts-expect-error getBillingInfo answers a GetBillingInfoResponse, not a string
      billingCallable("getBillingInfo", async () => "not billing info");
    expect(typeof wrongAnswer()).toBe("function");
  });
});

describe("the one error mapping", () => {
  it.each(Object.entries(HTTP_STATUS))("%s answers HTTP %d, as the callable protocol does", (code, status) => {
    expect(new HttpsError(code as BillingError["code"], "").httpErrorCode).toEqual({
      canonicalName: statusName(code as BillingError["code"]),
      status,
    });
  });

  it("shows a BillingError as it is, and anything else as internal with no detail", () => {
    const expected = new BillingError("resource-exhausted", "Daily limit reached.", { retryAfterMs: 5 });
    expect(publicError(expected)).toBe(expected);
    expect(publicError(new Error("secret detail"))).toMatchObject({ code: "internal", message: "Internal error." });
    expect(toHttpsError(expected)).toMatchObject({
      code: "resource-exhausted",
      message: "Daily limit reached.",
      details: { retryAfterMs: 5 },
    });
    expect(toHttpsError(new Error("secret detail"))).toMatchObject({ code: "internal", message: "Internal error." });
  });
});
