/** The account's totals over the range: production (billed) and development (free, at list price) apart. */
import { Figure } from "../../shared/components/ui";
import { formatCount, formatUsd } from "../../shared/format";
import type { AccountOverview } from "./types";

export function TotalsFigures({ overview }: { overview: AccountOverview }) {
  const t = overview.totals;
  return (
    <div className="figures">
      <Figure label="Production cost" value={formatUsd(t.costMicros)} hint={`billed, ${overview.from} to ${overview.to}`} />
      <Figure label="Production messages" value={formatCount(t.messages)} />
      <Figure label="Production tokens" value={formatCount(t.tokens)} hint={`${formatCount(t.cachedTokens)} cached prompt tokens`} />
      <Figure label="Development messages" value={formatCount(t.devMessages)} hint="free" />
      <Figure label="Development, would cost" value={formatUsd(t.devShadowCostMicros)} hint="at list price, not billed" />
    </div>
  );
}
