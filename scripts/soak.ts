/**
 * `npm run soak [-- --seconds N] [-- --kill-workers] [-- --freeze-firestore]` (issue #14): a bounded mixed load through the
 * client SDK (a client that retries, as an app's does) for N seconds (default 60) at concurrency 8:
 * production, development, streamed, duplicate pairs (one messageId sent twice at once), agent
 * failures, and a limited agent. With --kill-workers, in the middle third of the run a sendMessage
 * worker of the Functions emulator is killed (SIGKILL) every 4 s: the requests it was serving die
 * wherever they were. With --freeze-firestore, the Firestore emulator is stopped (SIGSTOP) for
 * 5 s early in the middle third and then let go on (SIGCONT): every request, trigger and sweeper in
 * flight waits on a database that does not answer, as in an outage; nothing is lost from it, as
 * nothing is lost from Firestore. (Killing and restarting the emulator would lose its in-memory
 * data, which a real outage does not.) Then the rollups settle, the claim sweeper runs as the scheduler would once
 * the claims are past their TTL, and every figure is checked against the ledger:
 *
 *   lost           an answer the client got (billed or free) with no ledger row, or another cost
 *   wrongly billed a message the client was told was refused or failed, with a row
 *   double-billed  ledger rows beyond one per message sent
 *   over limit     the limited agent's spend above its daily limit
 *   drift          fields where a total (or the Stripe outbox) differs from its rows (npm run reconcile)
 *   Stripe         after one dispatcher run, billed rows the local Stripe did not receive exactly
 *                  once with their cost (and events of no row)
 *
 * The targets of those six are 0; the run exits 1 otherwise. Messages whose request died (the
 * client got no answer) are counted apart ("no answer"): billed once or not at all, never twice.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import type { Firestore } from "firebase-admin/firestore";
import { createBillingClient, type BillingClient } from "../client/src";
import { COLLECTIONS } from "../functions/src/base/collections";
import { mapWithConcurrency } from "../functions/src/base/pool";
import { CLAIM_TTL_MS } from "../functions/src/config";
import { ledgerId } from "../functions/src/domain/ids";
import type { LedgerRow } from "../functions/src/domain/ledger";
import { usageReportOf } from "../functions/src/domain/usage-report";
import { dispatchUsage } from "../functions/src/handlers/usage-dispatch";
import { releaseAbandonedClaims } from "../functions/src/store/claim-sweep";
import { readSpend } from "../functions/src/store/spend";
import { listenerPid, workerPids } from "./bench/env";
import { count, table } from "./cli-format";
import { adminDb, connectedWebApp, localSigningKey, PORTS, seedAgent, signUpWebUser } from "./local-env";
import { reconcile } from "./reconcile";
import { seededRandom } from "./seed-traffic";
import { localStripe, METER_EVENT, notExactlyOnce, receivedFor } from "./stripe-received";

const CONCURRENCY = 8;
/** The limited agent's daily limit, in µ$: about 3 of its messages at worst case (6,630 µ$ each), so some are refused. */
const DAILY_LIMIT_MICROS = 20_000;
const MESSAGE = "Soak [[tokens:90]] [[sleep:50]]";
const MAX_TOKENS = 100;
/** How long --freeze-firestore stops the Firestore emulator. */
const FREEZE_MS = 5_000;

type Kind = "production" | "development" | "streamed" | "duplicate" | "agent-failure" | "limited";
const MIX: [Kind, number][] = [
  ["production", 40],
  ["development", 20],
  ["streamed", 15],
  ["duplicate", 10],
  ["agent-failure", 10],
  ["limited", 5],
];

type Outcome = "billed" | "free" | "refused" | "failed" | "no answer";

/** One call as the client saw it. */
interface Sent {
  kind: Kind;
  agentId: string;
  conversationId: string;
  messageId: string;
  outcome: Outcome;
  costMicros?: number;
  replayed?: boolean;
}

interface Owner {
  uid: string;
  client: BillingClient;
  agentId: string;
  limitedAgentId: string;
}

async function owner(i: number): Promise<Owner> {
  const app = connectedWebApp(`soak-${randomUUID()}`);
  const { uid } = await signUpWebUser(app, `soak${i}`);
  const agentId = await seedAgent(uid, { name: `Soak agent ${i}` }, `soak-${i}-${randomUUID().slice(0, 8)}`);
  const limitedAgentId = await seedAgent(
    uid,
    { name: `Soak limited ${i}`, billing: { dailyLimitMicros: DAILY_LIMIT_MICROS, timezone: "UTC" } },
    `soak-limited-${i}-${randomUUID().slice(0, 8)}`,
  );
  return { uid, client: createBillingClient({ app }), agentId, limitedAgentId };
}

