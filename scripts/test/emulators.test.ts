/** The harness's param overrides (scripts/emulators.ts): what a caller may override for one emulator run. */
import { PARAM_OVERRIDES_VARIABLE, paramOverrides } from "../emulators";

const overrides = (spec: string) => paramOverrides({ [PARAM_OVERRIDES_VARIABLE]: spec });

describe("paramOverrides", () => {
  it("reads NAME=value pairs of params that functions/.env defines", () => {
    expect(overrides("RATE_LIMIT_BURST=1000, RATE_LIMIT_PER_MINUTE=10000")).toEqual({
      RATE_LIMIT_BURST: "1000",
      RATE_LIMIT_PER_MINUTE: "10000",
    });
  });

  it("is empty when the variable is unset or blank", () => {
    expect(paramOverrides({})).toEqual({});
    expect(overrides("  ")).toEqual({});
  });

  it("refuses a name that is not a param, so a typo is not silently ignored", () => {
    expect(() => overrides("RATE_LIMIT_BRUST=1000")).toThrow("RATE_LIMIT_BRUST is not a param of functions/.env");
  });

  it("refuses a param that functions/.env.local sets, since firebase loads that file last", () => {
    expect(() => overrides("AGENT_TIMEOUT_MS=1000")).toThrow("set by functions/.env.local");
  });

  it("refuses an entry that is not NAME=value", () => {
    expect(() => overrides("RATE_LIMIT_BURST")).toThrow("is not NAME=value");
    expect(() => overrides("RATE_LIMIT_BURST=a b")).toThrow("is not NAME=value");
  });
});
