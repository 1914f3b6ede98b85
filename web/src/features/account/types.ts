/** The account view's types, read off the client SDK's typed callable (getAccountOverview). */
import type { ResponseOf } from "@agent-billing/client";

export type AccountOverview = ResponseOf<"getAccountOverview">;
export type RankedAgent = AccountOverview["agents"][number];
export type AccountInsight = AccountOverview["insights"][number];
