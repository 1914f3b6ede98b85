/**
 * Metering latency end to end, through the web SDK and the Functions emulator: sendMessage
 * (production) beside a baseline callable that only proxies to the local agent (benchBaseline) and
 * a direct call to the local agent, each warmed up and then timed; plus the time of a
 * single-document write, for the targets.
 *
 *  - measureMetering: at concurrency 8 with the rollup trigger running, as `npm start` runs.
 *  - measureBillingAlone: the rollup trigger held back (background triggers off), so the figures
 *    are billing's own: at concurrency 1 (non-streaming, and the time to the first streamed chunk)
 *    and at 8. Then the rows are let go: rolled up by the real rollup handler in this process, so
 *    every total still equals its ledger rows. In a deployment the rollups run on instances of
 *    their own; on these 2 cores they take CPU from the messages.
 */
import { getFunctions, httpsCallable } from "firebase/functions";
import { openAiAgentClient } from "../../functions/src/agent/agent-client";
import type { Firestore } from "firebase-admin/firestore";
import type { Figure } from "./report";
import { LOCAL_AGENT_URL, type BenchUser } from "./env";
import { summarize, timeCalls } from "./stats";
import { mapWithConcurrency } from "../../functions/src/base/pool";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { handleLedgerRowCreated } from "../../functions/src/handlers/rollup";
import { localSigningKey } from "../local-env";
import { cpuWhile, type CpuShare } from "./cpu";

export const MESSAGES = 240;
export const CONCURRENCY = 8;
const WARMUP = 32;
const WRITES = 200;
const MESSAGE = "Benchmark: what is the status of order 1042?";

type Caller = (i: number) => Promise<unknown>;
type User = BenchUser & { agentId: string };

/** sendMessage through the client SDK, users taken round-robin (the rate limit is per user). */
function sendMessageCaller(users: User[], run: string): Caller {
  return (i) => {
    const user = users[i % users.length];
    return user.client.sendMessage({
      agentId: user.agentId,
      conversationId: `bench-${run}-${i % users.length}`,
      message: MESSAGE,
      testMode: "production",
    });
  };
}

/** A streamed call: resolves when it is done, with when its first text chunk arrived (performance.now()). */
type StreamedCaller = (i: number) => Promise<number>;

/** Streamed sendMessage (the time a user waits to see the answer start is its first delta). */
function streamedSendMessage(users: User[], run: string): StreamedCaller {
  return async (i) => {
    const user = users[i % users.length];
    const conversationId = `bench-${run}-${i % users.length}`;
    const request = { agentId: user.agentId, conversationId, message: MESSAGE, testMode: "production" as const };
    let first = Number.NaN;
    await user.client.streamMessage(request, () => {
      if (Number.isNaN(first)) first = performance.now();
    });
    return first;
  };
}

/** The baseline callable, streamed. */
function streamedBaseline(users: User[]): StreamedCaller {
  const callables = users.map((u) =>
    httpsCallable<{ message: string }, { response: string }, { delta: string }>(getFunctions(u.app), "benchBaseline"),
  );
  return async (i) => {
    const { stream, data } = await callables[i % callables.length].stream({ message: MESSAGE });
    let first = Number.NaN;
    for await (const chunk of stream) if (chunk.delta && Number.isNaN(first)) first = performance.now();
    await data;
    return first;
  };
}

/** p50 of the time to the first chunk of `n` streamed calls one at a time, after a warm-up. */
async function firstChunkP50(call: StreamedCaller, n: number): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await call(i);
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const first = await call(WARMUP + i);
    if (Number.isNaN(first)) throw new Error("a streamed call answered without a chunk");
    latencies.push(first - start);
  }
  return summarize(latencies).p50;
}

/** The baseline callable through the same web SDK transport, or null when it is not served. */
async function baselineCaller(users: User[]): Promise<Caller | null> {
  const callables = users.map((u) => httpsCallable(getFunctions(u.app), "benchBaseline"));
  const call: Caller = (i) => callables[i % callables.length]({ message: MESSAGE });
  try {
    await call(0);
    return call;
  } catch (err) {
    if (String((err as { code?: string }).code).endsWith("not-found")) return null;
    throw err;
  }
}

/** The local agent called directly with the backend's own agent client and settings. */
function directCaller(): Caller {
  const agent = openAiAgentClient({ baseURL: LOCAL_AGENT_URL, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 20_000, maxRetries: 2 });
  return () => agent.complete({ model: "gpt-4", messages: [{ role: "user", content: MESSAGE }], maxTokens: 1_024 });
}

