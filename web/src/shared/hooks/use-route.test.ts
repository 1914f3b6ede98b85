import { describe, expect, it } from "vitest";
import { hrefOf, parseRoute, type Route } from "./use-route";

describe("routes", () => {
  it.each(["", "#", "#/", "#/account", "#/nowhere"])("%j is the home page, the account", (hash) => {
    expect(parseRoute(hash)).toEqual({ page: "account" });
  });

  it("keeps the agents list and each agent's screens", () => {
    expect(parseRoute("#/agents")).toEqual({ page: "agents" });
    expect(parseRoute("#/agents/a-1/unknown")).toEqual({ page: "agents" });
    expect(parseRoute("#/agents/a-1/analytics")).toEqual({ page: "analytics", agentId: "a-1" });
  });

  it.each<Route>([{ page: "account" }, { page: "agents" }, { page: "settings", agentId: "agent_7" }, { page: "testing", agentId: "a b" }])(
    "reads back what hrefOf writes: %j",
    (route) => {
      expect(parseRoute(hrefOf(route))).toEqual(route);
    },
  );

  it("writes the hash scheme of the console", () => {
    expect(hrefOf({ page: "account" })).toBe("#/account");
    expect(hrefOf({ page: "agents" })).toBe("#/agents");
    expect(hrefOf({ page: "alerts", agentId: "a-1" })).toBe("#/agents/a-1/alerts");
  });
});
