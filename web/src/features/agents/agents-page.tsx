/** The home page: the owner's agents with today's and this month's cost, live; create, pause and resume. */
import type { AgentView } from "@agent-billing/client";
import { useState } from "react";
import { describeFailure, type Failure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { formatUsd } from "../../shared/format";
import { useAgentFigures } from "../../shared/hooks/use-agent-figures";
import { useAgents } from "../../shared/hooks/use-live";
import { hrefOf } from "../../shared/hooks/use-route";
import { Card, FailureNotice } from "../../shared/components/ui";
import { CreateAgentForm } from "./create-agent-form";

function AgentRow({ uid, agent }: { uid: string; agent: AgentView }) {
  const figures = useAgentFigures(uid, agent.agentId);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const next = agent.status === "paused" ? "active" : "paused";
  const toggle = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await getBackend().billing.setAgentStatus({ agentId: agent.agentId, status: next });
    } catch (err) {
      setFailure(describeFailure(err));
    } finally {
      setBusy(false);
    }
  };
  const limit = figures.info?.limits.daily.limitMicros;
  return (
    <tr aria-label={`Agent ${agent.name}`}>
      <th scope="row">
        <div className="agent-name">{agent.name}</div>
        <div className="muted">{agent.agentId}</div>
      </th>
      <td>{agent.model}</td>
      <td>
        <span className={`status status-${agent.status}`}>{agent.status === "paused" ? "Paused" : "Active"}</span>
      </td>
      <td data-label="Today">
        <span>{figures.info ? formatUsd(figures.today?.production.costMicros ?? 0) : "…"}</span>
        {typeof limit === "number" ? <div className="muted">of {formatUsd(limit)} a day</div> : null}
      </td>
      <td data-label="This month">
        <span>{figures.month ? formatUsd(figures.month.production.costMicros) : "…"}</span>
      </td>
      <td className="actions">
        <a href={hrefOf({ page: "testing", agentId: agent.agentId })}>Test</a>
        <a href={hrefOf({ page: "analytics", agentId: agent.agentId })}>Analytics</a>
        <a href={hrefOf({ page: "settings", agentId: agent.agentId })}>Settings</a>
        <a href={hrefOf({ page: "alerts", agentId: agent.agentId })}>Alerts</a>
        <button type="button" onClick={toggle} disabled={busy} aria-label={`${next === "paused" ? "Pause" : "Resume"} ${agent.name}`}>
          {next === "paused" ? "Pause" : "Resume"}
        </button>
        {failure ? <FailureNotice failure={failure} /> : null}
      </td>
    </tr>
  );
}

export function AgentsPage({ uid }: { uid: string }) {
  const agents = useAgents(uid);
  return (
    <>
      <Card title="Agents">
        {agents.error ? <FailureNotice failure={describeFailure(agents.error)} /> : null}
        {agents.loading ? <p>Loading agents…</p> : null}
        {!agents.loading && agents.data.length === 0 ? <p>No agents yet: create one below.</p> : null}
        {agents.data.length ? (
          <div className="table-scroll">
            <table className="agents">
              <caption className="visually-hidden">Your agents, with billed cost today and this month (live)</caption>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Model</th>
                  <th scope="col">Status</th>
                  <th scope="col">Today (billed)</th>
                  <th scope="col">This month (billed)</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {agents.data.map((agent) => (
                  <AgentRow key={agent.agentId} uid={uid} agent={agent} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Card>
      <CreateAgentForm uid={uid} />
    </>
  );
}
