/**
 * setAgentBillingSettings over HTTP through the Functions emulator, as a client app calls it.
 */
import { adminDb, call, createUser, seedAgent, type TestUser } from "../helpers/emulator";

const NAME = "setAgentBillingSettings";
let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("owner"), createUser("stranger")]);
});

const agentDoc = async (agentId: string) => (await adminDb().doc(`alchemist_agents/${agentId}`).get()).data();

describe("setAgentBillingSettings: valid input", () => {
  it("stores every setting exactly (USD to integer micros) and returns them", async () => {
    const agentId = await seedAgent(owner.uid, { name: "Keep me", model: "gpt-4" });
    const res = await call<Record<string, unknown>>(
      NAME,
      {
        agentId,
        dailyLimitUsd: 4.35,
        monthlyLimitUsd: 100,
        dailyAlertUsd: 0.000001,
        timezone: "Europe/Paris",
        alertEmail: "alerts@example.com",
        alertPhone: "+33612345678",
        webhookUrl: "https://hooks.example.com/billing",
      },
      owner.idToken,
    );
    expect(res.error).toBeUndefined();
    expect(res.result).toEqual({
      agentId,
      dailyLimitMicros: 4_350_000,
      dailyLimitUsd: 4.35,
      monthlyLimitMicros: 100_000_000,
      monthlyLimitUsd: 100,
      dailyAlertMicros: 1,
      dailyAlertUsd: 0.000001,
      timezone: "Europe/Paris",
      // A new timezone takes effect at its next midnight; UTC counts until then.
      timezoneInEffect: "UTC",
      timezoneFrom: expect.stringMatching(/T23:00:00\.000Z$|T22:00:00\.000Z$/),
      alertEmail: "alerts@example.com",
      alertPhone: "+33612345678",
      webhookUrl: "https://hooks.example.com/billing",
    });
    const stored = await agentDoc(agentId);
    expect(stored?.billing).toEqual({
      dailyLimitMicros: 4_350_000,
      monthlyLimitMicros: 100_000_000,
      dailyAlertMicros: 1,
      timezone: "Europe/Paris",
      previousTimezone: "UTC",
      timezoneFrom: Date.parse(res.result!.timezoneFrom as string),
      alertEmail: "alerts@example.com",
      alertPhone: "+33612345678",
      webhookUrl: "https://hooks.example.com/billing",
    });
    expect(stored).toMatchObject({ userId: owner.uid, name: "Keep me", model: "gpt-4" });
  });

  it("touches only the given fields, and null clears one", async () => {
    const agentId = await seedAgent(owner.uid, {
      billing: { dailyLimitMicros: 5_000_000, timezone: "Asia/Tokyo", alertEmail: "a@example.com" },
    });
    await call(NAME, { agentId, monthlyLimitUsd: 50 }, owner.idToken);
    expect((await agentDoc(agentId))?.billing).toEqual({
      dailyLimitMicros: 5_000_000,
      monthlyLimitMicros: 50_000_000,
      timezone: "Asia/Tokyo",
      alertEmail: "a@example.com",
    });
    const res = await call<Record<string, unknown>>(NAME, { agentId, dailyLimitUsd: null, timezone: null }, owner.idToken);
    // A cleared timezone goes back to UTC from UTC's next midnight; Tokyo counts until then.
    expect((await agentDoc(agentId))?.billing).toEqual({
      monthlyLimitMicros: 50_000_000,
      alertEmail: "a@example.com",
      timezone: "UTC",
      previousTimezone: "Asia/Tokyo",
      timezoneFrom: expect.any(Number),
    });
    expect(res.result).toMatchObject({
      dailyLimitMicros: null,
      dailyLimitUsd: null,
      timezone: "UTC",
      timezoneInEffect: "Asia/Tokyo",
      monthlyLimitMicros: 50_000_000,
    });
  });

  it("accepts a limit of 0 (refuse everything billable)", async () => {
    const agentId = await seedAgent(owner.uid);
    const res = await call(NAME, { agentId, dailyLimitUsd: 0 }, owner.idToken);
    expect(res.result).toMatchObject({ dailyLimitMicros: 0, dailyLimitUsd: 0 });
    expect((await agentDoc(agentId))?.billing).toEqual({ dailyLimitMicros: 0 });
  });

  it("accepts a loopback http:// webhook under the Functions emulator only", async () => {
    const agentId = await seedAgent(owner.uid);
    const res = await call(NAME, { agentId, webhookUrl: "http://127.0.0.1:9/hook" }, owner.idToken);
    expect(res.error).toBeUndefined();
    expect((await agentDoc(agentId))?.billing).toEqual({ webhookUrl: "http://127.0.0.1:9/hook" });
  });

  it("returns the current settings unchanged when only the agent is given", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyAlertMicros: 2_500_000 } });
    const res = await call(NAME, { agentId }, owner.idToken);
    expect(res.result).toMatchObject({ dailyAlertMicros: 2_500_000, dailyAlertUsd: 2.5, timezone: "UTC", webhookUrl: null });
  });
});

