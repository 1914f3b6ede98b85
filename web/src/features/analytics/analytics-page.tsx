/**
 * AgentAnalytics: usage by day, week or month over a range of the agent's local days (its timezone
 * shown), cost by mode and tokens by type over time, figures, breakdowns, history and export.
 */
import type { AgentView, SeriesPoint, UsageAnalyticsResponse } from "@agent-billing/client";
import { useEffect, useState } from "react";
import { StackedBars } from "../../shared/components/charts";
import { Card, FailureNotice, Figure } from "../../shared/components/ui";
import { addDays, projectToMonthEnd } from "../../shared/days";
import { describeFailure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { formatCount, formatPercent, formatUsd } from "../../shared/format";
import { useAgentFigures } from "../../shared/hooks/use-agent-figures";
import { useCall } from "../../shared/hooks/use-call";
import { ModelTable } from "../../shared/components/model-table";
import { ExportButtons } from "./export-buttons";
import { History } from "./history";

type Granularity = "day" | "week" | "month";

export function AnalyticsPage({ uid, agent }: { uid: string; agent: AgentView }) {
  const figures = useAgentFigures(uid, agent.agentId);
  const today = figures.info?.limits.daily.window ?? null;
  const [granularity, setGranularity] = useState<Granularity>("day");
  const [range, setRange] = useState<{ from: string; to: string } | null>(null);
  useEffect(() => {
    if (today && !range) setRange({ from: addDays(today, -29), to: today });
  }, [today, range]);
  const analytics = useCall<UsageAnalyticsResponse>(
    range ? () => getBackend().billing.getUsageAnalytics({ agentId: agent.agentId, granularity, from: range.from, to: range.to }) : null,
    [agent.agentId, granularity, range?.from, range?.to],
  );
  const data = analytics.data;
  const limits = figures.info?.limits;
  const monthToDate = limits?.monthly.spentMicros ?? 0;
  const production = data?.breakdown.byMode.production;
  return (
    <div className="analytics">
      <h1>
        Analytics of {agent.name} <span className="muted">({agent.model})</span>
      </h1>
      <form className="inline-form" aria-label="Range" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="granularity">Period</label>
          <select id="granularity" value={granularity} onChange={(e) => setGranularity(e.target.value as Granularity)}>
            <option value="day">Day</option>
            <option value="week">Week (ISO)</option>
            <option value="month">Month</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="from">From</label>
          <input
            id="from"
            type="date"
            value={range?.from ?? ""}
            onChange={(e) => e.target.value && setRange((r) => r && { ...r, from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="to">To</label>
          <input
            id="to"
            type="date"
            value={range?.to ?? ""}
            onChange={(e) => e.target.value && setRange((r) => r && { ...r, to: e.target.value })}
          />
        </div>
        <p className="timezone" aria-label="Timezone">
          Days in <strong>{data?.timezone ?? limits?.timezone ?? "…"}</strong> (the agent&apos;s timezone)
        </p>
      </form>
      {analytics.error ? <FailureNotice failure={describeFailure(analytics.error)} /> : null}
      <div className="figures">
        <Figure label="Spend today" value={limits ? formatUsd(limits.daily.spentMicros) : "…"} hint={limits?.daily.window} />
        <Figure label="Month to date" value={limits ? formatUsd(monthToDate) : "…"} hint={limits?.monthly.window} />
        <Figure
          label="Projected month end"
          value={limits && today ? formatUsd(projectToMonthEnd(monthToDate, today)) : "…"}
          hint={limits?.monthly.limitMicros != null ? `monthly limit ${formatUsd(limits.monthly.limitMicros)}` : "no monthly limit"}
        />
        <Figure
          label="Billed in range"
          value={data ? formatUsd(data.totals.costMicros) : "…"}
          hint={data ? `${formatCount(data.totals.messages)} messages` : undefined}
        />
        <Figure
          label="Cost per message"
          value={data?.efficiency.costPerMessageMicros != null ? formatUsd(data.efficiency.costPerMessageMicros) : "—"}
        />
        <Figure
          label="Cost per 1K tokens"
          value={data?.efficiency.costPer1kTokensMicros != null ? formatUsd(data.efficiency.costPer1kTokensMicros) : "—"}
        />
        <Figure
          label="Cached share of prompt"
          value={production ? formatPercent(production.promptTokens ? production.cachedTokens / production.promptTokens : null) : "—"}
        />
        <Figure
          label="Free usage, would cost"
          value={data ? formatUsd(data.efficiency.developmentShadowCostMicros) : "…"}
          hint={data ? `${formatCount(data.totals.development.messages)} development messages` : undefined}
        />
      </div>
      {data ? (
        <div className="charts">
          <StackedBars
            title={`Cost per ${granularity} by mode`}
            unit="micros"
            rows={data.series.map((p) => ({ period: p.period, billed: p.costMicros, free: p.development.shadowCostMicros }))}
            series={[
              { key: "billed", label: "Production (billed)", color: "#b42318" },
              { key: "free", label: "Development (free, would cost)", color: "#1d7a55" },
            ]}
          />
          <CostByModel series={data.series} granularity={granularity} />
          <StackedBars
            title={`Billed tokens per ${granularity} by type`}
            unit="count"
            rows={data.series.map((p) => ({ period: p.period, prompt: p.promptTokens, completion: p.completionTokens }))}
            series={[
              { key: "prompt", label: "Prompt", color: "#3656a8" },
              { key: "completion", label: "Completion", color: "#c27c0e" },
            ]}
          />
        </div>
      ) : analytics.loading ? (
        <p>Loading analytics…</p>
      ) : null}
      {data ? <ModelTable title="Breakdown by model and mode" models={data.breakdown.byModel} total={data.breakdown.byMode} /> : null}
      {range ? (
        <Card title="Export">
          <p className="muted">
            Every message from {range.from} to {range.to}, streamed by exportBillingReport.
          </p>
          <ExportButtons agentId={agent.agentId} from={range.from} to={range.to} />
        </Card>
      ) : null}
      {range ? <History agentId={agent.agentId} from={range.from} to={range.to} /> : null}
    </div>
  );
}

/** Colours of the models, in name order (a palette that keeps its contrast on white). */
const MODEL_COLORS = ["#b42318", "#3656a8", "#1d7a55", "#c27c0e", "#6b3fa0", "#0e7490", "#9d174d", "#4b5563"];

/** Billed cost per period, stacked by model (keys are indexes: model names may hold dots, which chart keys read as paths). */
function CostByModel({ series, granularity }: { series: SeriesPoint[]; granularity: string }) {
  const models = [...new Set(series.flatMap((p) => p.byModel.map((m) => m.model)))].sort();
  const rows = series.map((p) => {
    const row: { period: string } & Record<string, number | string> = { period: p.period };
    for (const m of p.byModel) row[`m${models.indexOf(m.model)}`] = m.costMicros;
    return row;
  });
  return (
    <StackedBars
      title={`Billed cost per ${granularity} by model`}
      unit="micros"
      rows={rows}
      series={models.map((model, i) => ({ key: `m${i}`, label: model, color: MODEL_COLORS[i % MODEL_COLORS.length] }))}
    />
  );
}
