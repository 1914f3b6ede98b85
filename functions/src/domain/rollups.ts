/**
 * The rollups of the ledger, in one registry: which documents a row adds to and what it adds, as
 * pure integer deltas. The store turns them into Firestore increments (so every total is a sum of
 * rounded per-row micros), `npm run reconcile` sums them over the ledger, the bench and the tests
 * compute expected totals from them.
 */
import { COLLECTIONS } from "../base/collections";
import { isPlainMap } from "../base/maps";
import type { TestMode } from "../contract/common";
import { accountDayId, dailyId, endUserDayId, orgDayId } from "./ids";
import type { LedgerRow } from "./ledger";

/** The numeric figures one row adds to a rollup: a nested map of integer deltas. */
export type Deltas = { [field: string]: number | Deltas };

/** Adds `delta` into `into`, leaf by leaf: how totals of many rows are summed outside Firestore. */
export function addDeltas(into: Deltas, delta: Deltas): Deltas {
  for (const [key, value] of Object.entries(delta)) {
    // Own keys only: a key such as "constructor" must not find what every object inherits.
    const have = Object.hasOwn(into, key) ? into[key] : undefined;
    if (typeof value === "number") into[key] = ((have as number | undefined) ?? 0) + value;
    else addDeltas((into[key] = have ?? {}) as Deltas, value);
  }
  return into;
}

/** One rollup: a collection with one document per key of a row, incremented by the row's deltas. */
export interface Rollup {
  /** A short name, for tests and reports. */
  readonly name: string;
  readonly collection: string;
  /** The id of the document a row adds to. */
  docId(row: LedgerRow): string;
  /**
   * The agent of a document, from its id alone (reconcile names it even for a document that is
   * missing); undefined for a rollup over all of an owner's agents (`scope: "owner"`) or an org's (`scope: "org"`).
   */
  agentOf(docId: string): string | undefined;
  /**
   * Whose documents these are: one agent's (`agentId` in the identity: reconcile scopes an agent by
   * it), or an owner's across their agents (no `agentId`; `reconcile --agent` leaves them out), or
   * an organisation's across its agents, whatever their owners (no `agentId` nor `userId`:
   * `reconcile --agent` and `--owner` leave them out).
   */
  readonly scope: "agent" | "owner" | "org";
  /**
   * Fields written once, when the document is created. Always `userId` (the rules let the owner
   * read by it), and `agentId` for a rollup of scope "agent"; `orgId` instead for scope "org" (no
   * client reads those: getOrgBillingInfo answers them by role).
   */
  identity(row: LedgerRow): Record<string, unknown>;
  /** Whether the document carries `lastActivity` (every one carries `createdAt` and `updatedAt`). */
  readonly lastActivity: boolean;
  /**
   * Fields that keep the smallest and the largest value of its rows (Firestore's minimum and
   * maximum transforms: any order of delivery gives the same result). Not totals: reconcile does
   * not check them.
   */
  bounds?(row: LedgerRow): { min: Record<string, number>; max: Record<string, number> };
  /**
   * One document per day (an identity field `day`): the fold (store/fold.ts) compacts the shards
   * of the days that are over.
   */
  readonly daily?: boolean;
  /**
   * Whether a row adds to this rollup at all; absent: every row does. (The end users' days count
   * only the rows of the agent API that name an end user.) Use {@link rollupsOf}.
   */
  appliesTo?(row: LedgerRow): boolean;
  /** What one row adds. Its top-level keys may depend on the row's mode only (see `counters`). */
  deltas(row: LedgerRow): Deltas;
  /**
   * Spread the increments over this many shard documents (`{collection}/{docId}/shards/{k}`, k a
   * hash of the row's id), so a hot document takes about this many times one document's write rate;
   * absent: the document itself is incremented. Readers add the shards to the main document.
   */
  readonly shards?: number;
  /**
   * The top-level fields the rollup owns as totals: the keys of its deltas for both modes. Other
   * fields (identity, timestamps, a client's report on a session) are not totals.
   */
  readonly counters: ReadonlySet<string>;
}

/** The subcollection of a sharded rollup document that holds its shards. */
export const SHARD_COLLECTION = "shards";

/** The numeric part of a stored value (numbers, and maps of them); anything else is not a total. */
function numericPart(value: unknown): number | Deltas | undefined {
  if (typeof value === "number") return value;
  if (!isPlainMap(value)) return undefined;
  const out: Deltas = {};
  for (const [key, v] of Object.entries(value)) {
    const n = numericPart(v);
    if (n !== undefined) out[key] = n;
  }
  return out;
}

/**
 * The totals of a stored rollup document and its shards, added up exactly: the counters of each
 * (its identity and timestamps left out), summed leaf by leaf with {@link addDeltas}.
 */
