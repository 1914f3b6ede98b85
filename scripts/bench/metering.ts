/**
 * Metering latency: sendMessage (production, non-streaming) beside a baseline callable that only
 * proxies to the local agent (benchBaseline) and a direct call to the local agent, each warmed up
 * and then timed at concurrency 8; plus the time of a single-document write, for the target.
 */
import { getFunctions, httpsCallable } from "firebase/functions";
import { openAiAgentClient } from "../../functions/src/agent/agent-client";
import type { Firestore } from "firebase-admin/firestore";
import type { Figure } from "./report";
import { LOCAL_AGENT_URL, type BenchUser } from "./env";
import { summarize, timeCalls } from "./stats";

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

/** Warms `call` up (the emulator starts a worker per concurrent request), then times it. */
async function warmAndTime(call: Caller, offset: number) {
  const warm = await timeCalls(WARMUP, CONCURRENCY, (i) => call(offset + i));
  if (warm.failures.length) throw new Error(`warm-up failed: ${warm.failures.slice(0, 3).join(", ")}`);
  const timed = await timeCalls(MESSAGES, CONCURRENCY, (i) => call(offset + WARMUP + i));
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
): Promise<{ figures: Figure[]; window: { start: Date; end: Date }; sent: number }> {
  const write = await writeTime(db);
  const start = new Date();
  const send = await warmAndTime(sendMessageCaller(users, "metering"), 0);
  const end = new Date();
  const baselineCall = await baselineCaller(users);
  const baseline = baselineCall ? await warmAndTime(baselineCall, 0) : null;
  const direct = await warmAndTime(directCaller(), 0);
  const allowed = baseline ? baseline.p50 + 2 * write : null;
  const method = `${MESSAGES} calls after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, ${users.length} users round-robin, client-side latency through the web SDK`;
  const figures: Figure[] = [
    {
      group: "metering",
      name: "single-document write p50",
      value: write,
      unit: "ms",
      target: "—",
      pass: null,
      method: `Admin SDK set() of one document, ${WRITES} in a row`,
    },
    {
      group: "metering",
      name: "local agent direct p50 / p99",
      value: `${direct.p50} / ${direct.p99}`,
      unit: "ms",
      target: "—",
      pass: null,
      method,
    },
    baseline
      ? {
          group: "metering",
          name: "baseline callable p50 / p99",
          value: `${baseline.p50} / ${baseline.p99}`,
          unit: "ms",
          target: "—",
          pass: null,
          method,
        }
      : {
          group: "metering",
          name: "baseline callable p50 / p99",
          value: "n/a",
          unit: "",
          target: "benchBaseline served",
          pass: false,
          method: "benchBaseline is not exported by functions/src/index.ts",
        },
    {
      group: "metering",
      name: "sendMessage p50 / p99",
      value: `${send.p50} / ${send.p99}`,
      unit: "ms",
      target: "—",
      pass: send.failures.length === 0 ? null : false,
      method,
    },
    {
      group: "metering",
      name: "billing overhead at p50 (sendMessage − baseline)",
      value: baseline ? Math.round((send.p50 - baseline.p50) * 10) / 10 : "n/a",
      unit: baseline ? "ms" : "",
      target: allowed === null ? "≤ 2 writes" : `≤ 2 writes = ${Math.round(2 * write * 10) / 10} ms`,
      pass: allowed === null ? false : send.p50 <= allowed,
    },
  ];
  if (send.failures.length)
    figures.push({
      group: "metering",
      name: "sendMessage failures",
      value: send.failures.length,
      unit: "",
      target: "0",
      pass: false,
      method: send.failures.slice(0, 5).join(", "),
    });
  return { figures, window: { start, end }, sent: WARMUP + MESSAGES };
}
