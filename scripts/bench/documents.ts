/**
 * Firestore documents written and read per message, measured two ways:
 *
 * 1. Counted (the figures with targets): the backend's own code for one message (handleSendMessage
 *    with the local agent, the per-user rate limiter the handler calls after the claim, metered on
 *    its own, then the rollup handler on the new row, as the trigger would run it) runs in this
 *    process against the Firestore emulator, and every document
 *    read and write it makes is counted at the Firestore client (firestore-meter.ts). Background
 *    triggers are off meanwhile, so the emulator's own rollup does not run beside it. Each agent
 *    first gets warm-up messages until its rollup documents and every shard of its summary and
 *    daily bucket exist: the figures are the steady state of an agent in use.
 * 2. Observed: over the timed sendMessage run through the Functions emulator, the documents created
 *    and changed in each collection (their createTime/updateTime). A document written twice counts
 *    once, so this bounds writes from below; it shows that the emulator path touched the same
 *    collections.
 */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import { openAiAgentClient } from "../../functions/src/agent/agent-client";
import { accountDayId, dailyId, ledgerId } from "../../functions/src/domain/ids";
import { SPEND_SHARDS } from "../../functions/src/domain/admission";
import { ROLLUPS, SHARD_COLLECTION } from "../../functions/src/domain/rollups";
import { handleLedgerRowCreated } from "../../functions/src/handlers/rollup";
import { handleSendMessage, sendMessageDeps, type SendMessageDeps } from "../../functions/src/handlers/send-message";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { enforceRateLimit } from "../../functions/src/store/rate-limit";
import { localSigningKey } from "../local-env";
import { LOCAL_AGENT_URL } from "./env";
import { startMeter, stopMeter, takeMeter, type OpCounts } from "./firestore-meter";
import type { Figure } from "./report";

const MEASURED = 10;
/** Warm-up stops once every shard exists; a row picks its shard by a hash of its id, so this is a bound, not the usual count (about 55). */
const MAX_WARMUP = 300;
/** The limiter's cost does not depend on its limits: these never refuse the warm-up. */
const RATE_LIMITS = { perMinute: 1_000_000, burst: 1_000_000 };

/** Per-message costs of each stage, averaged over the measured messages. */
interface StageCosts {
  rateLimit: OpCounts;
  send: OpCounts;
  rollup: OpCounts;
}

/** sendMessage's dependencies without per-user limits: oneMessage meters the rate limiter apart. */
function deps(db: Firestore, signingKey: string): SendMessageDeps {
  const agent = openAiAgentClient({ baseURL: LOCAL_AGENT_URL, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 20_000, maxRetries: 2 });
  return sendMessageDeps({ db, agent, signingKey, devDailyMessageCap: 500, userLimits: null });
}

const add = (into: OpCounts, c: OpCounts) => {
  into.reads += c.reads;
  into.writes += c.writes;
};

/**
 * One message through the three stages, each metered apart: the per-user rate limiter (what the
 * handler calls for a production message once it is claimed: store/rate-limit.ts enforceRateLimit),
 * sendMessage itself, then the rollup of the new row. Reading the row back for the rollup is not
 * counted: the trigger receives it with the event.
 */
async function oneMessage(d: SendMessageDeps, uid: string, agentId: string, totals: StageCosts | null): Promise<void> {
  const stages: StageCosts = { rateLimit: { reads: 0, writes: 0 }, send: { reads: 0, writes: 0 }, rollup: { reads: 0, writes: 0 } };
  takeMeter();
  await enforceRateLimit(d.db, uid, RATE_LIMITS, Date.now());
  add(stages.rateLimit, takeMeter());
  const request = { agentId, conversationId: "documents", message: "How many documents does this take?", testMode: "production" as const };
  const result = await handleSendMessage(d, uid, request);
  add(stages.send, takeMeter());
  const id = ledgerId(agentId, "documents", result.messageId);
  stopMeter();
  const row = (await d.db.doc(`${COLLECTIONS.ledger}/${id}`).get()).data();
  startMeter(d.db);
  if ((await handleLedgerRowCreated(d.db, d.signingKey, id, row)) !== "applied") throw new Error(`rollup of ${id} was not applied`);
  add(stages.rollup, takeMeter());
  if (!totals) return;
  for (const stage of Object.keys(stages) as (keyof StageCosts)[]) {
    totals[stage].reads += stages[stage].reads / MEASURED;
    totals[stage].writes += stages[stage].writes / MEASURED;
  }
}