const outcomeOf = (err: unknown): Outcome => {
  const code = String((err as { code?: string }).code ?? "");
  if (code === "resource-exhausted") return "refused";
  if (code === "unavailable") return "failed";
  return "no answer";
};

/** Sends one message of `kind`; a duplicate sends the same messageId twice at once. */
async function send(o: Owner, kind: Kind, n: number): Promise<Sent[]> {
  const agentId = kind === "limited" ? o.limitedAgentId : o.agentId;
  const conversationId = `soak-${n % 16}`;
  const messageId = randomUUID();
  const request = {
    agentId,
    conversationId,
    messageId,
    maxTokens: MAX_TOKENS,
    message: kind === "agent-failure" ? `[[fail:500]] ${MESSAGE}` : MESSAGE,
    testMode: kind === "development" ? ("development" as const) : ("production" as const),
  };
  const one = async (): Promise<Sent> => {
    const base = { kind, agentId, conversationId, messageId };
    try {
      const r = kind === "streamed" ? await o.client.streamMessage(request, () => undefined) : await o.client.sendMessage(request);
      return { ...base, outcome: r.billable ? "billed" : "free", costMicros: r.costMicros, replayed: r.replayed };
    } catch (err) {
      return { ...base, outcome: outcomeOf(err) };
    }
  };
  return kind === "duplicate" ? Promise.all([one(), one()]) : [await one()];
}

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

/** Kills a sendMessage worker every 4 s between `from` and `until` (epoch ms); returns how many. */
async function killWorkers(from: number, until: number): Promise<number> {
  let killed = 0;
  await sleepUntil(from);
  while (Date.now() < until) {
    const [pid] = workerPids("sendMessage");
    if (pid) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // it exited meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 4_000));
  }
  return killed;
}

/**
 * Stops the Firestore emulator (SIGSTOP to the process listening on its port) at `at` for
 * {@link FREEZE_MS}, then lets it go on; it is let go on also if this process exits first.
 * Returns the milliseconds it was frozen.
 */
async function freezeFirestore(at: number): Promise<number> {
  await sleepUntil(at);
  const pid = listenerPid(PORTS.firestore);
  if (!pid) throw new Error(`no process listens on the Firestore emulator's port ${PORTS.firestore}`);
  const thaw = () => process.kill(pid, "SIGCONT");
  process.once("exit", thaw);
  const frozenAt = Date.now();
  process.kill(pid, "SIGSTOP");
  const name = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  process.stdout.write(`\n  stopped the Firestore emulator (pid ${pid}, ${name}) for ${FREEZE_MS / 1000} s\n`);
  await sleepUntil(frozenAt + FREEZE_MS);
  thaw();
  process.removeListener("exit", thaw);
  return Date.now() - frozenAt;
}

/** The ledger rows of `agentIds`, by id. */
async function rowsOf(db: Firestore, agentIds: string[]): Promise<Map<string, LedgerRow>> {
  const rows = new Map<string, LedgerRow>();
  for (const agentId of agentIds) {
    const snap = await db.collection(COLLECTIONS.ledger).where("agentId", "==", agentId).get();
    for (const d of snap.docs) rows.set(d.id, d.data() as LedgerRow);
  }
  return rows;
}

/**
 * The dispatcher's run as the scheduler makes it, once everything has settled, for the soak's
 * owners; then how far what the local Stripe received is from each billed row once.
 */
async function sentToStripe(db: Firestore, uids: string[], rows: Map<string, LedgerRow>): Promise<number> {
  const stripe = await localStripe();
  await dispatchUsage({ db, stripe, meterEventName: METER_EVENT, now: Date.now, eventsPerSecond: 200, owners: uids });
  const expected = new Map([...rows].flatMap(([id, row]) => (usageReportOf(id, row) ? [[id, row.costMicros] as const] : [])));
  return notExactlyOnce(await receivedFor(db, uids), expected);
}

