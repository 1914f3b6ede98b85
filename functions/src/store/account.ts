/**
 * Reads of the account view: an owner's UTC days (`billing_account_daily/{uid}_{day}`, plus the
 * shards of a day not yet folded) by id, the ranked agents' documents, and one aggregation over the
 * owner's sessions. Nothing here reads the ledger or grows with traffic.
 */
import { AggregateField, type Firestore } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import { readAccountDay, type AccountDay, type AgentInfo, type SessionAggregate } from "../domain/account";
import { accountDayId } from "../domain/ids";
import { DEFAULT_MODEL, resolveAgentPrice } from "../domain/pricing";
import { rollupNamed } from "../domain/rollups";
import { agentRef, type AgentDoc } from "./agents";
import { readRollupDocs } from "./rollup-reads";

const ACCOUNT = rollupNamed("account");

/**
 * The owner's `days` (missing days have no document), at one snapshot. `documentsRead`: every id
 * asked for plus the shards of the days not folded (days + 16 per open day).
 */
export async function readAccountDays(db: Firestore, uid: string, days: string[]): Promise<{ days: AccountDay[]; documentsRead: number }> {
  const { docs, documentsRead } = await readRollupDocs(
    db,
    ACCOUNT,
    days.map((day) => accountDayId(uid, day)),
  );
  return { days: docs.flatMap((data, i) => (data ? [readAccountDay(days[i], data)] : [])), documentsRead };
}

/** The model and price as sendMessage would bill them (an agent with no model takes the default). */
function agentInfo(agent: AgentDoc): AgentInfo {
  const model = agent.model || DEFAULT_MODEL;
  return {
    name: agent.name ?? null,
    model,
    status: agent.status === "paused" ? "paused" : "active",
    price: resolveAgentPrice(model, agent.pricing)?.price ?? null,
    monthlyLimitMicros: agent.billing?.monthlyLimitMicros ?? null,
  };
}

/** The owner's agents among `ids`, by id; null for one that no longer exists or is not theirs. */
export async function readAgentInfos(db: Firestore, uid: string, ids: string[]): Promise<Map<string, AgentInfo | null>> {
  if (!ids.length) return new Map();
  const snaps = await db.getAll(...ids.map((id) => agentRef(db, id)));
  return new Map(
    snaps.map((snap, i) => {
      const agent = snap.data() as AgentDoc | undefined;
      return [ids[i], agent?.userId === uid ? agentInfo(agent) : null];
    }),
  );
}

/**
 * The owner's sessions whose first message is in [start, end) (ms): one aggregation query, billed
 * one read per 1,000 sessions matched (at least one). Needs the composite index userId ASC,
 * firstMessageSecond ASC.
 */
export async function aggregateSessions(
  db: Firestore,
  uid: string,
  start: number,
  end: number,
): Promise<{ sessions: SessionAggregate; documentsRead: number }> {
  const snap = await db
    .collection(COLLECTIONS.sessions)
    .where("userId", "==", uid)
    .where("firstMessageSecond", ">=", Math.floor(start / 1000))
    .where("firstMessageSecond", "<", Math.floor(end / 1000))
    .aggregate({
      sessions: AggregateField.count(),
      messages: AggregateField.sum("messageCount"),
      first: AggregateField.sum("firstMessageSecond"),
      last: AggregateField.sum("lastMessageSecond"),
    })
    .get();
  const d = snap.data();
  return {
    sessions: { sessions: d.sessions, messages: d.messages ?? 0, firstSeconds: d.first ?? 0, lastSeconds: d.last ?? 0 },
    documentsRead: Math.max(1, Math.ceil(d.sessions / 1000)),
  };
}
