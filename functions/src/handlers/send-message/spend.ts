/**
 * The limits part of sendMessage, checked once a new message is claimed and before the agent is
 * called: first the caller's own limits (rate limit, free development messages per user), then the
 * agent's: the worst case of a production message is held against its spending limits (a
 * development message counted against its free cap). The hold ends with the ledger row, in the
 * same write (store/ledger.ts), or is given back by the undo when nothing is billed.
 */
import { worstCaseCostMicros } from "../../domain/pricing";
import { resourceExhausted } from "../../errors";
import { enforceDevUserCap, enforceRateLimit, releaseDevUserCount } from "../../store/rate-limit";
import { admit, releaseHold, type SpendEntry } from "../../store/spend";
import type { PreparedMessage, SendMessageDeps } from "./context";

/** What an admitted message holds until its row is written, or gives back when it is undone. */
export interface Admission {
  /** Its hold on the agent's spend windows (every admitted message has one). */
  spend: SpendEntry;
  /** The UTC day of the caller's development counter it was counted in; null when not counted. */
  devUserDay: string | null;
}

const REFUSALS = {
  "daily-limit": "daily spending limit",
  "monthly-limit": "monthly spending limit",
  "dev-daily-cap": "daily development message cap",
} as const;

/**
 * Counts the message against the caller's own limits, or refuses it with resource-exhausted (the
 * agent is not called): the rate limit for every message, the per-user cap for development ones.
 *
 * @returns the UTC day the development message was counted on, or null.
 */
async function enforceUserLimits(deps: SendMessageDeps, message: PreparedMessage): Promise<string | null> {
  const limits = deps.userLimits;
  if (!limits) return null;
  await enforceRateLimit(deps.db, message.uid, { perMinute: limits.perMinute, burst: limits.burst }, deps.now());
  if (message.req.testMode !== "development") return null;
  return enforceDevUserCap(deps.db, message.uid, limits.devDailyUserCap, deps.now());
}

/** The worst case a production message holds: its bounded prompt and `maxTokens` at the model's price. */
const worstCase = (message: PreparedMessage) =>
  message.req.testMode === "production" && message.price
    ? worstCaseCostMicros(message.bound.promptTokens, message.bound.completionTokens, message.price.price)
    : 0;

/**
 * Admits the message or refuses it with resource-exhausted (the agent is not called). Every
 * production message holds its worst case, even on an agent without limits (one blind write, no
 * read), so that a limit set while it runs still counts it; limits and the development cap are then
 * checked by one read of the agent's spend shards (domain/admission.ts). A refusal gives back what
 * this call counted.
 */
export async function admitMessage(deps: SendMessageDeps, message: PreparedMessage): Promise<Admission> {
  const devUserDay = await enforceUserLimits(deps, message);
  const billing = message.agent.billing ?? {};
  const limits = { dailyMicros: billing.dailyLimitMicros ?? null, monthlyMicros: billing.monthlyLimitMicros ?? null };
  const production = message.req.testMode === "production";
  const spend: SpendEntry = {
    agentId: message.req.agentId,
    reservationId: message.id,
    mode: message.req.testMode,
    windows: message.windows,
  };
  try {
    const outcome = await admit(deps.db, {
      ...spend,
      amountMicros: worstCase(message),
      limits,
      devDailyMessageCap: deps.devDailyMessageCap,
      now: message.at,
      expiresAt: message.at + deps.claimTtlMs,
      checkLimits: !production || limits.dailyMicros !== null || limits.monthlyMicros !== null,
    });
    if (!outcome.ok) {
      throw resourceExhausted(`This message would exceed the agent's ${REFUSALS[outcome.reason]}; the agent was not called.`, {
        ...outcome,
      });
    }
  } catch (err) {
    if (devUserDay) await releaseDevUserCount(deps.db, message.uid, devUserDay);
    throw err;
  }
  return { spend, devUserDay };
}

/** Gives back what an admitted message holds: its spend hold and its development count. */
export async function giveBack(deps: SendMessageDeps, message: PreparedMessage, admission: Admission | null): Promise<void> {
  if (!admission) return;
  await releaseHold(deps.db, admission.spend);
  if (admission.devUserDay) await releaseDevUserCount(deps.db, message.uid, admission.devUserDay);
}