/** Whether the agent's summary, today's bucket (UTC, the bench agents' timezone) and its owner's day have all their shards; not metered. */
async function everyShardExists(db: Firestore, agentId: string, uid: string): Promise<boolean> {
  stopMeter();
  try {
    const day = new Date().toISOString().slice(0, 10);
    const mains = [
      db.doc(`${COLLECTIONS.summaries}/${agentId}`),
      db.doc(`${COLLECTIONS.daily}/${dailyId(agentId, day)}`),
      db.doc(`${COLLECTIONS.accountDaily}/${accountDayId(uid, day)}`),
    ];
    const counts = await Promise.all(mains.map(async (main) => (await main.collection(SHARD_COLLECTION).count().get()).data().count));
    return counts.every((count, i) => count >= ROLLUPS.find((r) => r.collection === mains[i].parent.id)!.shards!);
  } finally {
    startMeter(db);
  }
}

/** Steady-state costs of a production message to an agent with the given billing settings. */
async function costsFor(db: Firestore, billing: Record<string, unknown>): Promise<StageCosts> {
  const uid = `bench-documents-${randomUUID().slice(0, 8)}`;
  const agentId = `bench-documents-${randomUUID().slice(0, 8)}`;
  await db.doc(`${COLLECTIONS.agents}/${agentId}`).set({ userId: uid, name: "Bench documents", model: "gpt-4", status: "active", billing });
  const d = deps(db, localSigningKey());
  const totals: StageCosts = { rateLimit: { reads: 0, writes: 0 }, send: { reads: 0, writes: 0 }, rollup: { reads: 0, writes: 0 } };
  startMeter(db);
  try {
    const warm = (k: number) => k >= MAX_WARMUP || everyShardExists(db, agentId, uid);
    for (let k = 0; !(await warm(k)); k++) await oneMessage(d, uid, agentId, null);
    for (let i = 0; i < MEASURED; i++) await oneMessage(d, uid, agentId, totals);
  } finally {
    stopMeter();
  }
  return totals;
}

/**
 * The writes of a production message, rollup included: the claim, the spend hold, the ledger row
 * and its settle (one batch), the rollup marker, a summary shard, a daily shard, the session and a
 * shard of the owner's account day (issue #16), and the row's Stripe outbox entry, created in the
 * rollup's batch (issue #17).
 * The hold and the settle are on every message, with or without limits, so that a limit set while
 * messages are in flight counts them (issue #12); the earlier target of 6 predates them.
 * An owner with live credit grants (issue #17, domain/credits.ts) adds 2 writes per grant held in
 * (at most 3): its hold in the claim batch and its settle (or the hold's delete) in the row batch;
 * the bench's owners have none, so these figures are the no-credit path, whose writes are unchanged.
 */
const WRITES_PER_MESSAGE = 10;
/**
 * Reads of a production message with no limits: the session and the agent (this instance's copy,
 * checked by version) and the owner's account (its credit grants, checked the same way, issue #17),
 * all in the one admission read after the claim. A limit adds its 16 spend shards, and so does each
 * live grant held in.
 */
const READS_PER_MESSAGE = 3;

const round = (x: number) => Math.round(x * 100) / 100;
const METHOD = `counted at the Firestore client while the backend's code ran in-process (${MEASURED} messages, after warm-up until every rollup shard exists; see scripts/bench/documents.ts)`;

