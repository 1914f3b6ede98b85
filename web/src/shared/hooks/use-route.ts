/**
 * The console's routes, in the URL's hash (the Hosting emulator serves one index.html):
 * `#/account` (home: also `#/`, no hash, or any other hash), `#/agents`,
 * `#/agents/{id}/testing|analytics|settings|alerts|keys`.
 */
import { useEffect, useState } from "react";

const SCREENS = ["testing", "analytics", "settings", "alerts", "keys"] as const;
export type Screen = (typeof SCREENS)[number];
export type Page = "account" | "agents";
export type Route = { page: "account" } | { page: "agents" } | { page: Screen; agentId: string };

/** What "#/" or no hash shows after sign-in. */
export const HOME: Route = { page: "account" };

export function parseRoute(hash: string): Route {
  const [, first, agentId, screen] = hash.replace(/^#/, "").split("/");
  if (first === "agents" && agentId && SCREENS.includes(screen as Screen))
    return { page: screen as Screen, agentId: decodeURIComponent(agentId) };
  return first === "agents" ? { page: "agents" } : HOME;
}

export const hrefOf = (route: Route) =>
  "agentId" in route ? `#/agents/${encodeURIComponent(route.agentId)}/${route.page}` : `#/${route.page}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
