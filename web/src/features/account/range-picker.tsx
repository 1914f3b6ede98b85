/** From and to, in UTC days: the account's days are one stretch of time whatever each agent's timezone. */
import { monthToDate, withDay, type DayRange } from "./range";

export function RangePicker({
  range,
  onChange,
  onRefresh,
  busy,
}: {
  range: DayRange;
  onChange: (r: DayRange) => void;
  onRefresh: () => void;
  busy: boolean;
}) {
  return (
    <form
      className="inline-form"
      aria-label="Range"
      onSubmit={(e) => {
        e.preventDefault();
        onRefresh();
      }}
    >
      <div className="field">
        <label htmlFor="account-from">From (UTC)</label>
        <input
          id="account-from"
          type="date"
          value={range.from}
          max={range.to}
          onChange={(e) => onChange(withDay(range, "from", e.target.value))}
        />
      </div>
      <div className="field">
        <label htmlFor="account-to">To (UTC)</label>
        <input
          id="account-to"
          type="date"
          value={range.to}
          min={range.from}
          onChange={(e) => onChange(withDay(range, "to", e.target.value))}
        />
      </div>
      <div className="field">
        <button type="button" onClick={() => onChange(monthToDate(new Date()))}>
          This month
        </button>
      </div>
      <div className="field">
        <button type="submit" disabled={busy}>
          {busy ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <p className="timezone" aria-label="Timezone">
        <strong>UTC days</strong>, both ends included: a day runs from 00:00 to 24:00 UTC for every agent, whatever its own timezone.
      </p>
    </form>
  );
}
