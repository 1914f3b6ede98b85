/**
 * Group `account` (issue #16): one owner with 50 agents and 90 days of traffic, 20,000+ signed
 * ledger rows, rolled up in-process by the real rollup handler (seed-ledger.ts). The busiest agent
 * is the history group's (history.ts: 21,000+ rows on UTC days, gpt-4 and gpt-4o-mini, 20 %
 * development, 60 messages a conversation), whose rows a full run has already seeded; 49 more
 * agents make a long tail (other models of the price book, six other timezones, their own
 * development share, used on some of the days). Then the account overview over those 90 UTC days:
 * documents read (the handler in-process, counted at the Firestore client), latency (the real
 * callable over HTTP, signed in as the owner), and its totals beside sums taken straight from the
 * owner's ledger rows. Every id derives from the owner, the agent, the day and the row's position,
 * so seeding again (the same day) lands on the same documents, and passes over what is rolled up.
 */
import { FieldPath, type Firestore, type Query } from "firebase-admin/firestore";
import type { AccountOverviewResponse } from "../../functions/src/contract/account";
import { MAX_RANKED_AGENTS } from "../../functions/src/contract/account";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { mapWithConcurrency } from "../../functions/src/base/pool";
import { daysInRange } from "../../functions/src/base/periods";
import { accountDayId } from "../../functions/src/domain/ids";
import { PRICE_BOOK, type PriceBook } from "../../functions/src/domain/pricing";
import { rollupNamed } from "../../functions/src/domain/rollups";
import { handleAccountOverview } from "../../functions/src/handlers/account";
import { foldCutoff } from "../../functions/src/handlers/fold";
import { foldBucket } from "../../functions/src/store/fold";
import { count, table } from "../cli-format";
import { localSigningKey, seedAgent } from "../local-env";
import { ledgerRowOf, trafficOf, type TrafficShape } from "../seed-traffic";
import { compareWithLedger, differences, ledgerSums, overviewReadBound, type Comparison, type LedgerFacts } from "./account-sums";
import { withoutBackendLogs, withTriggersDisabled } from "./env";
import { startMeter, stopMeter, takeMeter } from "./firestore-meter";
import { HISTORY_AGENT_ID, HISTORY_DAYS, historyOwner, historyRange, MIN_ROWS, seedHistory } from "./history";
import { openDays } from "./reads";
import type { Figure } from "./report";
import { seedRows, withoutMarker } from "./seed-ledger";
import { percentile, timeCalls } from "./stats";

export const ACCOUNT_AGENTS = 50;
const TIMEZONES = ["America/Los_Angeles", "Asia/Tehran", "Europe/Berlin", "Asia/Kolkata", "Pacific/Auckland", "America/New_York"];
const DEVELOPMENT_SHARES = [0.1, 0.3, 0.05, 0.6, 0.2];
/**
 * Weekday messages of the tail's busiest agent: tail agent i (from 1) gets about this / i^1.1; one
 * with fewer than 8 a day is used on that share of the days (at least 12 %), at least one message
 * a day when it is.
 */
const TAIL_BUSIEST_PER_DAY = 24;
const TAIL_EXPONENT = 1.1;
const OVERVIEW_CALLS = 20;
const LATENCY_TARGET_MS = 1_000;
const LEDGER_PAGE = 5_000;
const ACCOUNT = rollupNamed("account");

/** One agent of the tail and the traffic it gets. */
export type AgentPlan = Omit<TrafficShape, "userId" | "until" | "days"> & { name: string; models: readonly [string, string] };

/**
 * The 49 agents beside the history agent: each on a model of the price book (its 80 %, the next
 * model in the book its 20 %), in one of six timezones, with its own development share, and
 * conversations of a sixth of a day's messages (at least 3).
 */
