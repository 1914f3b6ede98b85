/**
 * Billing's own cost in-process (issue #13): the backend's sendMessage handler runs in this process
 * with the deployed function's dependencies (the per-user rate limit included) against the
 * Firestore emulator and the local agent, background triggers off; each row is rolled up by the
 * real rollup handler after it is timed, so totals stay exact.
 *
 *  - Round trips: every Firestore round trip the handler makes is timed at the client
 *    (firestore-meter.ts), and so is the agent call; the figure is how many it waited for one after
 *    another before the agent was called and after it answered (sequentialDepth).
 *  - Overhead: the handler's latency beside a direct call of the same agent client with the same
 *    message, one at a time.
 */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import { openAiAgentClient, type AgentClient } from "../../functions/src/agent/agent-client";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { ledgerId } from "../../functions/src/domain/ids";
import { handleLedgerRowCreated } from "../../functions/src/handlers/rollup";
import { handleSendMessage, sendMessageDeps } from "../../functions/src/handlers/send-message";
import { AgentCache } from "../../functions/src/store/agents";
import { localSigningKey } from "../local-env";
import { LOCAL_AGENT_URL } from "./env";
import { sequentialDepth, startTrace, stopTrace, takeTrace } from "./firestore-meter";
import type { Figure } from "./report";
import { summarize } from "./stats";

const WARMUP = 8;
const MEASURED = 40;
const MESSAGE = "Benchmark: what is the status of order 1042?";
/** The limiter's cost does not depend on its figures: these never refuse. */
const USER_LIMITS = { perMinute: 1_000_000, burst: 1_000_000, devDailyUserCap: 1_000_000 };

/** An agent client that remembers when each call started and answered. */
function timedAgent(inner: AgentClient): AgentClient & { calls: { start: number; end: number }[] } {
  const calls: { start: number; end: number }[] = [];
  return {
    calls,
    complete: async (req) => {
      const start = performance.now();
      try {
        return await inner.complete(req);
      } finally {
        calls.push({ start, end: performance.now() });
      }
    },
  };
}

interface Traced {
  before: number[];
  after: number[];
  handlerMs: number[];
  directMs: number[];
}

/** Production messages to a fresh agent with `billing`, each traced; a direct agent call after each. */
async function traceMessages(db: Firestore, billing: Record<string, unknown>): Promise<Traced> {
  const uid = `bench-trips-${randomUUID().slice(0, 8)}`;
  const agentId = `bench-trips-${randomUUID().slice(0, 8)}`;
  await db
    .doc(`${COLLECTIONS.agents}/${agentId}`)
    .set({ userId: uid, name: "Bench round trips", model: "gpt-4", status: "active", billing });
  const inner = openAiAgentClient({ baseURL: LOCAL_AGENT_URL, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 20_000, maxRetries: 2 });
  const agent = timedAgent(inner);
  const key = localSigningKey();
  const deps = sendMessageDeps(
    { db, agent, signingKey: key, devDailyMessageCap: 500, userLimits: USER_LIMITS },
    { agents: new AgentCache() },
  );
  const traced: Traced = { before: [], after: [], handlerMs: [], directMs: [] };
  for (let i = 0; i < WARMUP + MEASURED; i++) {
    const request = { agentId, conversationId: "trips", message: MESSAGE, testMode: "production" as const };
    startTrace(db);
    const start = performance.now();
    const result = await handleSendMessage(deps, uid, request);
    const handlerMs = performance.now() - start;
    const trips = takeTrace();
    stopTrace();
    const call = agent.calls[agent.calls.length - 1];
    const directStart = performance.now();
    await inner.complete({ model: "gpt-4", messages: [{ role: "user", content: MESSAGE }], maxTokens: 1_024 });
    const directMs = performance.now() - directStart;
    const id = ledgerId(agentId, "trips", result.messageId);
    const row = (await db.doc(`${COLLECTIONS.ledger}/${id}`).get()).data();
    if ((await handleLedgerRowCreated(db, key, id, row)) !== "applied") throw new Error(`rollup of ${id} was not applied`);
    if (i < WARMUP) continue;
    traced.before.push(sequentialDepth(trips.filter((t) => t.end <= call.start)));
    traced.after.push(sequentialDepth(trips.filter((t) => t.start >= call.end)));
    traced.handlerMs.push(handlerMs);
    traced.directMs.push(directMs);
  }
  return traced;
}

const most = (xs: number[]) => Math.max(...xs);
const METHOD = `${MEASURED} production messages after ${WARMUP} warm-up, one at a time, the handler in-process with the deployed dependencies (rate limit on), round trips timed at the Firestore client; see scripts/bench/round-trips.ts`;

/** The round-trip and in-process overhead figures; `writeMs` is the single-document write p50. Run with background triggers off. */
export async function measureRoundTrips(db: Firestore, writeMs: number): Promise<Figure[]> {
  const free = await traceMessages(db, {});
  const limited = await traceMessages(db, { dailyLimitMicros: 1_000_000_000, monthlyLimitMicros: 10_000_000_000 });
  const trips = (pick: (t: Traced) => number[]) => `${most(pick(free))} / ${most(pick(limited))}`;
  const overhead = (t: Traced) => Math.round((summarize(t.handlerMs).p50 - summarize(t.directMs).p50) * 10) / 10;
  const allowed = 2 * writeMs;
  return [
    {
      group: "latency",
      name: "sequential round trips before the agent call (no limits / limits)",
      value: trips((t) => t.before),
      unit: "",
      target: "1 / 1",
      pass: most(free.before) <= 1 && most(limited.before) <= 1,
      method: METHOD,
    },
    {
      group: "latency",
      name: "sequential round trips after the agent answered (no limits / limits)",
      value: trips((t) => t.after),
      unit: "",
      target: "1 / 1",
      pass: most(free.after) <= 1 && most(limited.after) <= 1,
      method: METHOD,
    },
    {
      group: "latency",
      name: "in-process overhead p50, handler − direct agent (no limits / limits)",
      value: `${overhead(free)} / ${overhead(limited)}`,
      unit: "ms",
      target: `≤ 2 writes = ${Math.round(allowed * 10) / 10} ms`,
      pass: overhead(free) <= allowed && overhead(limited) <= allowed,
      method: METHOD,
    },
  ];
}
