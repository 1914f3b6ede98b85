/**
 * Live figures for apps: Firestore listeners (`onSnapshot`) on the owner's own documents, which the
 * rules let them read (every query filters on `userId`). A sharded rollup (the agent's summary, a
 * daily bucket) is its main document plus its `shards`, so a watcher listens to both and adds the
 * counters up exactly, leaf by leaf, as the backend's readers do (store/rollup-reads.ts). Nothing
 * here writes billing data; each `watch…` returns the function that stops its listeners.
 */
import {
  addDoc,
  collection,
  doc,
  onSnapshot,
  query,
  serverTimestamp,
  where,
  type DocumentData,
  type Firestore,
  type Unsubscribe,
} from "firebase/firestore";
import type { Figures } from "functions/src/contract/analytics";

/** A nested map of integer counters, as rollups store them. */
export type Counters = { [field: string]: number | Counters };

/** Adds the numeric leaves of `value` into `into` (non-numbers are left out). */
export function addCounters(into: Counters, value: unknown): Counters {
  if (!value || typeof value !== "object") return into;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const have = Object.hasOwn(into, key) ? into[key] : undefined;
    if (typeof v === "number") into[key] = (typeof have === "number" ? have : 0) + v;
    else if (v && typeof v === "object" && !("toMillis" in v))
      addCounters((into[key] = typeof have === "object" ? have : {}) as Counters, v);
  }
  return into;
}

/** The counters of `fields` summed over a main document and its shards. */
export function sumDocuments(fields: readonly string[], docs: readonly (DocumentData | undefined)[]): Counters {
  const total: Counters = {};
  for (const data of docs) for (const field of fields) if (data && field in data) addCounters(total, { [field]: data[field] });
  return total;
}

/** An agent as the owner sees it (`alchemist_agents`). */
export interface AgentView {
  agentId: string;
  name: string;
  model: string;
  status: "active" | "paused";
  systemPrompt?: string;
  billing: Record<string, unknown>;
}

function toAgent(id: string, data: DocumentData): AgentView {
  return {
    agentId: id,
    name: typeof data.name === "string" ? data.name : id,
    model: typeof data.model === "string" ? data.model : "gpt-4",
    status: data.status === "paused" ? "paused" : "active",
    systemPrompt: typeof data.systemPrompt === "string" ? data.systemPrompt : undefined,
    billing: (data.billing as Record<string, unknown> | undefined) ?? {},
  };
}

/** The owner's agents, live, sorted by name. */
export function watchAgents(
  db: Firestore,
  uid: string,
  onChange: (agents: AgentView[]) => void,
  onError?: (e: Error) => void,
): Unsubscribe {
  return onSnapshot(
    query(collection(db, "alchemist_agents"), where("userId", "==", uid)),
    (snap) =>
      onChange(
        snap.docs.map((d) => toAgent(d.id, d.data())).sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId)),
      ),
    onError,
  );
}

/** Creates an agent owned by `uid` (the rules allow exactly these fields; status and billing stay the backend's). */
export async function createAgent(
  db: Firestore,
  uid: string,
  agent: { name: string; model: string; systemPrompt?: string; description?: string },
): Promise<string> {
  const fields: Record<string, unknown> = {
    userId: uid,
    name: agent.name,
    model: agent.model,
    status: "active",
    createdAt: serverTimestamp(),
  };
  if (agent.systemPrompt) fields.systemPrompt = agent.systemPrompt;
  if (agent.description) fields.description = agent.description;
  const ref = await addDoc(collection(db, "alchemist_agents"), fields);
  return ref.id;
}

/** Figures of one mode in a daily bucket (rollup "daily": production and development apart): the contract's. */
export type ModeFigures = Figures;

/** One local day of an agent, main document and shards added up. */
export interface DayUsage {
  day: string;
  production: ModeFigures;
  development: ModeFigures;
}

const DAILY_COUNTERS = ["production", "development"] as const;
const ZERO: ModeFigures = {
  messages: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  totalTokens: 0,
  costMicros: 0,
  shadowCostMicros: 0,
};

function modeOf(value: Counters[string] | undefined): ModeFigures {
  const out = { ...ZERO };
  if (value && typeof value === "object")
    for (const k of Object.keys(out) as (keyof ModeFigures)[]) out[k] = typeof value[k] === "number" ? value[k] : 0;
  return out;
}

