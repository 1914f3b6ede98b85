/**
 * The console's routes, in the URL's hash (the Hosting emulator serves one index.html):
 * `#/agents`, `#/agents/{id}/testing|analytics|settings|alerts`.
 */
import { useEffect, useState } from "react";

export type Screen = "testing" | "analytics" | "settings" | "alerts";
export type Route = { page: "agents" } | { page: Screen; agentId: string };

const SCREENS: readonly Screen[] = ["testing", "analytics", "settings", "alerts"];

export function parseRoute(hash: string): Route {
  const [, agents, agentId, screen] = hash.replace(/^#/, "").split("/");
  if (agents === "agents" && agentId && SCREENS.includes(screen as Screen))
    return { page: screen as Screen, agentId: decodeURIComponent(agentId) };
  return { page: "agents" };
}

export const hrefOf = (route: Route) =>
  route.page === "agents" ? "#/agents" : `#/agents/${encodeURIComponent(route.agentId)}/${route.page}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
