/** How the agents are used: conversations (sessions) that started in the range, their length, the development share. */
import { Card, Figure } from "../../shared/components/ui";
import { formatCount, formatDecimal, formatDuration, formatPercent } from "../../shared/format";
import type { AccountOverview } from "./types";

export function EngagementFigures({ engagement }: { engagement: AccountOverview["engagement"] }) {
  return (
    <Card title="Engagement">
      <div className="figures">
        <Figure label="Sessions" value={formatCount(engagement.sessions)} hint="conversations started in the range" />
        <Figure label="Messages per session" value={formatDecimal(engagement.messagesPerSession)} />
        <Figure label="Average session length" value={formatDuration(engagement.avgSessionSeconds)} hint="first message to last" />
        <Figure label="Sessions per day" value={formatDecimal(engagement.sessionsPerDay)} />
        <Figure label="Development share" value={formatPercent(engagement.developmentShare)} hint="of all messages" />
      </div>
    </Card>
  );
}
