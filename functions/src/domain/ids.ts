/**
 * Document ids derived from stable upstream ids, never random ones for anything that bills.
 * The callers' ids are restricted to [A-Za-z0-9_-], so ":" can join them without ambiguity.
 */

/** The ledger row of one message: a retried request lands on the same document. */
export const ledgerId = (agentId: string, conversationId: string, messageId: string) => `${agentId}:${conversationId}:${messageId}`;

/** The session (conversation) rollup of an agent's conversation. */
export const sessionId = (agentId: string, conversationId: string) => `${agentId}:${conversationId}`;

/** The daily rollup of an agent for one local day (YYYY-MM-DD). */
export const dailyId = (agentId: string, day: string) => `${agentId}_${day}`;

/** An owner's UTC day across their agents: `billing_account_daily/{uid}_{YYYY-MM-DD}`. */
export const accountDayId = (uid: string, day: string) => `${uid}_${day}`;

/** An end user's local day with an agent: `billing_end_user_daily/{agentId}_{endUserHash}_{YYYY-MM-DD}`. */
export const endUserDayId = (agentId: string, endUserHash: string, day: string) => `${agentId}_${endUserHash}_${day}`;

/** An organisation's UTC day over all its agents: `billing_org_daily/{orgId}_{YYYY-MM-DD}`. */
export const orgDayId = (orgId: string, day: string) => `${orgId}_${day}`;

/** An alert, raised once per agent, kind and window. */
export const alertId = (agentId: string, kind: string, window: string) => `${agentId}:${kind}:${window}`;

/**
 * Model names become map keys of the daily rollup (`byModel`) and of every sum over it: printable,
 * bounded, never of Firestore's reserved form `__name__`, and never the name of a member of
 * `Object.prototype` (`constructor`, `toString`, `valueOf`...), which a plain object already has.
 */
export const isSafeModelName = (model: string) =>
  /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/.test(model) && !/^__.*__$/.test(model) && !(model in Object.prototype);
