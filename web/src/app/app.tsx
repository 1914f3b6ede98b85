/** The console: sign-in, then the account (home), the agents and each agent's screens, routed by the URL's hash. */
import type { AgentView } from "@agent-billing/client";
import type { User } from "firebase/auth";
import { AccountPage } from "../features/account/account-page";
import { AgentsPage } from "../features/agents/agents-page";
import { AlertsPage } from "../features/alerts/alerts-page";
import { ApiKeysPage } from "../features/api-keys/api-keys-page";
import { AnalyticsPage } from "../features/analytics/analytics-page";
import { SignIn } from "../features/auth/sign-in";
import { ErrorBoundary } from "./error-boundary";
import { SettingsPage } from "../features/settings/settings-page";
import { TestingPage } from "../features/testing/testing-page";
import { signOutOwner, useAuth } from "../shared/hooks/use-auth";
import { useAgents } from "../shared/hooks/use-live";
import { HOME, hrefOf, useRoute, type Page, type Route, type Screen } from "../shared/hooks/use-route";

const SCREEN_NAMES: Record<Screen, string> = {
  testing: "Testing",
  analytics: "Analytics",
  settings: "Settings",
  alerts: "Alerts",
  keys: "API keys",
};
const PAGE_NAMES: Record<Page, string> = { account: "Account", agents: "Agents" };

function MainNav({ route }: { route: Route }) {
  return (
    <nav aria-label="Main">
      {(Object.keys(PAGE_NAMES) as Page[]).map((page) => (
        <a key={page} href={hrefOf({ page })} aria-current={route.page === page ? "page" : undefined}>
          {PAGE_NAMES[page]}
        </a>
      ))}
    </nav>
  );
}

function PageOf({ user, route }: { user: User; route: Route }) {
  if (route.page === "account") return <AccountPage />;
  if (route.page === "agents") return <AgentsPage uid={user.uid} />;
  return <AgentScreen user={user} route={route} />;
}

function AgentNav({ route, agent }: { route: Route & { agentId: string }; agent: AgentView }) {
  return (
    <nav className="agent-nav" aria-label={`${agent.name} screens`}>
      {(Object.keys(SCREEN_NAMES) as Screen[]).map((screen) => (
        <a key={screen} href={hrefOf({ page: screen, agentId: agent.agentId })} aria-current={route.page === screen ? "page" : undefined}>
          {SCREEN_NAMES[screen]}
        </a>
      ))}
    </nav>
  );
}

function AgentScreen({ user, route }: { user: User; route: Route & { agentId: string } }) {
  const agents = useAgents(user.uid);
  const agent = agents.data.find((a) => a.agentId === route.agentId);
  if (agents.loading) return <p>Loading…</p>;
  if (!agent) return <p role="alert">No agent "{route.agentId}" among yours.</p>;
  return (
    <>
      <AgentNav route={route} agent={agent} />
      {route.page === "testing" ? <TestingPage uid={user.uid} agent={agent} /> : null}
      {route.page === "analytics" ? <AnalyticsPage uid={user.uid} agent={agent} /> : null}
      {route.page === "settings" ? <SettingsPage key={agent.agentId} agent={agent} /> : null}
      {route.page === "alerts" ? <AlertsPage agent={agent} /> : null}
      {route.page === "keys" ? <ApiKeysPage key={agent.agentId} agent={agent} /> : null}
    </>
  );
}

export function App() {
  const user = useAuth();
  const route = useRoute();
  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) return <SignIn />;
  return (
    <div className="app">
      <header className="top">
        <a className="brand" href={hrefOf(HOME)}>
          Agent billing
        </a>
        <MainNav route={route} />
        <span className="user">{user.email}</span>
        <button type="button" onClick={() => void signOutOwner()}>
          Sign out
        </button>
      </header>
      <main>
        <ErrorBoundary key={hrefOf(route)}>
          <PageOf user={user} route={route} />
        </ErrorBoundary>
      </main>
    </div>
  );
}
