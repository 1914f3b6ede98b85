/**
 * The limits part of sendMessage: the worst case of a production message is held against the
 * agent's limits (and a development message counted against the free cap) before the agent is
 * called, then settled to the real cost, or released when the call failed.
 */
import { localDay, localMonth } from "../base/periods";
import { worstCaseCostMicros } from "../domain/pricing";
import { countChatTokens } from "../domain/tokens";
import { resourceExhausted } from "../errors";
import { logFailure } from "../logs";
import { agentTimezone } from "../store/agents";
import { recordFailure } from "../store/ledger";
import { releaseSpend, reserveSpend, settleSpend, type SpendWindowKeys } from "../store/spend";
import { failureIds, type Prepared, type SendMessageDeps } from "./send-message-context";

/** What a message holds against the agent's spend windows while the agent runs. */
export interface Hold {
  windows: SpendWindowKeys;
  reservedMicros: number;
}

const spendIds = (p: Prepared, hold: Hold) => ({
  agentId: p.req.agentId,
  reservationId: p.id,
  mode: p.req.testMode,
  windows: hold.windows,
  reservedMicros: hold.reservedMicros,
});

const REFUSALS = {
  "daily-limit": "daily spending limit",
  "monthly-limit": "monthly spending limit",
  "dev-daily-cap": "daily development message cap",
} as const;

/**
 * Holds the message's worst case, or refuses it with resource-exhausted (the agent is not called).
 * Production messages of an agent without limits skip this: nothing to enforce, and no
 * transaction on the hot path.
 */
export async function holdSpend(deps: SendMessageDeps, p: Prepared): Promise<Hold | null> {
  const billing = p.agent.billing ?? {};
  const limits = { dailyMicros: billing.dailyLimitMicros ?? null, monthlyMicros: billing.monthlyLimitMicros ?? null };
  const production = p.req.testMode === "production";
  if (production && limits.dailyMicros === null && limits.monthlyMicros === null) return null;
  const now = deps.now();
  const tz = agentTimezone(p.agent);
  const windows = { day: localDay(now, tz), month: localMonth(now, tz) };
  const amountMicros = production && p.price ? worstCaseCostMicros(countChatTokens(p.messages, p.model), p.maxTokens, p.price.price) : 0;
  const outcome = await reserveSpend(deps.db, {
    agentId: p.req.agentId,
    reservationId: p.id,
    mode: p.req.testMode,
    amountMicros,
    limits,
    devDailyMessageCap: deps.devDailyMessageCap,
    windows,
    now,
    ttlMs: deps.claimTtlMs,
  });
  if (outcome.ok) return { windows, reservedMicros: amountMicros };
  throw resourceExhausted(`This message would exceed the agent's ${REFUSALS[outcome.reason]}; the agent was not called.`, { ...outcome });
}

/** Gives a hold back after a failed agent call. */
export async function releaseHold(deps: SendMessageDeps, p: Prepared, hold: Hold | null): Promise<void> {
  if (hold) await releaseSpend(deps.db, spendIds(p, hold));
}

/**
 * Settles a hold to the real cost. The message is already recorded, so a settle that fails twice
 * does not fail the call: it is kept in billing_failures (stage "settle") for the alerts.
 */
export async function settleHold(deps: SendMessageDeps, p: Prepared, hold: Hold | null, actualMicros: number): Promise<void> {
  if (!hold) return;
  const settle = () => settleSpend(deps.db, { ...spendIds(p, hold), actualMicros });
  try {
    await settle().catch(settle);
  } catch (err) {
    logFailure("settle", failureIds(p), err);
    const reason = "settling the spending-limit hold failed";
    await recordFailure(deps.db, { ...failureIds(p), stage: "settle", reason, charged: true, costMicros: actualMicros }, deps.now());
  }
}