export function tailAgents(book: PriceBook = PRICE_BOOK): AgentPlan[] {
  const models = Object.keys(book.models).sort();
  return Array.from({ length: ACCOUNT_AGENTS - 1 }, (_, k) => {
    const i = k + 1;
    const perDay = TAIL_BUSIEST_PER_DAY / i ** TAIL_EXPONENT;
    return {
      agentId: `bench-account-${String(i).padStart(2, "0")}`,
      name: `Account agent ${i}`,
      models: [models[i % models.length], models[(i + 1) % models.length]],
      timezone: TIMEZONES[k % TIMEZONES.length],
      perDay: Math.max(1, Math.round(perDay)),
      activeShare: Math.min(1, Math.max(0.12, perDay / 8)),
      developmentShare: DEVELOPMENT_SHARES[k % DEVELOPMENT_SHARES.length],
      perConversation: Math.max(3, Math.round(perDay / 6)),
    };
  });
}

/** Writes the tail's agents and 90 days of their traffic, rolled up (the history agent's first); call with background triggers off. */
async function seedAccount(db: Firestore, uid: string, agents: AgentPlan[], now: Date) {
  const history = await seedHistory(db, HISTORY_AGENT_ID, uid);
  await Promise.all(agents.map((a) => seedAgent(uid, { name: a.name, model: a.models[0], billing: { timezone: a.timezone } }, a.agentId)));
  const key = localSigningKey();
  const rows = agents.flatMap((a) => trafficOf({ ...a, userId: uid, until: now, days: HISTORY_DAYS })).map((m) => ledgerRowOf(m, key));
  // Oldest first, as traffic comes: the first row of each agent, local day and UTC day creates its documents.
  rows.sort((a, b) => (a.row.timestamp < b.row.timestamp ? -1 : a.row.timestamp > b.row.timestamp ? 1 : 0));
  return { history, tail: await seedRows(db, rows, key) };
}

/** Every ledger row of the owner, in document-id pages: its id and the fields the sums need. */
async function ownerLedger(db: Firestore, uid: string): Promise<(LedgerFacts & { id: string })[]> {
  const query: Query = db
    .collection(COLLECTIONS.ledger)
    .where("userId", "==", uid)
    .select("agentId", "mode", "costMicros", "shadowCostMicros", "tokens.total", "timestamp")
    .orderBy(FieldPath.documentId())
    .limit(LEDGER_PAGE);
  const rows: (LedgerFacts & { id: string })[] = [];
  for (let page = await query.get(); page.size; page = await query.startAfter(page.docs[page.size - 1]).get()) {
    rows.push(...page.docs.map((d) => ({ ...(d.data() as LedgerFacts), id: d.id })));
    if (page.size < LEDGER_PAGE) break;
  }
  return rows;
}

/** The fold the 15-minute scheduler runs (handlers/fold.ts), on the owner's days of the range that are over. */
async function foldAccountDays(db: Firestore, uid: string, days: string[], now: number): Promise<number> {
  const over = days.filter((day) => day < foldCutoff(now));
  // At most 8 folds at once, as the scheduler's fold runs them (handlers/fold.ts).
  const folded = await mapWithConcurrency(over, 8, (day) =>
    foldBucket(db, ACCOUNT, db.doc(`${ACCOUNT.collection}/${accountDayId(uid, day)}`)),
  );
  return folded.reduce((n, shards) => n + shards, 0);
}

/** The overview in this process, every document it reads counted at the Firestore client. */
async function meteredOverview(db: Firestore, uid: string, range: { from: string; to: string }) {
  startMeter(db);
  try {
    const overview = await handleAccountOverview(db, uid, range, Date.now());
    return { overview, reads: takeMeter().reads };
  } finally {
    stopMeter();
  }
}

