/**
 * The per-user rate limit of sendMessage (params RATE_LIMIT_PER_MINUTE=120, RATE_LIMIT_BURST=30
 * per 5-second slot).
 */
import { BURST_SLOT_MS } from "../../src/domain/rate-limit";
import { enforceDevUserCap } from "../../src/store/rate-limit";
import { adminDb, agentCompletions, call, countWhere, createUser, seedAgent, type TestUser } from "../helpers/emulator";

// The first flood starts the Functions emulator's workers: on a busy machine that alone can take most of a minute.
jest.setTimeout(120_000);

const BURST = 40;
/** The Functions emulator runs one worker process per concurrent request: keep a small pool. */
const WORKERS = 8;

/** Sends `count` messages through WORKERS concurrent callers; returns each call's status. */
async function flood(user: TestUser, agentId: string, count = BURST): Promise<string[]> {
  const statuses: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < count) {
      const res = await call(
        "sendMessage",
        { agentId, conversationId: "flood", message: "spam [[tokens:1]]", testMode: "production" },
        user.idToken,
      );
      statuses.push(res.error?.status ?? "OK");
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return statuses;
}

/** Waits for the start of the next burst slot, so a warm burst lands in one slot. */
async function slotStart(): Promise<void> {
  await new Promise((r) => setTimeout(r, BURST_SLOT_MS - (Date.now() % BURST_SLOT_MS) + 20));
}

it("refuses one user's flood with resource-exhausted and leaves other users unaffected", async () => {
  const [flooder, neighbour, warmer] = await Promise.all([createUser("flood"), createUser("neighbour"), createUser("warm")]);
  // Start the emulator's workers before measuring, so the burst lands in one 5-second slot.
  await flood(warmer, await seedAgent(warmer.uid), WORKERS * 2);
  const agentId = await seedAgent(flooder.uid);
  await slotStart();
  const before = await agentCompletions();
  const statuses = await flood(flooder, agentId);

  const admitted = statuses.filter((s) => s === "OK").length;
  expect(statuses.filter((s) => s !== "OK")).toEqual(Array(BURST - admitted).fill("RESOURCE_EXHAUSTED"));
  expect(admitted).toBeGreaterThan(0);
  expect(admitted).toBeLessThanOrEqual(30);
  expect(await countWhere("billable_conversations", "agentId", agentId)).toBe(admitted);
  expect((await agentCompletions()) - before).toBe(admitted);

  const other = await seedAgent(neighbour.uid);
  const res = await call(
    "sendMessage",
    { agentId: other, conversationId: "c", message: "hello", testMode: "production" },
    neighbour.idToken,
  );
  expect(res.error).toBeUndefined();
});

it("caps one user's free development messages per day across all their agents", async () => {
  const now = Date.now();
  const uid = `dev-cap-${now}`;
  for (let i = 0; i < 3; i++) await enforceDevUserCap(adminDb(), uid, 3, now);
  await expect(enforceDevUserCap(adminDb(), uid, 3, now)).rejects.toMatchObject({ code: "resource-exhausted" });
  // Admitted: it returns the UTC day it counted the message on (to give it back if the message fails).
  await expect(enforceDevUserCap(adminDb(), `${uid}-other`, 3, now)).resolves.toBe(new Date(now).toISOString().slice(0, 10));
});

/** What the caller's counters say: rate-limit calls (every minute document) and development messages (every day document). */
async function callerCounts(uid: string): Promise<{ calls: number; devMessages: number }> {
  const snap = await adminDb().collection("billing_rate_limits").where("userId", "==", uid).get();
  const sum = (docs: typeof snap.docs) => docs.reduce((total, d) => total + ((d.get("count") as number) ?? 0), 0);
  return {
    calls: sum(snap.docs.filter((d) => !d.id.includes("_dev_"))),
    devMessages: sum(snap.docs.filter((d) => d.id.includes("_dev_"))),
  };
}

it("counts every request against the rate limit, replays and duplicates too, and a message against the caps once", async () => {
  const user = await createUser("replays");
  const agentId = await seedAgent(user.uid);
  for (const testMode of ["production", "development"] as const) {
    const req = { agentId, conversationId: `replays-${testMode}`, messageId: `m-${testMode}`, message: "once [[tokens:3]]", testMode };
    // The first request and two concurrent duplicates, then three replays of the stored row.
    const first = await Promise.all([1, 2, 3].map(() => call<{ replayed: boolean }>("sendMessage", req, user.idToken)));
    expect(first.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    for (let i = 0; i < 3; i++) expect((await call<{ replayed: boolean }>("sendMessage", req, user.idToken)).result?.replayed).toBe(true);
  }
  expect(await callerCounts(user.uid)).toEqual({ calls: 12, devMessages: 1 });
});

it("refuses a flood of replays of one message with resource-exhausted", async () => {
  const user = await createUser("replay-flood");
  const agentId = await seedAgent(user.uid);
  const req = { agentId, conversationId: "replayed", messageId: "m-1", message: "replay me [[tokens:1]]", testMode: "production" };
  expect((await call("sendMessage", req, user.idToken)).error).toBeUndefined();
  await slotStart();
  const statuses: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < BURST) statuses.push((await call("sendMessage", req, user.idToken)).error?.status ?? "OK");
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const replayed = statuses.filter((s) => s === "OK").length;
  expect(statuses.filter((s) => s !== "OK")).toEqual(Array(BURST - replayed).fill("RESOURCE_EXHAUSTED"));
  expect(replayed).toBeGreaterThan(0);
  expect(replayed).toBeLessThanOrEqual(30);
  expect(await countWhere("billable_conversations", "agentId", agentId)).toBe(1);
});
