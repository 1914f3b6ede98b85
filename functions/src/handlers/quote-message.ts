/**
 * quoteMessage: the worst-case cost of the owner's next message (what its hold would reserve, from
 * the same domain functions as sendMessage: domain/message-quote.ts) and what is left of the
 * agent's daily and monthly limits now. It writes nothing.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { LimitWindow } from "../contract/billing-info";
import type { QuoteMessageRequest, QuoteMessageResponse } from "../contract/console";
import { localDay, localMonth } from "../base/periods";
import { quoteMessage } from "../domain/message-quote";
import { agentTimezone, loadOwnedAgent } from "../store/agents";
import { readSpend } from "../store/spend";

function limitWindow(window: string, limitMicros: number | null, spent: number, reserved: number): LimitWindow {
  const remainingMicros = limitMicros === null ? null : Math.max(0, limitMicros - spent - reserved);
  return { window, limitMicros, spentMicros: spent, reservedMicros: reserved, remainingMicros };
}

const fitsIn = (hold: number, w: LimitWindow) => w.limitMicros === null || w.spentMicros + w.reservedMicros + hold <= w.limitMicros;

export async function handleQuoteMessage(db: Firestore, uid: string, req: QuoteMessageRequest, now: number): Promise<QuoteMessageResponse> {
  const agent = await loadOwnedAgent(db, req.agentId, uid);
  const quote = quoteMessage(agent, req.message ?? "", req.maxTokens);
  const testMode = req.testMode ?? "production";
  const timezone = agentTimezone(agent, now);
  const windows = { day: localDay(now, timezone), month: localMonth(now, timezone) };
  const usage = await readSpend(db, req.agentId, windows, now);
  const billing = agent.billing ?? {};
  const daily = limitWindow(windows.day, billing.dailyLimitMicros ?? null, usage.daySpentMicros, usage.dayReservedMicros);
  const monthly = limitWindow(windows.month, billing.monthlyLimitMicros ?? null, usage.monthSpentMicros, usage.monthReservedMicros);
  const holdMicros = testMode === "production" ? (quote.worstCaseMicros ?? 0) : 0;
  return {
    agentId: req.agentId,
    model: quote.model,
    status: agent.status === "paused" ? "paused" : "active",
    testMode,
    price: quote.price && {
      inputMicrosPerMTok: quote.price.inputMicrosPerMTok,
      cachedInputMicrosPerMTok: quote.price.cachedInputMicrosPerMTok,
      outputMicrosPerMTok: quote.price.outputMicrosPerMTok,
    },
    priceVersion: quote.priceVersion,
    promptTokens: quote.promptTokens,
    bound: quote.bound,
    worstCaseMicros: quote.worstCaseMicros,
    holdMicros,
    timezone,
    daily,
    monthly,
    fits: fitsIn(holdMicros, daily) && fitsIn(holdMicros, monthly),
  };
}