/** Keeps one listener per open-shard bucket in step with the buckets a query returns. */
class ShardListeners {
  private readonly listeners = new Map<string, Unsubscribe>();
  readonly shards = new Map<string, DocumentData[]>();

  constructor(
    private readonly db: Firestore,
    private readonly uid: string,
    private readonly collectionName: string,
    private readonly changed: () => void,
    private readonly onError?: (e: Error) => void,
  ) {}

  /** Listens to the shards of `ids` and stops listening to any other. */
  follow(ids: Set<string>): void {
    for (const [id, stop] of this.listeners) {
      if (ids.has(id)) continue;
      stop();
      this.listeners.delete(id);
      this.shards.delete(id);
    }
    for (const id of ids) {
      if (this.listeners.has(id)) continue;
      const shardQuery = query(collection(this.db, this.collectionName, id, "shards"), where("userId", "==", this.uid));
      this.listeners.set(
        id,
        onSnapshot(
          shardQuery,
          (snap) => {
            this.shards.set(
              id,
              snap.docs.map((d) => d.data()),
            );
            this.changed();
          },
          this.onError,
        ),
      );
    }
  }

  stop(): void {
    for (const stop of this.listeners.values()) stop();
    this.listeners.clear();
  }
}

/**
 * The agent's local days `from`..`to` (`YYYY-MM-DD`, inclusive), live: each day's daily bucket with
 * its shards. Days without traffic are absent. Calls `onChange` with the days in order.
 */
export function watchDailyUsage(
  db: Firestore,
  uid: string,
  agentId: string,
  range: { from: string; to: string },
  onChange: (days: DayUsage[]) => void,
  onError?: (e: Error) => void,
): Unsubscribe {
  let mains = new Map<string, DocumentData>();
  const emit = () =>
    onChange(
      [...mains.entries()]
        .map(([id, main]) => {
          const total = sumDocuments(DAILY_COUNTERS, [main, ...(shardListeners.shards.get(id) ?? [])]);
          return { day: String(main.day), production: modeOf(total.production), development: modeOf(total.development) };
        })
        .sort((a, b) => a.day.localeCompare(b.day)),
    );
  const shardListeners = new ShardListeners(db, uid, "agent_usage_daily", emit, onError);
  const buckets = query(
    collection(db, "agent_usage_daily"),
    where("agentId", "==", agentId),
    where("userId", "==", uid),
    where("day", ">=", range.from),
    where("day", "<=", range.to),
  );
  const stopMain = onSnapshot(
    buckets,
    (snap) => {
      mains = new Map(snap.docs.map((d) => [d.id, d.data()]));
      shardListeners.follow(new Set(snap.docs.filter((d) => d.get("openShards") === true).map((d) => d.id)));
      emit();
    },
    onError,
  );
  return () => {
    stopMain();
    shardListeners.stop();
  };
}

/** A conversation's live figures (`billing_sessions`, rolled up from the ledger). */
export interface SessionView {
  messageCount: number;
  totalTokens: number;
  promptTokens: number;
  completionTokens: number;
  totalCostMicros: number;
  shadowCostMicros: number;
}

/**
 * A conversation's session, live; null until its first message is rolled up. A query (not a
 * document listener), so a session that does not exist yet is simply empty rather than refused.
 */
export function watchSession(
  db: Firestore,
  uid: string,
  agentId: string,
  conversationId: string,
  onChange: (session: SessionView | null) => void,
  onError?: (e: Error) => void,
): Unsubscribe {
  const sessions = query(
    collection(db, "billing_sessions"),
    where("userId", "==", uid),
    where("sessionId", "==", `${agentId}:${conversationId}`),
  );
  return onSnapshot(
    sessions,
    (snap) => {
      const data = snap.docs[0]?.data();
      if (!data) return onChange(null);
      const n = (field: string) => (typeof data[field] === "number" ? (data[field] as number) : 0);
      onChange({
        messageCount: n("messageCount"),
        totalTokens: n("totalTokens"),
        promptTokens: n("promptTokens"),
        completionTokens: n("completionTokens"),
        totalCostMicros: n("totalCostMicros"),
        shadowCostMicros: n("shadowCostMicros"),
      });
    },
    onError,
  );
}

/** The ref of an agent's document (for apps that read one agent). */
export const agentRef = (db: Firestore, agentId: string) => doc(db, "alchemist_agents", agentId);
