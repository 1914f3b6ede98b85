import fc from "fast-check";
import { changeTimezone, effectiveTimezone } from "../../src/domain/agent-timezone";
import { localDay } from "../../src/base/periods";

const at = (iso: string) => Date.parse(iso);

describe("effectiveTimezone", () => {
  it("is UTC by default and the chosen one once its change took effect", () => {
    expect(effectiveTimezone(undefined, 0)).toBe("UTC");
    const s = { timezone: "Asia/Tehran", previousTimezone: "UTC", timezoneFrom: at("2026-12-02T20:30:00Z") };
    expect(effectiveTimezone(s, at("2026-12-02T20:29:59Z"))).toBe("UTC");
    expect(effectiveTimezone(s, at("2026-12-02T20:30:00Z"))).toBe("Asia/Tehran");
  });
});

describe("changeTimezone", () => {
  it("takes effect at the new timezone's next midnight, the old one counting until then", () => {
    const now = at("2026-12-01T22:00:00Z");
    expect(changeTimezone({ timezone: "UTC" }, "Asia/Tehran", now)).toEqual({
      timezone: "Asia/Tehran",
      previousTimezone: "UTC",
      timezoneFrom: at("2026-12-02T20:30:00Z"),
    });
  });

  it("cancels a pending change when the owner goes back to the timezone in effect", () => {
    const pending = { timezone: "Asia/Tehran", previousTimezone: "UTC", timezoneFrom: at("2026-12-02T20:30:00Z") };
    expect(changeTimezone(pending, null, at("2026-12-02T10:00:00Z"))).toEqual({
      timezone: "UTC",
      previousTimezone: null,
      timezoneFrom: null,
    });
  });

  it("never gives a real instant a day key that a day counted before it would not reach (no fresh day mid-day)", () => {
    const zones = ["UTC", "Asia/Tehran", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Paris"];
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
        fc.constantFrom(...zones),
        fc.constantFrom(...zones),
        (now, from, to) => {
          const change = changeTimezone({ timezone: from }, to, now);
          const settings = {
            timezone: change.timezone,
            previousTimezone: change.previousTimezone ?? undefined,
            timezoneFrom: change.timezoneFrom ?? undefined,
          };
          // Until the switch the day key is the one before the change; right after it, a new day starts.
          expect(localDay(now, effectiveTimezone(settings, now))).toBe(localDay(now, from));
          if (change.timezoneFrom !== null) {
            const switchAt = change.timezoneFrom;
            expect(localDay(switchAt - 1, effectiveTimezone(settings, switchAt - 1))).toBe(localDay(switchAt - 1, from));
            // The first new day starts at its own midnight: the previous instant is another day in the new timezone.
            expect(localDay(switchAt - 1, to) < localDay(switchAt, to)).toBe(true);
          }
        },
      ),
    );
  });
});
