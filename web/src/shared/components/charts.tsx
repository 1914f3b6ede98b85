/**
 * The console's charts, wrapping Recharts once so the library can be swapped without touching a
 * screen. Each chart is an image with a text alternative (its figures) for screen readers.
 */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount, formatUsd } from "../format";

export interface StackedSeries {
  key: string;
  label: string;
  color: string;
}

interface StackedBarsProps {
  title: string;
  /** One row per period: `period` and an integer per series key. */
  rows: ({ period: string } & Record<string, number | string>)[];
  series: StackedSeries[];
  /** Money (micros, shown in USD) or counts. */
  unit: "micros" | "count";
}

const fmt = (unit: StackedBarsProps["unit"]) => (value: number) => (unit === "micros" ? formatUsd(value) : formatCount(value));

/** Bars per period, stacked by series (cost by mode, tokens by type). */
export function StackedBars({ title, rows, series, unit }: StackedBarsProps) {
  const format = fmt(unit);
  const summary = series.map((s) => `${s.label} ${format(rows.reduce((sum, r) => sum + Number(r[s.key] ?? 0), 0))}`).join(", ");
  return (
    <figure className="chart" role="img" aria-label={`${title}: ${summary}`}>
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="period" fontSize={12} />
            <YAxis
              fontSize={12}
              width={80}
              tickFormatter={(v: number) => (unit === "micros" ? formatUsd(Math.round(v)) : formatCount(v))}
            />
            <Tooltip formatter={(v) => format(Number(v))} />
            <Legend />
            {series.map((s) => (
              <Bar key={s.key} dataKey={s.key} name={s.label} stackId="a" fill={s.color} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
