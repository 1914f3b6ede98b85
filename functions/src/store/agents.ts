/** Agents and the ownership check every callable makes. */
import type { Firestore } from "firebase-admin/firestore";
import type { ModelPrice } from "../domain/pricing";
import { effectiveTimezone, type TimezoneSettings } from "../domain/agent-timezone";
import { notFound, permissionDenied } from "../errors";
import { COLLECTIONS } from "../base/collections";

/** Billing settings of an agent; money in micro-USD. Written only by setAgentBillingSettings. */
export interface BillingSettings extends TimezoneSettings {
  dailyLimitMicros?: number | null;
  monthlyLimitMicros?: number | null;
  dailyAlertMicros?: number | null;
  alertEmail?: string | null;
  webhookUrl?: string | null;
}

/** A document of `alchemist_agents`. */
export interface AgentDoc {
  userId: string;
  name?: string;
  model?: string;
  systemPrompt?: string;
  status?: "active" | "paused";
  billing?: BillingSettings;
  /**
   * The agent's own price (set by the backend only), overriding the price book for `model` only:
   * if the agent's model changes, the price book applies again.
   */
  pricing?: ModelPrice & { model: string };
}

export { DEFAULT_TIMEZONE } from "../domain/agent-timezone";

/** The timezone the agent's local days and months are counted in at `now` (see domain/agent-timezone.ts). */
export const agentTimezone = (agent: AgentDoc, now: number) => effectiveTimezone(agent.billing, now);

/** Loads an agent and checks that `uid` owns it: not-found, then permission-denied. */
export async function loadOwnedAgent(db: Firestore, agentId: string, uid: string): Promise<AgentDoc> {
  const snap = await db.doc(`${COLLECTIONS.agents}/${agentId}`).get();
  if (!snap.exists) throw notFound(`Agent "${agentId}"`);
  const agent = snap.data() as AgentDoc;
  if (agent.userId !== uid) throw permissionDenied();
  return agent;
}
