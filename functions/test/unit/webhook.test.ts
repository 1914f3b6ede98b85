import { settingsRequestSchema } from "../../src/contract/settings";
import { signWebhookBody, verifyWebhookSignature } from "../../src/domain/webhook-signature";
import { isInternalAddress, webhookUrlProblem } from "../../src/base/webhook-url";

describe("webhook signature", () => {
  it("matches the RFC 4231 HMAC-SHA256 test vector (test case 2)", () => {
    expect(signWebhookBody("what do ya want for nothing?", "Jefe")).toBe(
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("signs the raw bytes: the same JSON with other spacing has another signature", () => {
    expect(signWebhookBody('{"a":1}', "k")).not.toBe(signWebhookBody('{ "a": 1 }', "k"));
  });

  it("verifies its own signature and nothing else", () => {
    const body = '{"id":"a:daily-cost:2026-11-26"}';
    const header = signWebhookBody(body, "secret");
    expect(verifyWebhookSignature(body, header, "secret")).toBe(true);
    expect(verifyWebhookSignature(body, header, "other")).toBe(false);
    expect(verifyWebhookSignature(`${body} `, header, "secret")).toBe(false);
    expect(verifyWebhookSignature(body, header.replace("sha256=", "sha1="), "secret")).toBe(false);
    expect(verifyWebhookSignature(body, undefined, "secret")).toBe(false);
  });

  it("refuses to sign with an empty secret", () => {
    expect(() => signWebhookBody("x", "")).toThrow(/secret/);
  });
});

describe("webhook URLs", () => {
  const deployed = { allowLoopbackHttp: false };
  const emulator = { allowLoopbackHttp: true };

  it.each([
    ["https://hooks.example.com/billing", null],
    ["https://hooks.example.com:8443/x?y=1", null],
    ["http://hooks.example.com/billing", "must be an https:// URL"],
    ["ftp://hooks.example.com/", "must be an https:// URL"],
    ["hooks.example.com/billing", "must be an absolute URL"],
    ["https://user:pass@hooks.example.com/", "must not contain credentials"],
    ["https://127.0.0.1/x", "must name a public host"],
    ["https://10.1.2.3/x", "must name a public host"],
    ["https://192.168.0.10/x", "must name a public host"],
    ["https://169.254.169.254/computeMetadata", "must name a public host"],
    ["https://metadata.google.internal/", "must name a public host"],
    ["https://localhost:8443/", "must name a public host"],
    ["https://[::1]/", "must name a public host"],
    ["http://127.0.0.1:4321/hook", "must be an https:// URL"],
    // Accepted before: a trailing dot skipped the name check, and special-purpose ranges were missing.
    ["https://localhost./x", "must name a public host"],
    ["https://foo.localhost./x", "must name a public host"],
    ["https://metadata.google.internal./computeMetadata/v1/", "must name a public host"],
    ["https://metadata./x", "must name a public host"],
    ["https://LOCALHOST/x", "must name a public host"],
    ["https://198.18.0.1/x", "must name a public host"],
    ["https://224.0.0.1/x", "must name a public host"],
    ["https://255.255.255.255/x", "must name a public host"],
    ["https://2130706433/x", "must name a public host"],
    ["https://hooks.example.com./billing", null],
  ])("deployed: %s -> %p", (url, problem) => {
    expect(webhookUrlProblem(url, deployed)).toBe(problem);
  });

  it.each([
    ["http://127.0.0.1:4321/hook", null],
    ["http://localhost:4321/hook", null],
    ["http://10.0.0.1:4321/hook", "must be an https:// URL"],
    ["http://example.com/hook", "must be an https:// URL"],
  ])("under the emulator: %s -> %p", (url, problem) => {
    expect(webhookUrlProblem(url, emulator)).toBe(problem);
  });

  it("refuses very long URLs", () => {
    expect(webhookUrlProblem(`https://example.com/${"a".repeat(2048)}`, deployed)).toMatch(/at most/);
  });
});

describe("resolved webhook addresses", () => {
  it.each([
    "127.0.0.1",
    "10.0.0.7",
    "169.254.169.254",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "0.0.0.0",
    "::",
    "::1",
    "fd00::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "64:ff9b::10.0.0.1",
    "::ffff:7f00:1",
  ])("refuses %s", (address) => expect(isInternalAddress(address)).toBe(true));

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700::6810:85e5", "::ffff:93.184.216.34"])("accepts %s", (address) => {
    expect(isInternalAddress(address)).toBe(false);
  });
});

describe("settings request schema", () => {
  const schema = settingsRequestSchema({ allowLoopbackWebhooks: false });

  it("converts USD to micros exactly and keeps null as a clear", () => {
    const parsed = schema.parse({ agentId: "a1", dailyLimitUsd: 4.35, monthlyLimitUsd: 0.000001, dailyAlertUsd: null });
    expect(parsed).toEqual({ agentId: "a1", dailyLimitUsd: 4_350_000, monthlyLimitUsd: 1, dailyAlertUsd: null });
  });

  it.each([
    [{ dailyLimitUsd: -1 }, "dailyLimitUsd", "must not be negative"],
    [{ monthlyLimitUsd: 0.0000001 }, "monthlyLimitUsd", "must have at most 6 decimal places (whole micro-USD)"],
    [{ dailyAlertUsd: 1e12 }, "dailyAlertUsd", "must be at most"],
    [{ dailyLimitUsd: "5" }, "dailyLimitUsd", "must be a number of USD"],
    [{ timezone: "Mars/Olympus" }, "timezone", "IANA"],
    [{ timezone: "+05:00" }, "timezone", "IANA"],
    [{ alertEmail: "not-an-email" }, "alertEmail", "must be an email address"],
    [{ webhookUrl: "http://example.com" }, "webhookUrl", "https://"],
  ])("refuses %p naming %s", (fields, field, message) => {
    const result = schema.safeParse({ agentId: "a1", ...fields });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual([field]);
    expect(result.error?.issues[0].message).toContain(message);
  });

  it("refuses unknown fields (strict)", () => {
    expect(schema.safeParse({ agentId: "a1", dailyLimit: 5 }).success).toBe(false);
  });
});
