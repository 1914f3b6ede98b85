/** The range's usage by model (any agent), billed and free apart, dearest first. */
import { ModelTable } from "../../shared/components/model-table";
import type { AccountOverview } from "./types";

export function ModelsTable({ overview }: { overview: AccountOverview }) {
  const t = overview.totals;
  const total = {
    production: { messages: t.messages, totalTokens: t.tokens, costMicros: t.costMicros },
    development: { messages: t.devMessages, shadowCostMicros: t.devShadowCostMicros },
  };
  return <ModelTable title="By model" models={overview.byModel} total={total} />;
}
