/**
 * quoteMessage: the worst-case cost of the owner's next message (what its hold would reserve, from
 * the same domain functions as sendMessage: domain/message-quote.ts) and what is left of the
 * agent's daily and monthly limits now. It writes nothing.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { LimitWindow } from "../contract/billing-info";
import type { QuoteMessageRequest, QuoteMessageResponse } from "../contract/console";
import { quoteMessage } from "../domain/message-quote";
import { loadAgentFor } from "../store/agents";
import { readLimitWindows } from "../store/limit-windows";

const fitsIn = (hold: number, w: LimitWindow) => w.limitMicros === null || w.spentMicros + w.reservedMicros + hold <= w.limitMicros;

export async function handleQuoteMessage(db: Firestore, uid: string, req: QuoteMessageRequest, now: number): Promise<QuoteMessageResponse> {
  const agent = await loadAgentFor(db, req.agentId, uid, "seeCosts");
  const quote = quoteMessage(agent, req.message ?? "", req.maxTokens);
  const testMode = req.testMode ?? "production";
  const { timezone, daily, monthly } = await readLimitWindows(db, req.agentId, agent, now);
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
