/** The range's usage by model (any agent), billed and free apart, dearest first. */
import { Card } from "../../shared/components/ui";
import { formatCount, formatUsd } from "../../shared/format";
import type { AccountOverview } from "./types";

export function ModelsTable({ overview }: { overview: AccountOverview }) {
  const t = overview.totals;
  return (
    <Card title="By model">
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Billed messages</th>
              <th scope="col">Billed tokens</th>
              <th scope="col">Billed cost</th>
              <th scope="col">Free messages</th>
              <th scope="col">Free, would cost</th>
            </tr>
          </thead>
          <tbody>
            {overview.byModel.map((m) => (
              <tr key={m.model}>
                <th scope="row">{m.model}</th>
                <td>{formatCount(m.production.messages)}</td>
                <td>{formatCount(m.production.totalTokens)}</td>
                <td>{formatUsd(m.production.costMicros)}</td>
                <td>{formatCount(m.development.messages)}</td>
                <td>{formatUsd(m.development.shadowCostMicros)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All models</th>
              <td>{formatCount(t.messages)}</td>
              <td>{formatCount(t.tokens)}</td>
              <td>{formatUsd(t.costMicros)}</td>
              <td>{formatCount(t.devMessages)}</td>
              <td>{formatUsd(t.devShadowCostMicros)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </Card>
  );
}