function printComparison(comparisons: Comparison[]): void {
  const isAgent = (c: Comparison) => c.figure.startsWith("agents[");
  const agentRows = (field: string) => {
    const of = comparisons.filter((c) => isAgent(c) && c.figure.endsWith(`.${field}`));
    const sum = (pick: (c: Comparison) => number) => of.reduce((n, c) => n + pick(c), 0);
    const equal = of.filter((c) => c.ledger === c.overview).length;
    return [`${of.length} agents: ${field}`, count(sum((c) => c.ledger)), count(sum((c) => c.overview)), `${equal} of ${of.length} equal`];
  };
  const rows = (prefix: string) =>
    comparisons
      .filter((c) => c.figure.startsWith(prefix))
      .map((c) => [
        c.figure,
        count(c.ledger),
        count(c.overview),
        c.ledger === c.overview ? "equal" : `off by ${count(c.overview - c.ledger)}`,
      ]);
  const shown = [...rows("totals."), agentRows("costMicros"), agentRows("messages"), ...rows("otherAgents.")];
  console.log(
    table(["figure", "ledger", "overview", ""], shown)
      .split("\n")
      .map((line) => `  ${line}`)
      .join("\n"),
  );
}

/** Runs one step of the group, saying how long it took. */
async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

export async function measureAccount(db: Firestore): Promise<Figure[]> {
  const now = new Date();
  const range = historyRange(now.getTime());
  const days = daysInRange(range.from, range.to);
  const owner = await historyOwner();
  const tail = tailAgents();
  const seeded = await withTriggersDisabled(() => withoutBackendLogs(() => seedAccount(db, owner.uid, tail, now)));
  for (const [label, s] of [
    ["history agent", seeded.history],
    [`${tail.length} other agents`, seeded.tail],
  ] as const) {
    console.log(
      `  ${label}: ${count(s.rows)} rows, ${count(s.before)} rolled up before; ${count(s.written.created)} written in ${s.writeSeconds.toFixed(1)} s, ` +
        `${count(s.rolled.applied)} rolled up in-process in ${s.rollupSeconds.toFixed(1)} s`,
    );
  }
  const seedSeconds = [seeded.history, seeded.tail].reduce((n, s) => n + s.writeSeconds + s.rollupSeconds, 0);

  const request = { ...range };
  const beforeFold = await step(
    "first overview (HTTP, shards open)",
    async () => (await owner.client.getAccountOverview(request)).documentsRead,
  );
  const folded = await step("fold of the owner's days", () => foldAccountDays(db, owner.uid, days, now.getTime()));
  const open = await openDays(
    db,
    ACCOUNT,
    days.map((day) => accountDayId(owner.uid, day)),
  );
  const metered = await meteredOverview(db, owner.uid, request);

  await owner.client.getAccountOverview(request);
  let answer: AccountOverviewResponse | undefined;
  const timed = await step(`${OVERVIEW_CALLS} timed overviews (HTTP)`, () =>
    timeCalls(OVERVIEW_CALLS, 1, async () => {
      answer = await owner.client.getAccountOverview(request);
    }),
  );
  if (!answer) throw new Error(`every getAccountOverview call failed: ${timed.failures.join(", ")}`);
  const p50 = Math.round(percentile(timed.latencies, 50) * 10) / 10;
  const p95 = Math.round(percentile(timed.latencies, 95) * 10) / 10;

  const ledger = await step("the owner's ledger read", () => ownerLedger(db, owner.uid));
  const notRolledUp = await step("their rollup markers read", () =>
    withoutMarker(
      db,
      ledger.map((r) => r.id),
    ),
  );
  const sums = ledgerSums(ledger, range);
  const comparisons = compareWithLedger(answer, sums);
  const { differing, microsOff } = differences(comparisons);
  console.log(`  the overview over ${range.from} .. ${range.to} beside the ledger's ${count(sums.rows)} rows in it (UTC days):`);
  printComparison(comparisons);

  const sessions = answer.engagement.sessions;
  const bound = overviewReadBound({
    days: days.length,
    openDays: open,
    shards: ACCOUNT.shards!,
    rankedAgents: answer.agents.length,
    sessions,
  });
  const worst = overviewReadBound({
    days: days.length,
    openDays: days.length,
    shards: ACCOUNT.shards!,
    rankedAgents: MAX_RANKED_AGENTS,
    sessions,
  });
  const agentsWithRows = sums.agents.size;
  const over = `over ${count(sums.rows)} ledger rows of ${agentsWithRows} agents`;
  return [
    {
      group: "account",
      name: "owner: agents / ledger rows in the 90 UTC days",
      value: `${agentsWithRows} / ${count(sums.rows)}`,
      unit: "",
      target: `${ACCOUNT_AGENTS} / ≥ ${count(MIN_ROWS)}`,
      pass: agentsWithRows === ACCOUNT_AGENTS && sums.rows >= MIN_ROWS,
      method:
        `${count(sums.seen)} rows over ${HISTORY_DAYS} local days in ${TIMEZONES.length + 1} timezones (some fall outside the UTC range), ` +
        `${count(sums.agents.get(HISTORY_AGENT_ID)?.messages ?? 0)} production rows in range of the history agent; ${sessions} sessions start in the range; ` +
        `written and rolled up in-process in ${seedSeconds.toFixed(1)} s (${count(seeded.history.before + seeded.tail.before)} rows rolled up before, passed over)`,
    },
    {
      group: "account",
      name: "rows rolled up (rollup markers / ledger rows)",
      value: `${count(sums.seen - notRolledUp.size)} / ${count(sums.seen)}`,
      unit: "",
      target: "every row",
      pass: notRolledUp.size === 0,
      method: "the owner's ledger rows with their billing_rollup_markers document (read by id) after the in-process rollup",
    },
    {
      group: "account",
      name: "90-day overview: documents read",
      value: metered.reads,
      unit: "",
      target: `≤ ${bound} (days + 16 × open days + agents + ⌈sessions / 1,000⌉)`,
      pass: metered.reads <= bound && metered.overview.documentsRead <= bound,
      method:
        `handleAccountOverview in-process, counted at the Firestore client (an aggregation counts 1); it reports documentsRead ` +
        `${metered.overview.documentsRead} (the aggregation billed per 1,000 sessions). ${days.length} days, ${open} still open after the fold, ` +
        `${answer.agents.length} ranked agents, ${sessions} sessions; at most ${worst} with every day open and ${MAX_RANKED_AGENTS} agents; ${over}`,
    },
    {
      group: "account",
      name: "90-day overview: documents read before the fold",
      value: beforeFold,
      unit: "",
      target: "—",
      pass: null,
      method: `documentsRead of the callable's answer with every day's shards open; the fold of ${days.length} days then folded ${folded} shards`,
    },
    {
      group: "account",
      name: "90-day overview: latency p50 / p95 (HTTP)",
      value: `${p50} / ${p95}`,
      unit: "ms",
      target: `p50 ≤ ${count(LATENCY_TARGET_MS)} ms`,
      pass: p50 <= LATENCY_TARGET_MS && timed.failures.length === 0,
      method: `${OVERVIEW_CALLS} getAccountOverview calls in a row through the client SDK, signed in as the owner, after 1 warm-up; ${timed.failures.length} failed; ${over}`,
    },
    {
      group: "account",
      name: "90-day overview: totals and agents = ledger sums",
      value: `${count(microsOff)} µ$ off, ${differing.length} of ${comparisons.length} differ`,
      unit: "",
      target: "exact: 0 µ$, 0 differ",
      pass: differing.length === 0,
      method:
        "totals (costMicros, messages, tokens, devMessages, devShadowCostMicros), each agent's costMicros and messages and otherAgents, " +
        `against sums of the owner's billable_conversations rows whose timestamp is on a UTC day of the range${differing.length ? `; differing: ${differing.map((c) => `${c.figure} ${c.overview} vs ${c.ledger}`).join(", ")}` : ""}`,
    },
  ];
}
