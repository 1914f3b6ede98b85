/** The backend's suggestions from the owner's own figures, each with its estimated saving a month when it has one. */
import { Card } from "../../shared/components/ui";
import { formatUsd } from "../../shared/format";
import { hrefOf } from "../../shared/hooks/use-route";
import type { AccountInsight } from "./types";

const KIND_NAMES: Record<AccountInsight["kind"], string> = {
  "forecast-over-limit": "Monthly limit ahead",
  "cheaper-model": "A cheaper model",
  "low-cache-share": "Prompt cache",
  "cost-per-message-rising": "Cost per message rising",
  "development-heavy": "Heavy development use",
};

function InsightItem({ insight }: { insight: AccountInsight }) {
  return (
    <li className="insight" aria-label={KIND_NAMES[insight.kind]}>
      <div className="insight-kind">{KIND_NAMES[insight.kind]}</div>
      <p>{insight.message}</p>
      <div className="insight-footer">
        {insight.estimatedSavingsMicros !== undefined ? (
          <span className="insight-saving">Estimated saving: {formatUsd(insight.estimatedSavingsMicros)} a month</span>
        ) : null}
        {insight.agentId ? <a href={hrefOf({ page: "analytics", agentId: insight.agentId })}>Analytics of the agent</a> : null}
      </div>
    </li>
  );
}

export function InsightsList({ insights }: { insights: AccountInsight[] }) {
  return (
    <Card title="Insights">
      {insights.length === 0 ? (
        <p className="muted">Nothing to suggest from this range&apos;s figures.</p>
      ) : (
        <ul className="insights">
          {insights.map((insight, i) => (
            <InsightItem key={`${insight.kind}:${insight.agentId ?? i}`} insight={insight} />
          ))}
        </ul>
      )}
    </Card>
  );
}