/** Warms `call` up (the emulator starts a worker per concurrent request), then times `n` calls at `concurrency`. */
async function warmAndTime(call: Caller, offset: number, concurrency = CONCURRENCY, n = MESSAGES) {
  const warm = await timeCalls(WARMUP, concurrency, (i) => call(offset + i));
  if (warm.failures.length) throw new Error(`warm-up failed: ${warm.failures.slice(0, 3).join(", ")}`);
  const timed = await timeCalls(n, concurrency, (i) => call(offset + WARMUP + i));
  return { ...summarize(timed.latencies), failures: timed.failures };
}

/** p50 of a single-document set() from the Admin SDK, one at a time. */
async function writeTime(db: Firestore): Promise<number> {
  const write = (i: number) => db.doc(`bench_writes/w-${i % 50}`).set({ i, at: new Date() });
  await timeCalls(20, 1, write);
  return summarize((await timeCalls(WRITES, 1, write)).latencies).p50;
}

/** The metering figures; `window` is when the timed sendMessage calls ran. */
export async function measureMetering(
  db: Firestore,
  users: User[],
): Promise<{ figures: Figure[]; window: { start: Date; end: Date }; sent: number; writeMs: number }> {
  const write = await writeTime(db);
  const start = new Date();
  const send = await warmAndTime(sendMessageCaller(users, "metering"), 0);
  const end = new Date();
  const baselineCall = await baselineCaller(users);
  const baseline = baselineCall ? await warmAndTime(baselineCall, 0) : null;
  const direct = await warmAndTime(directCaller(), 0);
  const method = `${MESSAGES} calls after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, ${users.length} users round-robin, client-side latency through the web SDK`;
  const figures: Figure[] = [
    {
      group: "latency",
      name: "single-document write p50",
      value: write,
      unit: "ms",
      target: "—",
      pass: null,
      method: `Admin SDK set() of one document, ${WRITES} in a row`,
    },
    {
      group: "latency",
      name: "local agent direct p50 / p99",
      value: `${direct.p50} / ${direct.p99}`,
      unit: "ms",
      target: "—",
      pass: null,
      method,
    },
    baseline
      ? {
          group: "latency",
          name: "baseline callable p50 / p99",
          value: `${baseline.p50} / ${baseline.p99}`,
          unit: "ms",
          target: "—",
          pass: null,
          method,
        }
      : {
          group: "latency",
          name: "baseline callable p50 / p99",
          value: "n/a",
          unit: "",
          target: "benchBaseline served",
          pass: false,
          method: "benchBaseline is not exported by functions/src/index.ts",
        },
    {
      group: "latency",
      name: "sendMessage p50 / p99",
      value: `${send.p50} / ${send.p99}`,
      unit: "ms",
      target: "—",
      pass: send.failures.length === 0 ? null : false,
      method,
    },
    {
      group: "latency",
      name: "concurrency 8, rollups running: billing overhead at p50 (sendMessage − baseline)",
      value: baseline ? Math.round((send.p50 - baseline.p50) * 10) / 10 : "n/a",
      unit: baseline ? "ms" : "",
      target: "— (reported; the target is the rollups-held-back figure)",
      pass: baseline ? null : false,
    },
  ];
  if (send.failures.length)
    figures.push({
      group: "latency",
      name: "sendMessage failures",
      value: send.failures.length,
      unit: "",
      target: "0",
      pass: false,
      method: send.failures.slice(0, 5).join(", "),
    });
  return { figures, window: { start, end }, sent: WARMUP + MESSAGES, writeMs: write };
}

const ONE_AT_A_TIME = 60;
const ms = (x: number) => Math.round(x * 10) / 10;

/**
 * Lets the held-back rows go: every ledger row of the users' agents created since `since` (found in
 * the ledger, not from the answers, so a call that failed after its row was written counts too) is
 * rolled up by the real handler, each agent's rows in order, 8 agents at a time.
 */
async function letGo(db: Firestore, users: User[], since: Date): Promise<{ rows: number; applied: number }> {
  const key = localSigningKey();
  const counted = { rows: 0, applied: 0 };
  await mapWithConcurrency(users, 8, async (user) => {
    const snap = await db.collection(COLLECTIONS.ledger).where("agentId", "==", user.agentId).get();
    const held = snap.docs.filter((d) => d.createTime.toDate() >= since).sort((x, y) => x.createTime.toMillis() - y.createTime.toMillis());
    for (const doc of held) {
      counted.rows++;
      if ((await handleLedgerRowCreated(db, key, doc.id, doc.data())) === "applied") counted.applied++;
    }
  });
  return counted;
}

