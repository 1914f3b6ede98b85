/** Usage by model, billed and free apart, with a row for all models: the analytics breakdown and the account view. */
import { formatCount, formatUsd } from "../format";
import { Card } from "./ui";

interface ModeCells {
  production: { messages: number; totalTokens: number; costMicros: number };
  development: { messages: number; shadowCostMicros: number };
}

function Cells({ m }: { m: ModeCells }) {
  return (
    <>
      <td>{formatCount(m.production.messages)}</td>
      <td>{formatCount(m.production.totalTokens)}</td>
      <td>{formatUsd(m.production.costMicros)}</td>
      <td>{formatCount(m.development.messages)}</td>
      <td>{formatUsd(m.development.shadowCostMicros)}</td>
    </>
  );
}

export function ModelTable({ title, models, total }: { title: string; models: (ModeCells & { model: string })[]; total: ModeCells }) {
  return (
    <Card title={title}>
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
            {models.map((m) => (
              <tr key={m.model}>
                <th scope="row">{m.model}</th>
                <Cells m={m} />
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All models</th>
              <Cells m={total} />
            </tr>
          </tfoot>
        </table>
      </div>
    </Card>
  );
}