export function sumCounters(rollup: Pick<Rollup, "counters">, docs: readonly (Record<string, unknown> | undefined)[]): Deltas {
  const total: Deltas = {};
  for (const data of docs) {
    for (const field of rollup.counters) {
      const part = numericPart(data?.[field]);
      if (part !== undefined) addDeltas(total, { [field]: part });
    }
  }
  return total;
}

/** A row of each mode with every figure zero: enough to read the keys of a rollup's deltas. */
const sampleRow = (mode: TestMode) =>
  ({
    mode,
    billable: mode === "production",
    model: "m",
    costMicros: 0,
    shadowCostMicros: 0,
    tokens: { prompt: 0, completion: 0, total: 0, cached: 0 },
  }) as LedgerRow;

function rollup(definition: Omit<Rollup, "counters">): Rollup {
  const keys = (mode: TestMode) => Object.keys(definition.deltas(sampleRow(mode)));
  return { ...definition, counters: new Set([...keys("production"), ...keys("development")]) };
}

const owner = (row: LedgerRow) => ({ agentId: row.agentId, userId: row.userId });

/** What one row adds to its agent's summary: billable usage in totals, development apart. */
function summaryDeltas(row: LedgerRow): Deltas {
  const t = row.tokens;
  if (row.billable) {
    return {
      totalMessages: 1,
      totalTokens: t.total,
      totalPromptTokens: t.prompt,
      totalCompletionTokens: t.completion,
      totalCachedTokens: t.cached,
      totalCostMicros: row.costMicros,
    };
  }
  return {
    devMessages: 1,
    devTokens: t.total,
    devPromptTokens: t.prompt,
    devCompletionTokens: t.completion,
    devCachedTokens: t.cached,
    devShadowCostMicros: row.shadowCostMicros,
  };
}

/** Figures of one mode, one model or one day. */
function figures(row: LedgerRow): Deltas {
  const t = row.tokens;
  return {
    messages: 1,
    promptTokens: t.prompt,
    completionTokens: t.completion,
    cachedTokens: t.cached,
    totalTokens: t.total,
    costMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
  };
}

/** What one row adds to its daily bucket: split by mode and by model (model keys are literal). */
function dailyDeltas(row: LedgerRow): Deltas {
  return {
    [row.mode]: figures(row),
    byModel: { [row.model]: { [row.mode]: figures(row) } },
  };
}

/** What one row adds to its conversation's session. */
function sessionDeltas(row: LedgerRow): Deltas {
  const t = row.tokens;
  return {
    messageCount: 1,
    totalTokens: t.total,
    promptTokens: t.prompt,
    completionTokens: t.completion,
    totalCostMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
  };
}

/** "_YYYY-MM-DD", the end of a daily bucket's id. */
const DAY_SUFFIX = "_0000-00-00".length;

/** The UTC day of a row's instant: an account's days are UTC days (its agents' timezones differ). */
export const utcDayOf = (row: Pick<LedgerRow, "timestamp">) => new Date(row.timestamp).toISOString().slice(0, 10);

/** A row's instant in whole seconds (a session's first and last message). */
const secondOf = (row: Pick<LedgerRow, "timestamp">) => Math.floor(Date.parse(row.timestamp) / 1000);

/**
 * What one row adds to its owner's day: the daily bucket's figures (by mode, by model) and the same
 * by agent, so the account's totals, models and agent ranking are one read per day whatever the
 * number of agents.
 */
function accountDeltas(row: LedgerRow): Deltas {
  return { ...dailyDeltas(row), byAgent: { [row.agentId]: { [row.mode]: figures(row) } }, ...creditDeltas(row) };
}

/**
 * The credits a production row burnt (its cost, when a grant paid for it: domain/credits.ts), in
 * total and by grant: the statement's credit lines. Every production row adds the key (0 when the
 * owner paid), so the rollup's keys depend on the mode only; a development row never uses credits.
 */
function creditDeltas(row: LedgerRow): Deltas {
  if (row.mode !== "production") return {};
  const paid = row.creditGrantId === undefined ? 0 : row.costMicros;
  return { credits: { creditMicros: paid, ...(row.creditGrantId === undefined ? {} : { byGrant: { [row.creditGrantId]: paid } }) } };
}

/**
 * The member key of an org row sent through the agent API (by the agent's end users, not by a
 * member): the org's shared cost. No uid has a "~" (ledger-schema.ts), so it cannot be a member's.
 */
export const SHARED_SENDER = "~api";

/**
 * What one row of an org agent adds to the org's UTC day: the figures by mode, and the same by
 * agent and by the member who sent it ({@link SHARED_SENDER} for the agent API's): the cost
 * allocation of getOrgBillingInfo, one read per day whatever the number of agents and members.
 */
