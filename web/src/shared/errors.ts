/**
 * What the console says about a failed call: the backend's error codes turned into the states the
 * owner must tell apart (limit reached, unpriced model, paused agent, agent failure, rate limited),
 * and invalid-argument messages ("field: problem") placed at their field.
 */

/** A failure as the client SDK reports it (BillingClientError's shape). */
export interface CallError {
  code: string;
  message: string;
  details?: unknown;
}

export type FailureKind = "limit" | "rate-limited" | "unpriced" | "paused" | "agent-failure" | "invalid" | "other";

export interface Failure {
  kind: FailureKind;
  title: string;
  message: string;
  /** Seconds until a rate-limited caller may retry. */
  retryInSeconds?: number;
}

/** The backend's message without what the transport appends (the web SDK adds " [400]" or "(functions/…)"). */
const cleaned = (message: string) => message.replace(/\s*\[\d{3}\]$/, "").replace(/\s*\(functions\/[\w-]+\)\.?$/, "");

const asCallError = (err: unknown): CallError =>
  err && typeof err === "object" && "code" in err
    ? { ...(err as CallError), message: cleaned(String((err as CallError).message ?? "")) }
    : { code: "unknown", message: cleaned(err instanceof Error ? err.message : String(err)) };

const detail = (details: unknown, key: string): unknown =>
  details && typeof details === "object" ? (details as Record<string, unknown>)[key] : undefined;

const LIMIT_NAMES: Record<string, string> = {
  "daily-limit": "daily spending limit",
  "monthly-limit": "monthly spending limit",
  "dev-daily-cap": "daily cap of free development messages",
};

/** The state to show for a failed sendMessage (or any call). */
export function describeFailure(err: unknown): Failure {
  const e = asCallError(err);
  if (e.code === "resource-exhausted") {
    const retryAfterMs = detail(e.details, "retryAfterMs");
    if (typeof retryAfterMs === "number") {
      const retryInSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      return { kind: "rate-limited", title: "Rate limited", message: `Too many messages: retry in ${retryInSeconds} s.`, retryInSeconds };
    }
    const reason = detail(e.details, "reason");
    const which = typeof reason === "string" ? (LIMIT_NAMES[reason] ?? reason) : "limit";
    return {
      kind: "limit",
      title: "Limit reached",
      message: `Refused: this message would exceed the agent's ${which}. The agent was not called and nothing was billed.`,
    };
  }
  if (e.code === "failed-precondition") {
    if (/paused/i.test(e.message)) return { kind: "paused", title: "Agent paused", message: `${e.message} Resume it on the Agents page.` };
    if (/no price/i.test(e.message)) return { kind: "unpriced", title: "Unpriced model", message: `${e.message} Development stays free.` };
  }
  if (e.code === "unavailable" || e.code === "deadline-exceeded") {
    return {
      kind: "agent-failure",
      title: "Agent failure",
      message: "The agent service failed or timed out: nothing was billed. You can send the message again.",
    };
  }
  if (e.code === "invalid-argument") return { kind: "invalid", title: "Invalid input", message: e.message };
  return { kind: "other", title: "Something went wrong", message: `${e.message} (${e.code})` };
}

/**
 * The field an invalid-argument message names and its problem: `"dailyLimitUsd: must not be
 * negative"` -> `{ dailyLimitUsd: "must not be negative" }`; empty for any other error.
 */
/** A refused form's errors: an invalid-argument message at its field, anything else for the whole form (`form`). */
export function formErrors(err: unknown): Record<string, string> {
  const found = fieldErrors(err);
  return Object.keys(found).length ? found : { form: (err as Error).message };
}

export function fieldErrors(err: unknown): Record<string, string> {
  const e = asCallError(err);
  if (e.code !== "invalid-argument") return {};
  const match = /^([A-Za-z][\w.]*): (.+)$/s.exec(e.message);
  return match ? { [match[1]]: match[2] } : { form: e.message };
}