/** Reconciles each owner (their agents and account days) until nothing drifts (the rollups may still be landing) or 90 s pass. */
async function driftAfterSettling(db: Firestore, ownerIds: string[]): Promise<number> {
  const signingKey = localSigningKey();
  for (const until = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 1_000))) {
    let drift = 0;
    for (const ownerId of ownerIds) drift += (await reconcile(db, { signingKey, ownerId, pageSize: 500 })).drifts.length;
    if (drift === 0 || Date.now() > until) return drift;
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const seconds = Number(argv[argv.indexOf("--seconds") + 1] ?? 60) || 60;
  const kill = argv.includes("--kill-workers");
  const freeze = argv.includes("--freeze-firestore");
  const db = adminDb();
  const owners = await Promise.all([0, 1, 2, 3].map(owner));
  const agentIds = owners.flatMap((o) => [o.agentId, o.limitedAgentId]);
  const random = seededRandom("soak");
  const pick = (): Kind => {
    let r = random() * 100;
    for (const [kind, weight] of MIX) if ((r -= weight) < 0) return kind;
    return "production";
  };
  console.log(
    `soak: ${seconds} s at concurrency ${CONCURRENCY}, ${owners.length} owners` +
      `${kill ? ", killing a sendMessage worker every 4 s in the middle third" : ""}` +
      `${freeze ? `, the Firestore emulator stopped for ${FREEZE_MS / 1000} s in the middle third` : ""}`,
  );
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const killing = kill ? killWorkers(started + (seconds * 1000) / 3, started + (2 * seconds * 1000) / 3) : Promise.resolve(0);
  const freezing = freeze ? freezeFirestore(started + (seconds * 1000) / 3 + 1_000) : Promise.resolve(0);
  const sent: Sent[] = [];
  let n = 0;
  await mapWithConcurrency(
    Array.from({ length: CONCURRENCY }, (_, i) => i),
    CONCURRENCY,
    async (lane) => {
      while (Date.now() < deadline) {
        sent.push(...(await send(owners[lane % owners.length], pick(), n++)));
        if (sent.length % 50 === 0) process.stdout.write(`\r  ${count(sent.length)} calls, ${Math.round((Date.now() - started) / 1000)} s`);
      }
    },
  );
  const killed = await killing;
  const frozenMs = await freezing;
  console.log(`\r  ${count(sent.length)} calls in ${Math.round((Date.now() - started) / 1000)} s; settling…`);

  // The sweeper as the scheduler runs it, once every claim of the run is past its TTL.
  const released = await releaseAbandonedClaims(db, Date.now() + CLAIM_TTL_MS + 1_000, CLAIM_TTL_MS);
  const drift = await driftAfterSettling(
    db,
    owners.map((o) => o.uid),
  );
  const rows = await rowsOf(db, agentIds);
  const stripeOff = await sentToStripe(
    db,
    owners.map((o) => o.uid),
    rows,
  );
  const messages = new Map<string, Sent[]>();
  for (const s of sent) {
    const id = ledgerId(s.agentId, s.conversationId, s.messageId);
    messages.set(id, [...(messages.get(id) ?? []), s]);
  }
  let lost = 0;
  let wronglyBilled = 0;
  for (const [id, calls] of messages) {
    const row = rows.get(id);
    for (const s of calls) {
      if ((s.outcome === "billed" || s.outcome === "free") && (!row || row.costMicros !== s.costMicros)) lost++;
      if ((s.outcome === "refused" || s.outcome === "failed") && row) wronglyBilled++;
    }
  }
  const doubleBilled = [...rows.keys()].filter((id) => !messages.has(id)).length;
  const day = new Date().toISOString().slice(0, 10);
  let overLimit = 0;
  for (const o of owners) {
    const spend = await readSpend(db, o.limitedAgentId, { day, month: day.slice(0, 7) });
    if (spend.daySpentMicros > DAILY_LIMIT_MICROS) overLimit++;
  }
  const tally = (outcome: Outcome) => sent.filter((s) => s.outcome === outcome).length;
  const figures: [string, number, string][] = [
    ["calls sent", sent.length, "—"],
    ["billed", tally("billed"), "—"],
    ["free (development)", tally("free"), "—"],
    ["refused (resource-exhausted)", tally("refused"), "—"],
    ["agent failed, nothing billed (unavailable)", tally("failed"), "—"],
    ["no answer (the request died)", tally("no answer"), "—"],
    ["replayed (duplicates, retries)", sent.filter((s) => s.replayed).length, "—"],
    ["workers killed", killed, "—"],
    ["Firestore emulator stopped (ms)", frozenMs, "—"],
    ["claims released by the sweeper", released, "—"],
    ["lost", lost, "0"],
    ["wrongly billed", wronglyBilled, "0"],
    ["double-billed", doubleBilled, "0"],
    ["limited agents over their limit", overLimit, "0"],
    ["drift (fields, the Stripe outbox included)", drift, "0"],
    ["billed rows not sent to Stripe exactly once", stripeOff, "0"],
  ];
  console.log(
    `\n${table(
      ["figure", "value", "target"],
      figures.map(([name, value, target]) => [name, count(value), target]),
    )}`,
  );
  const failed = figures.filter(([, value, target]) => target === "0" && value !== 0);
  console.log(failed.length ? `\nFAILED: ${failed.map(([name]) => name).join(", ")}` : "\nevery target met");
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`soak failed: ${err.stack ?? err.message}`);
    process.exit(2);
  },
);