/** The timed runs of measureBillingAlone. */
async function timeBillingAlone(users: User[], baselineCall: Caller) {
  const send1 = await warmAndTime(sendMessageCaller(users, "alone-1"), 0, 1, ONE_AT_A_TIME);
  const base1 = await warmAndTime(baselineCall, 0, 1, ONE_AT_A_TIME);
  const stream1 = await firstChunkP50(streamedSendMessage(users, "alone-stream"), ONE_AT_A_TIME);
  const baseStream1 = await firstChunkP50(streamedBaseline(users), ONE_AT_A_TIME);
  const { result: send8, cpuMs } = await cpuWhile(() => warmAndTime(sendMessageCaller(users, "alone-8"), 0));
  const base8 = await warmAndTime(baselineCall, 0);
  return { send1, base1, stream1, baseStream1, send8, base8, cpuMs };
}

/**
 * Billing's own latency, with the rollup trigger held back (see the module doc); `writeMs` is the
 * single-document write p50. Background triggers must be off while it runs; its rows are rolled
 * up before it returns, whether it succeeded or not.
 */
export async function measureBillingAlone(db: Firestore, users: User[], writeMs: number): Promise<Figure[]> {
  const baselineCall = await baselineCaller(users);
  if (!baselineCall) return [];
  const since = new Date();
  let timed: Awaited<ReturnType<typeof timeBillingAlone>>;
  let rolled: { rows: number; applied: number };
  try {
    timed = await timeBillingAlone(users, baselineCall);
  } finally {
    rolled = await letGo(db, users, since);
  }
  if (rolled.applied !== rolled.rows) throw new Error(`let go: ${rolled.applied} of ${rolled.rows} held-back rows rolled up`);
  const { send1, base1, stream1, baseStream1, send8, base8, cpuMs } = timed;
  const rows = rolled.rows;
  const perMessage = (kind: CpuShare) => ms(cpuMs[kind] / (WARMUP + MESSAGES));
  const failures = [send1, send8].reduce((n, r) => n + r.failures.length, 0);
  const method = (concurrency: number) =>
    `${concurrency === 1 ? ONE_AT_A_TIME : MESSAGES} calls after ${WARMUP} warm-up, concurrency ${concurrency}, rollup trigger held back (then ${rows} rows rolled up in-process), ${users.length} users round-robin, client-side latency through the web SDK`;
  const overhead8 = ms(send8.p50 - base8.p50);
  return [
    {
      group: "latency",
      name: "concurrency 1: sendMessage / baseline p50",
      value: `${send1.p50} / ${base1.p50} = ${Math.round((send1.p50 / base1.p50) * 100) / 100}×`,
      unit: "",
      target: "≤ 1.25×",
      pass: send1.p50 <= 1.25 * base1.p50,
      method: method(1),
    },
    {
      group: "latency",
      name: "concurrency 1: first streamed chunk p50, sendMessage / baseline",
      value: `${ms(stream1)} / ${ms(baseStream1)}`,
      unit: "ms",
      target: `≤ baseline + 1 write = ${ms(baseStream1 + writeMs)} ms`,
      pass: stream1 <= baseStream1 + writeMs,
      method: method(1),
    },
    {
      group: "latency",
      name: "concurrency 8, rollups held back: sendMessage / baseline p50",
      value: `${send8.p50} / ${base8.p50}`,
      unit: "ms",
      target: "—",
      pass: null,
      method: method(8),
    },
    {
      group: "latency",
      name: "concurrency 8, rollups held back: billing overhead at p50",
      value: overhead8,
      unit: "ms",
      target: `≤ 3 writes = ${ms(3 * writeMs)} ms`,
      pass: overhead8 <= 3 * writeMs,
      method: method(8),
    },
    {
      group: "latency",
      name: "concurrency 8, rollups held back: CPU per message, Firestore emulator / function workers / bench",
      value: `${perMessage("Firestore emulator")} / ${perMessage("function workers")} / ${perMessage("this process")}`,
      unit: "ms",
      target: "—",
      pass: null,
      method: `CPU time (/proc utime+stime) of each kind of process over the run, divided by its ${WARMUP + MESSAGES} messages; 2 cores are shared by all of them`,
    },
    ...(failures
      ? [
          {
            group: "latency" as const,
            name: "sendMessage failures (rollups held back)",
            value: failures,
            unit: "",
            target: "0",
            pass: false,
          },
        ]
      : []),
  ];
}