/** The counted figures; run with background triggers off (see the module doc). */
export async function countDocuments(db: Firestore): Promise<Figure[]> {
  const free = await costsFor(db, {});
  const limited = await costsFor(db, { dailyLimitMicros: 1_000_000_000, monthlyLimitMicros: 10_000_000_000 });
  const total = (c: StageCosts) => ({ reads: round(c.send.reads + c.rollup.reads), writes: round(c.send.writes + c.rollup.writes) });
  const [base, withLimits] = [total(free), total(limited)];
  const extra = { reads: round(withLimits.reads - base.reads), writes: round(withLimits.writes - base.writes) };
  const figure = (name: string, value: string, target: string, pass: boolean | null): Figure => ({
    group: "documents",
    name,
    value,
    unit: "",
    target,
    pass,
    method: METHOD,
  });
  return [
    figure(
      "per message, no limits (rollup included)",
      `${base.writes} W / ${base.reads} R`,
      `≤ ${WRITES_PER_MESSAGE} W / ≤ ${READS_PER_MESSAGE} R`,
      base.writes <= WRITES_PER_MESSAGE && base.reads <= READS_PER_MESSAGE,
    ),
    figure(
      "  of which sendMessage / rollup",
      `${round(free.send.writes)} W ${round(free.send.reads)} R / ${round(free.rollup.writes)} W ${round(free.rollup.reads)} R`,
      "—",
      null,
    ),
    figure(
      "per-user rate limiter, per message",
      `${round(free.rateLimit.writes)} W / ${round(free.rateLimit.reads)} R`,
      "1 W / 1 R",
      free.rateLimit.writes <= 1 && free.rateLimit.reads <= 1,
    ),
    figure(
      "added by spending limits",
      `+${extra.writes} W / +${extra.reads} R`,
      `≤ +0 W / ≤ +${SPEND_SHARDS} R`,
      extra.writes <= 0 && extra.reads <= SPEND_SHARDS,
    ),
  ];
}

/** Collections a message can touch, for the observed cross-check. */
const OBSERVED = [
  COLLECTIONS.ledger,
  COLLECTIONS.claims,
  COLLECTIONS.rollupMarkers,
  COLLECTIONS.summaries,
  COLLECTIONS.daily,
  COLLECTIONS.sessions,
  COLLECTIONS.rateLimits,
  COLLECTIONS.spend,
  COLLECTIONS.failures,
];

/** Documents created and changed (not created) in each collection since `since`. */
export async function observedChanges(db: Firestore, since: Date): Promise<Record<string, { created: number; changed: number }>> {
  const out: Record<string, { created: number; changed: number }> = {};
  for (const name of OBSERVED) {
    const snap = await db.collection(name).select().get();
    const created = snap.docs.filter((d) => d.createTime.toDate() >= since).length;
    const changed = snap.docs.filter((d) => d.updateTime.toDate() >= since).length - created;
    out[name] = { created, changed };
  }
  return out;
}

/** The observed cross-check as one informational figure, with the per-collection breakdown. */
export function observedFigure(changes: Record<string, { created: number; changed: number }>, messages: number): Figure {
  const created = Object.values(changes).reduce((sum, c) => sum + c.created, 0);
  const touched = Object.values(changes).reduce((sum, c) => sum + c.created + c.changed, 0);
  const perCollection = Object.entries(changes)
    .filter(([, c]) => c.created + c.changed > 0)
    .map(([name, c]) => `${name} ${round(c.created / messages)} new + ${round(c.changed / messages)} changed`);
  return {
    group: "documents",
    name: "observed on the emulator path, per message",
    value: `${round(created / messages)} created, ${round(touched / messages)} touched`,
    unit: "",
    target: "—",
    pass: null,
    method: `documents whose createTime/updateTime fall in the metering run (${messages} messages to fresh agents, so their rollup documents are new too; a document written twice counts once: a lower bound on writes): ${perCollection.join("; ")}`,
  };
}
