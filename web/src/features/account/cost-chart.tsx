/** Cost per UTC day of the range, billed and free (at list price) stacked. */
import { StackedBars } from "../../shared/components/charts";
import type { AccountOverview } from "./types";

export function CostPerDayChart({ days }: { days: AccountOverview["days"] }) {
  return (
    <StackedBars
      title="Cost per UTC day by mode"
      unit="micros"
      rows={days.map((d) => ({ period: d.day, billed: d.costMicros, free: d.devShadowCostMicros }))}
      series={[
        { key: "billed", label: "Production (billed)", color: "#b42318" },
        { key: "free", label: "Development (free, would cost)", color: "#1d7a55" },
      ]}
    />
  );
}
