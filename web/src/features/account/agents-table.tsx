/** The agents of the range, dearest first (the backend's ranking), each linking to its analytics. */
import { Card } from "../../shared/components/ui";
import { formatCount, formatPercent, formatUsd } from "../../shared/format";
import { hrefOf } from "../../shared/hooks/use-route";
import type { AccountOverview, RankedAgent } from "./types";

const STATUS_NAMES = { active: "Active", paused: "Paused" } as const;

function AgentName({ agent }: { agent: RankedAgent }) {
  if (agent.name === null) {
    return (
      <>
        <div className="agent-name">{agent.agentId}</div>
        <div className="muted">deleted agent</div>
      </>
    );
  }
  return (
    <>
      <a className="agent-name" href={hrefOf({ page: "analytics", agentId: agent.agentId })}>
        {agent.name}
      </a>
      <div className="muted">{agent.agentId}</div>
    </>
  );
}

function AgentRow({ agent }: { agent: RankedAgent }) {
  return (
    <tr aria-label={`Agent ${agent.name ?? agent.agentId}`}>
      <th scope="row">
        <AgentName agent={agent} />
      </th>
      <td data-label="Model">{agent.model ?? "—"}</td>
      <td data-label="Status">
        {agent.status ? <span className={`status status-${agent.status}`}>{STATUS_NAMES[agent.status]}</span> : "Deleted"}
      </td>
      <td data-label="Cost" className="cost">
        {formatUsd(agent.costMicros)}
      </td>
      <td data-label="Share">{formatPercent(agent.costShare)}</td>
      <td data-label="Messages">{formatCount(agent.messages)}</td>
      <td data-label="Dev messages">{formatCount(agent.devMessages)}</td>
    </tr>
  );
}

export function AgentsTable({ overview }: { overview: AccountOverview }) {
  const others = overview.otherAgents;
  const total = overview.totals.costMicros;
  return (
    <Card title="Agents by cost">
      <div className="table-scroll">
        <table className="agents ranked">
          <caption className="visually-hidden">Agents with usage in the range, dearest first</caption>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Model</th>
              <th scope="col">Status</th>
              <th scope="col">Cost (billed)</th>
              <th scope="col">Share of cost</th>
              <th scope="col">Messages</th>
              <th scope="col">Dev messages (free)</th>
            </tr>
          </thead>
          <tbody>
            {overview.agents.map((agent) => (
              <AgentRow key={agent.agentId} agent={agent} />
            ))}
          </tbody>
          {others.agents > 0 ? (
            <tfoot>
              <tr aria-label="Other agents">
                <th scope="row">{formatCount(others.agents)} other agents</th>
                <td data-label="Model">—</td>
                <td data-label="Status">—</td>
                <td data-label="Cost">{formatUsd(others.costMicros)}</td>
                <td data-label="Share">{formatPercent(total ? others.costMicros / total : null)}</td>
                <td data-label="Messages">{formatCount(others.messages)}</td>
                <td data-label="Dev messages">{formatCount(others.devMessages)}</td>
              </tr>
            </tfoot>
          ) : null}
        </table>
      </div>
    </Card>
  );
}