function orgDeltas(row: LedgerRow): Deltas {
  return {
    [row.mode]: figures(row),
    byAgent: { [row.agentId]: { [row.mode]: figures(row) } },
    byMember: { [row.senderUid ?? SHARED_SENDER]: { [row.mode]: figures(row) } },
  };
}

/** "_" and the 32 hex characters of an end user's hash, before the day in an end user's day id. */
const END_USER_SUFFIX = "_".length + 32;

/**
 * Every rollup of a ledger row (documents per agent, per local day, per session, per owner and UTC
 * day; by mode and by model inside the daily buckets, by agent too in the owner's; the summary and
 * the daily buckets sharded, the session, one per conversation, not). Adding a dimension is one entry here, plus an index in
 * firestore.indexes.json if its queries need one (and a rule if clients read it): the trigger
 * (store/rollups.ts) then writes it exactly once, `npm run reconcile` checks it against the ledger,
 * and the registry's unit test checks its deltas.
 */
export const ROLLUPS: readonly Rollup[] = [
  rollup({
    name: "summary",
    collection: COLLECTIONS.summaries,
    docId: (row) => row.agentId,
    agentOf: (id) => id,
    scope: "agent",
    identity: owner,
    lastActivity: true,
    deltas: summaryDeltas,
    // Every message of an agent adds to its summary: the hottest document of all.
    shards: 16,
  }),
  rollup({
    name: "daily",
    collection: COLLECTIONS.daily,
    docId: (row) => dailyId(row.agentId, row.localDay),
    agentOf: (id) => id.slice(0, -DAY_SUFFIX),
    scope: "agent",
    identity: (row) => ({ ...owner(row), day: row.localDay }),
    lastActivity: false,
    deltas: dailyDeltas,
    shards: 16,
    daily: true,
  }),
  rollup({
    name: "session",
    collection: COLLECTIONS.sessions,
    docId: (row) => row.sessionId,
    // A session id is `{agentId}:{conversationId}` (ids.ts), and ids never contain ":".
    agentOf: (id) => id.split(":")[0],
    scope: "agent",
    identity: (row) => ({
      ...owner(row),
      sessionId: row.sessionId,
      conversationId: row.conversationId,
      testMode: row.mode,
    }),
    lastActivity: true,
    // A session's length is its last message less its first (the account view's engagement).
    bounds: (row) => ({ min: { firstMessageSecond: secondOf(row) }, max: { lastMessageSecond: secondOf(row) } }),
    deltas: sessionDeltas,
  }),
  rollup({
    name: "account",
    collection: COLLECTIONS.accountDaily,
    docId: (row) => accountDayId(row.userId, utcDayOf(row)),
    agentOf: () => undefined,
    scope: "owner",
    identity: (row) => ({ userId: row.userId, day: utcDayOf(row) }),
    lastActivity: false,
    deltas: accountDeltas,
    // Every message of every agent of the owner adds to it.
    shards: 16,
    daily: true,
  }),
  rollup({
    // An agent's end user (the `user` of an agent API request) and local day: per-end-user totals.
    name: "endUser",
    collection: COLLECTIONS.endUserDaily,
    appliesTo: (row) => row.endUserHash !== undefined,
    docId: (row) => endUserDayId(row.agentId, row.endUserHash!, row.localDay),
    agentOf: (id) => id.slice(0, -(END_USER_SUFFIX + DAY_SUFFIX)),
    scope: "agent",
    identity: (row) => ({ ...owner(row), endUserHash: row.endUserHash, endUser: row.endUser, day: row.localDay }),
    lastActivity: true,
    deltas: (row) => ({ [row.mode]: figures(row) }),
    // Not sharded: one end user's messages come about as fast as one conversation's (its session is not sharded either).
  }),
  rollup({
    // An organisation's UTC day (issue #18): every message of every agent the org owns.
    name: "org",
    collection: COLLECTIONS.orgDaily,
    appliesTo: (row) => row.orgId !== undefined,
    docId: (row) => orgDayId(row.orgId!, utcDayOf(row)),
    agentOf: () => undefined,
    scope: "org",
    identity: (row) => ({ orgId: row.orgId, day: utcDayOf(row) }),
    lastActivity: false,
    deltas: orgDeltas,
    // As hot as its agents together.
    shards: 16,
    daily: true,
  }),
];

/** The rollups a row adds to (every one whose `appliesTo` takes it). */
export const rollupsOf = (row: LedgerRow): Rollup[] => ROLLUPS.filter((r) => !r.appliesTo || r.appliesTo(row));

/** The rollup called `name` (for code about one rollup, such as the bench's hot summary). */
export function rollupNamed(name: string): Rollup {
  const found = ROLLUPS.find((r) => r.name === name);
  if (!found) throw new Error(`no rollup named "${name}"; the registry has ${ROLLUPS.map((r) => r.name).join(", ")}`);
  return found;
}
