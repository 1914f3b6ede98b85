/** Under each answer: its tokens, its cost to the micro-dollar (or "free, would cost"), and where the usage came from. */
import type { SendMessageResponse } from "@agent-billing/client";
import { formatCount, formatUsd } from "../../shared/format";

export function MessageFigures({ result }: { result: SendMessageResponse }) {
  return (
    <dl className="message-figures" aria-label="Message figures">
      <div>
        <dt>Tokens</dt>
        <dd>
          {formatCount(result.tokens.prompt)} prompt · {formatCount(result.tokens.completion)} completion ·{" "}
          {formatCount(result.tokens.cached ?? 0)} cached
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd className={result.billable ? "cost-billed" : "cost-free"}>
          {result.billable ? `${formatUsd(result.costMicros)} billed` : `free, would cost ${formatUsd(result.shadowCostMicros)}`}
        </dd>
      </div>
      <div>
        <dt>Usage</dt>
        <dd>
          {result.usageSource === "provider" ? "reported by the agent service" : "estimated (counted locally)"}
          {result.partial ? " · answer cut short, billed for what arrived" : ""}
          {result.replayed ? " · replayed, not billed again" : ""}
        </dd>
      </div>
    </dl>
  );
}
