/**
 * setAgentBillingSettings: the request schema and the stored settings it returns. An omitted field
 * is left as it is, `null` clears it (a cleared timezone falls back to UTC).
 */
import { z } from "zod";
import { usdToMicros } from "../base/money";
import { isValidTimezone } from "../base/periods";
import { webhookUrlProblem } from "../base/webhook-url";
import { idSchema } from "./common";

/** E.164: a "+", a country code not starting with 0, at most 15 digits in all. */
export const E164 = /^\+[1-9][0-9]{6,14}$/;

/** The largest USD amount whose micros are a safe integer. */
const MAX_USD = Math.floor(Number.MAX_SAFE_INTEGER / 1_000_000);

/** A non-negative USD amount (limits of the settings and of agent API keys), converted exactly to integer micro-USD (never rounded). */
export const usdAmount = z.number({ error: "must be a number of USD" }).transform((usd, ctx) => {
  if (usd < 0) {
    ctx.addIssue({ code: "custom", message: "must not be negative" });
    return z.NEVER;
  }
  if (usd > MAX_USD) {
    ctx.addIssue({ code: "custom", message: `must be at most ${MAX_USD} USD` });
    return z.NEVER;
  }
  try {
    return usdToMicros(usd);
  } catch {
    // The only refusal left for a finite, non-negative, bounded number: sub-micro precision.
    ctx.addIssue({ code: "custom", message: "must have at most 6 decimal places (whole micro-USD)" });
    return z.NEVER;
  }
});

/** Options that depend on where the function runs. */
export interface SettingsSchemaOptions {
  /** Accept `http://127.0.0.1` / `http://localhost` webhooks: only under the Functions emulator. */
  allowLoopbackWebhooks: boolean;
}

/** The strict request schema; money fields come out as micros (`dailyLimitUsd` -> micros). */
export function settingsRequestSchema(options: SettingsSchemaOptions) {
  const webhookUrl = z.string({ error: "must be a string" }).superRefine((url, ctx) => {
    const problem = webhookUrlProblem(url, { allowLoopbackHttp: options.allowLoopbackWebhooks });
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
  return z.strictObject({
    agentId: idSchema,
    dailyLimitUsd: usdAmount.nullable().optional(),
    monthlyLimitUsd: usdAmount.nullable().optional(),
    dailyAlertUsd: usdAmount.nullable().optional(),
    timezone: z
      .string({ error: "must be a string" })
      .refine(isValidTimezone, { error: 'must be an IANA time zone such as "Europe/Paris" or "UTC"' })
      .nullable()
      .optional(),
    alertEmail: z.email({ error: "must be an email address" }).max(254, { error: "must be at most 254 characters" }).nullable().optional(),
    alertPhone: z
      .string({ error: "must be a string" })
      .regex(E164, { error: 'must be an E.164 phone number: "+", the country code and the number, digits only, e.g. "+15551234567"' })
      .nullable()
      .optional(),
    webhookUrl: webhookUrl.nullable().optional(),
  });
}

/** A parsed request: USD fields already converted to micros. */
export type SetAgentBillingSettingsRequest = z.output<ReturnType<typeof settingsRequestSchema>>;

/** The settings as stored, money both in micros and as display USD; null means not set. */
export interface BillingSettingsView {
  agentId: string;
  dailyLimitMicros: number | null;
  dailyLimitUsd: number | null;
  monthlyLimitMicros: number | null;
  monthlyLimitUsd: number | null;
  dailyAlertMicros: number | null;
  dailyAlertUsd: number | null;
  /** The timezone chosen for the agent's days and months; "UTC" when none is set. */
  timezone: string;
  /**
   * The timezone days and months are counted in now: a change takes effect at the new timezone's
   * next midnight, so until `timezoneFrom` this is still the previous one.
   */
  timezoneInEffect: string;
  /** When a pending timezone change takes effect (ISO-8601), or null when none is pending. */
  timezoneFrom: string | null;
  alertEmail: string | null;
  alertPhone: string | null;
  webhookUrl: string | null;
}
