/** The live sidebar: this conversation's messages, tokens and cost, and the agent's spend today and this month against its limits. */
import type { TestMode } from "@agent-billing/client";
import { Figure } from "../../shared/components/ui";
import { formatCount, formatUsd } from "../../shared/format";
import type { AgentFigures } from "../../shared/hooks/use-agent-figures";
import { useSession } from "../../shared/hooks/use-live";

interface Props {
  uid: string;
  agentId: string;
  conversationId: string;
  mode: TestMode;
  figures: AgentFigures;
}

const against = (spent: number, limit: number | null | undefined) =>
  typeof limit === "number" ? `of ${formatUsd(limit)} limit (${formatUsd(Math.max(0, limit - spent))} left)` : "no limit set";

export function Sidebar({ uid, agentId, conversationId, mode, figures }: Props) {
  const session = useSession(uid, agentId, conversationId).data;
  const limits = figures.info?.limits;
  // "…" until the agent's windows are known: a $0.00 there would be a figure, not a loading state.
  const todayBilled = limits ? formatUsd(figures.today?.production.costMicros ?? 0) : "…";
  const monthBilled = limits ? formatUsd(figures.month?.production.costMicros ?? 0) : "…";
  return (
    <aside className="sidebar" aria-label="Live figures">
      <section aria-label="This conversation">
        <h2>This conversation</h2>
        <p className="muted">
          Conversation <code>{conversationId}</code>
        </p>
        <Figure label="Session messages" value={formatCount(session?.messageCount ?? 0)} />
        <Figure label="Session tokens" value={formatCount(session?.totalTokens ?? 0)} />
        {mode === "production" ? (
          <Figure label="Session cost" value={formatUsd(session?.totalCostMicros ?? 0)} hint="billed" />
        ) : (
          <Figure label="Session cost" value={`free, would cost ${formatUsd(session?.shadowCostMicros ?? 0)}`} />
        )}
      </section>
      <section aria-label="Agent spend">
        <h2>Agent spend {limits ? <span className="muted">({limits.timezone})</span> : null}</h2>
        <Figure
          label="Billed today"
          value={todayBilled}
          hint={limits ? against(limits.daily.spentMicros, limits.daily.limitMicros) : "…"}
        />
        <Figure
          label="Billed this month"
          value={monthBilled}
          hint={limits ? against(limits.monthly.spentMicros, limits.monthly.limitMicros) : "…"}
        />
        <Figure
          label="Free messages today"
          value={limits ? formatCount(figures.today?.development.messages ?? 0) : "…"}
          hint={
            limits
              ? `of ${formatCount(limits.devDailyMessageCap)} a day; would have cost ${formatUsd(figures.today?.development.shadowCostMicros ?? 0)}`
              : undefined
          }
        />
      </section>
    </aside>
  );
}
