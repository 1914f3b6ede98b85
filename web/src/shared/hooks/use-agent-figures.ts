/**
 * An agent's spend windows and its live figures: getBillingInfo says which local day and month
 * are the agent's now (its timezone in effect) and its limits; the daily buckets of that month,
 * watched live, give today's and the month's cost. The limits' spent figures come from the spend
 * windows (updated with each ledger row), so they are refetched whenever the buckets move.
 */
import type { DayUsage, GetBillingInfoResponse, ModeFigures } from "@agent-billing/client";
import { useEffect, useMemo } from "react";
import { getBackend } from "../firebase";
import { useCall } from "./use-call";
import { useDailyUsage } from "./use-live";

export interface AgentFigures {
  info: GetBillingInfoResponse | null;
  today: DayUsage | null;
  month: { production: ModeFigures; development: ModeFigures } | null;
  days: DayUsage[];
  error: unknown;
  reload: () => void;
}

const lastDayOf = (month: string) => `${month}-31`;

function addModes(days: DayUsage[], mode: "production" | "development"): ModeFigures {
  const out = { messages: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, totalTokens: 0, costMicros: 0, shadowCostMicros: 0 };
  for (const d of days) for (const k of Object.keys(out) as (keyof ModeFigures)[]) out[k] += d[mode][k];
  return out;
}

export function useAgentFigures(uid: string, agentId: string): AgentFigures {
  const info = useCall(() => getBackend().billing.getBillingInfo(agentId), [agentId]);
  const monthKey = info.data?.limits.monthly.window;
  const range = monthKey ? { from: `${monthKey}-01`, to: lastDayOf(monthKey) } : null;
  const daily = useDailyUsage(uid, agentId, range);
  const { reload } = info;
  const stamp = daily.data.map((d) => `${d.day}:${d.production.messages}:${d.development.messages}`).join(",");
  useEffect(() => {
    if (stamp) reload();
  }, [stamp, reload]);
  return useMemo(() => {
    const day = info.data?.limits.daily.window;
    const today = daily.data.find((d) => d.day === day) ?? null;
    const month = info.data ? { production: addModes(daily.data, "production"), development: addModes(daily.data, "development") } : null;
    return { info: info.data, today, month, days: daily.data, error: info.error ?? daily.error, reload };
  }, [info.data, info.error, daily.data, daily.error, reload]);
}
