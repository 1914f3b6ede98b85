/** The agent's raised alerts (listBillingAlerts), newest first, with more loaded on demand. */
import type { AgentView, AlertItem } from "@agent-billing/client";
import { useEffect, useState } from "react";
import { Card, FailureNotice } from "../../shared/components/ui";
import { describeFailure, type Failure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { formatUsd } from "../../shared/format";

const KIND_NAMES: Record<string, string> = {
  "daily-cost": "Daily cost over the threshold",
  "usage-anomaly": "Usage far above the usual",
  "billing-failure": "Billing failure",
  "monthly-forecast": "Month on pace to pass the monthly limit",
};

function figuresText(figures: Record<string, unknown>): string {
  return Object.entries(figures)
    .map(([key, value]) => `${key}: ${typeof value === "number" && /Micros$/.test(key) ? formatUsd(value) : String(value)}`)
    .join(", ");
}

export function AlertsPage({ agent }: { agent: AgentView }) {
  const [items, setItems] = useState<AlertItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [failure, setFailure] = useState<Failure | null>(null);
  const load = async (pageToken?: string) => {
    setLoading(true);
    try {
      const page = await getBackend().billing.listBillingAlerts({
        agentId: agent.agentId,
        pageSize: 20,
        ...(pageToken ? { pageToken } : {}),
      });
      setItems((list) => (pageToken ? [...list, ...page.items] : page.items));
      setNext(page.nextPageToken);
    } catch (err) {
      setFailure(describeFailure(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
    // Reloaded when the agent changes only.
  }, [agent.agentId]);
  return (
    <Card title={`Alerts of ${agent.name}`}>
      {failure ? <FailureNotice failure={failure} /> : null}
      {!loading && items.length === 0 ? <p>No alerts raised for this agent.</p> : null}
      {items.length ? (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Raised</th>
                <th scope="col">Kind</th>
                <th scope="col">Window</th>
                <th scope="col">Figures</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.alertId}>
                  <td>{a.createdAt ? new Date(a.createdAt).toLocaleString() : "—"}</td>
                  <td>{KIND_NAMES[a.kind] ?? a.kind}</td>
                  <td>{a.window}</td>
                  <td>{figuresText(a.figures)}</td>
                  <td>{a.delivery ? `mail ${a.delivery.mail}, webhook ${a.delivery.webhook}` : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {next ? (
        <button type="button" onClick={() => load(next)} disabled={loading}>
          Load older alerts
        </button>
      ) : null}
    </Card>
  );
}
