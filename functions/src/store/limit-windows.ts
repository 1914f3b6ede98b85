/** An agent's spending-limit windows now: its day and month in its timezone, with spent, held and what is left. */
import type { Firestore } from "firebase-admin/firestore";
import type { LimitWindow } from "../contract/billing-info";
import { localDay, localMonth } from "../base/periods";
import type { SpendUsage } from "../domain/admission";
import { agentTimezone, type AgentDoc } from "./agents";
import { readSpend } from "./spend";

function limitWindow(window: string, limit: number | null | undefined, spent: number, reserved: number): LimitWindow {
  const limitMicros = limit ?? null;
  const remainingMicros = limitMicros === null ? null : Math.max(0, limitMicros - spent - reserved);
  return { window, limitMicros, spentMicros: spent, reservedMicros: reserved, remainingMicros };
}

/** The agent's daily and monthly windows at `now` (one read of its spend shards), and the usage they come from. */
export async function readLimitWindows(
  db: Firestore,
  agentId: string,
  agent: AgentDoc,
  now: number,
): Promise<{ timezone: string; daily: LimitWindow; monthly: LimitWindow; usage: SpendUsage }> {
  const timezone = agentTimezone(agent, now);
  const windows = { day: localDay(now, timezone), month: localMonth(now, timezone) };
  const usage = await readSpend(db, agentId, windows, now);
  const billing = agent.billing ?? {};
  return {
    timezone,
    daily: limitWindow(windows.day, billing.dailyLimitMicros, usage.daySpentMicros, usage.dayReservedMicros),
    monthly: limitWindow(windows.month, billing.monthlyLimitMicros, usage.monthSpentMicros, usage.monthReservedMicros),
    usage,
  };
}