describe("setAgentBillingSettings: refusals write nothing", () => {
  const initial = { dailyLimitMicros: 1_000_000, timezone: "UTC" };

  it.each([
    [{ dailyLimitUsd: -5 }, "dailyLimitUsd: must not be negative"],
    [{ monthlyLimitUsd: 1.0000001 }, "monthlyLimitUsd: must have at most 6 decimal places"],
    [{ dailyAlertUsd: "10" }, "dailyAlertUsd: must be a number of USD"],
    [{ timezone: "Mars/Olympus_Mons" }, "timezone: must be an IANA time zone"],
    [{ timezone: "+02:00" }, "timezone: must be an IANA time zone"],
    [{ alertEmail: "owner-at-example.com" }, "alertEmail: must be an email address"],
    [{ alertPhone: "555-123-4567" }, "alertPhone: must be an E.164 phone number"],
    [{ alertPhone: "+0123456789" }, "alertPhone: must be an E.164 phone number"],
    [{ alertPhone: "+1234567890123456" }, "alertPhone: must be an E.164 phone number"],
    [{ alertPhone: 15551234567 }, "alertPhone: must be a string"],
    [{ webhookUrl: "http://hooks.example.com/x" }, "webhookUrl: must be an https:// URL"],
    [{ webhookUrl: "https://10.0.0.8/x" }, "webhookUrl: must name a public host"],
    [{ dailyLimit: 5 }, '"dailyLimit": unknown field'],
    [{ agentId: "bad/id" }, "agentId:"],
  ])("%p -> invalid-argument %p", async (fields, message) => {
    const agentId = await seedAgent(owner.uid, { billing: initial });
    const res = await call(NAME, { agentId, dailyLimitUsd: 2, ...fields }, owner.idToken);
    expect(res.error?.status).toBe("INVALID_ARGUMENT");
    expect(res.error?.message).toContain(message);
    expect((await agentDoc(agentId))?.billing).toEqual(initial);
  });

  it("refuses another user's agent with permission-denied", async () => {
    const agentId = await seedAgent(owner.uid, { billing: initial });
    const res = await call(NAME, { agentId, dailyLimitUsd: 999 }, stranger.idToken);
    expect(res.error?.status).toBe("PERMISSION_DENIED");
    expect((await agentDoc(agentId))?.billing).toEqual(initial);
  });

  it("answers not-found for an agent that does not exist", async () => {
    const res = await call(NAME, { agentId: "agent-does-not-exist", dailyLimitUsd: 1 }, owner.idToken);
    expect(res.error?.status).toBe("NOT_FOUND");
    expect(await agentDoc("agent-does-not-exist")).toBeUndefined();
  });

  it("refuses a caller who is not signed in", async () => {
    const agentId = await seedAgent(owner.uid, { billing: initial });
    const res = await call(NAME, { agentId, dailyLimitUsd: 1 });
    expect(res.error?.status).toBe("UNAUTHENTICATED");
    expect((await agentDoc(agentId))?.billing).toEqual(initial);
  });
});
