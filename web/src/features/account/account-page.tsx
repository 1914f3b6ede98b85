/**
 * The owner's account (the home page): every agent at once over a range of UTC days (default this
 * month to date), from getAccountOverview: totals, cost per day, agents ranked by cost, models,
 * engagement and insights. Read on demand (Refresh asks again), never written.
 */
import { useState } from "react";
import { FailureNotice } from "../../shared/components/ui";
import { describeFailure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { useCall } from "../../shared/hooks/use-call";
import { AgentsTable } from "./agents-table";
import { CostPerDayChart } from "./cost-chart";
import { EngagementFigures } from "./engagement";
import { InsightsList } from "./insights-list";
import { ModelsTable } from "./models-table";
import { monthToDate, type DayRange } from "./range";
import { RangePicker } from "./range-picker";
import { TotalsFigures } from "./totals-figures";
import type { AccountOverview } from "./types";

function Overview({ overview }: { overview: AccountOverview }) {
  if (overview.totals.messages + overview.totals.devMessages === 0) {
    return <p className="empty">No usage in this range.</p>;
  }
  return (
    <>
      <TotalsFigures overview={overview} />
      <div className="charts">
        <CostPerDayChart days={overview.days} />
      </div>
      <InsightsList insights={overview.insights} />
      <AgentsTable overview={overview} />
      <ModelsTable overview={overview} />
      <EngagementFigures engagement={overview.engagement} />
    </>
  );
}

export function AccountPage() {
  const [range, setRange] = useState<DayRange>(() => monthToDate(new Date()));
  const overview = useCall<AccountOverview>(() => getBackend().billing.getAccountOverview(range), [range.from, range.to]);
  // An answer for another range (the one before a change) is not shown as this one's.
  const data = overview.data && overview.data.from === range.from && overview.data.to === range.to ? overview.data : null;
  return (
    <div className="account">
      <h1>Account</h1>
      <p className="muted">All your agents together: billed production usage, and free development usage at list price.</p>
      <RangePicker range={range} onChange={setRange} onRefresh={overview.reload} busy={overview.loading} />
      {overview.error ? (
        <div className="notice-row">
          <FailureNotice failure={describeFailure(overview.error)} />
          <button type="button" onClick={overview.reload}>
            Try again
          </button>
        </div>
      ) : null}
      {data && !overview.error ? <Overview overview={data} /> : null}
      {!data && overview.loading ? <p>Loading the account…</p> : null}
    </div>
  );
}
