/**
 * `npm run bench`: measures the billing backend against the emulators and the local agent (the
 * npm script runs it under the emulator harness) and prints each figure beside its target, then
 * writes bench/results.json. Every figure comes from this run; the methods are in scripts/bench/.
 *
 *   tokens     local token counting throughput
 *   latency    sendMessage latency beside a proxy-only baseline callable and the bare local agent:
 *              at concurrency 8 with rollups running; at 1 and 8 with rollups held back; the
 *              round trips and the overhead of the handler in-process
 *   documents  Firestore documents written and read per message (counted, and observed)
 *   hot-agent  bursts of 64 concurrent messages to one agent: limits, the free cap, failures, drift
 *   rollup     a burst of 2,000 ledger rows: time until the summary equals the ledger, exactly
 *   analytics  a 90-day query over 20,000+ rows: documents read and latency
 *   export     the same 20,000+ rows exported: rows per second and memory growth
 *   account    one owner with 50 agents and 90 days of traffic (20,000+ rows; the busiest agent is
 *              history's, seeded once in a full run): the account overview's documents read and
 *              latency, and its totals equal to the ledger's sums
 *   dispatch   usage sent to the local Stripe: exactly once through a storm of 429s and 503s,
 *              throughput, lag, and test mode's pace held
 *
 * `npm run bench -- --group hot-agent` (repeatable) runs only the groups named (latency includes
 * documents, history includes analytics and export) and prints them without writing results.json.
 */
import * as os from "node:os";
import * as path from "node:path";
import { ACCOUNT_AGENTS, measureAccount } from "./bench/account";
import { measureDispatch } from "./bench/dispatch";
import { countDocuments, observedChanges, observedFigure } from "./bench/documents";
import { requireEmulators, usersWithAgents, withoutBackendLogs, withTriggersDisabled } from "./bench/env";
import { historyOwner, historyRange, seedHistory } from "./bench/history";
import { measureHotAgent } from "./bench/hot-agent";
import { CONCURRENCY, measureBillingAlone, measureMetering } from "./bench/metering";
import { measureRoundTrips } from "./bench/round-trips";
import { measureAnalytics, measureExport } from "./bench/reads";
import { renderFigures, writeResults, type Figure } from "./bench/report";
import { BURST, measureRollup } from "./bench/rollup";
import { measureTokens } from "./bench/tokens";
import { paramOverrides } from "./emulators";
import { adminDb, ROOT } from "./local-env";

/** Users for the metering run: sendMessage allows one user 30 calls per 5 s and 120 per minute. */
const METERING_USERS = 32;

const step = (text: string) => console.log(`\n▸ ${text}`);

/** Waits until the rollup trigger has rolled up every ledger row created since `since`. */
async function rollupsSettled(since: Date): Promise<Record<string, { created: number; changed: number }>> {
  const db = adminDb();
  for (const until = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 250))) {
    const changes = await observedChanges(db, since);
    if (changes.billable_conversations.created === changes.billing_rollup_markers.created || Date.now() > until) return changes;
  }
}

async function meteringAndDocuments(): Promise<Figure[]> {
  const db = adminDb();
  step(`metering: ${METERING_USERS} users, each with an agent; warm-up, then timed runs at concurrency ${CONCURRENCY}`);
  const users = await usersWithAgents("meter", METERING_USERS);
  const metering = await measureMetering(db, users);
  const observed = observedFigure(await rollupsSettled(metering.window.start), metering.sent);
  step("billing alone: rollup trigger held back; concurrency 1 (plain and streamed) and 8; then the rows rolled up in-process");
  const alone = await withTriggersDisabled(() => withoutBackendLogs(() => measureBillingAlone(db, users, metering.writeMs)));
  step("round trips and overhead: the handler in-process, each Firestore round trip timed (triggers off)");
  const trips = await withTriggersDisabled(() => withoutBackendLogs(() => measureRoundTrips(db, metering.writeMs)));
  step("documents per message: the backend's code in-process, counted at the Firestore client (triggers off)");
  const counted = await withTriggersDisabled(() => withoutBackendLogs(() => countDocuments(db)));
  return [...metering.figures, ...alone, ...trips, ...counted, observed];
}

async function hotAgentFigures(): Promise<Figure[]> {
  step("hot-agent: bursts of 64 concurrent messages to one agent (a fresh agent each), after a warm-up burst");
  const [owner] = await usersWithAgents("hot", 1);
  return measureHotAgent(adminDb(), owner);
}

async function historyFigures(): Promise<Figure[]> {
  const db = adminDb();
  const owner = await historyOwner();
  step("history: 90 days, 20,000+ ledger rows, rolled up in-process (triggers off)");
  const seeded = await withTriggersDisabled(() => withoutBackendLogs(() => seedHistory(db, owner.agentId, owner.uid)));
  console.log(`  ${seeded.rows.toLocaleString("en-US")} rows written and rolled up in ${seeded.seconds.toFixed(1)} s`);
  const range = historyRange();
  step(`analytics and export over ${range.from} .. ${range.to}`);
  const analytics = await measureAnalytics(owner.client, owner.agentId, range, seeded.rows);
  const exported = await withoutBackendLogs(() => measureExport(db, owner.client, owner, range, seeded.rows));
  return [...analytics, ...exported];
}

/** The params this run overrides (npm run bench raises the per-user rate limit for the hot-agent bursts). */
function printOverrides(): Record<string, string> {
  const overrides = paramOverrides();
  const shown = Object.entries(overrides).map(([key, value]) => `${key}=${value}`);
  console.log(`params overridden for this run: ${shown.length ? shown.join(", ") : "none"}`);
  return overrides;
}

/** The groups, in the order they run; a partial run names some of them with --group. */
const GROUPS: Record<string, () => Promise<Figure[]>> = {
  tokens: async () => {
    step("tokens: local token counting");
    return measureTokens();
  },
  latency: meteringAndDocuments,
  "hot-agent": hotAgentFigures,
  rollup: async () => {
    step(`rollup: a burst of ${BURST.toLocaleString("en-US")} ledger rows`);
    return measureRollup(adminDb());
  },
  history: historyFigures,
  account: async () => {
    step(`account: one owner with ${ACCOUNT_AGENTS} agents and 90 days of traffic, written and rolled up in-process (triggers off)`);
    return measureAccount(adminDb());
  },
  dispatch: async () => {
    step("dispatch: 20 owners' billed usage sent to the local Stripe as meter events (rolled up in-process, triggers off)");
    return measureDispatch(adminDb());
  },
};

/** The groups named by --group, or every group. */
function chosenGroups(argv: string[]): string[] {
  const named = argv.flatMap((arg, i) => (argv[i - 1] === "--group" ? [arg] : []));
  const unknown = named.filter((name) => !(name in GROUPS));
  if (unknown.length) throw new Error(`unknown group(s) ${unknown.join(", ")}; the groups are ${Object.keys(GROUPS).join(", ")}`);
  return named.length ? Object.keys(GROUPS).filter((name) => named.includes(name)) : Object.keys(GROUPS);
}

async function main(): Promise<number> {
  const groups = chosenGroups(process.argv.slice(2));
  requireEmulators();
  const overrides = printOverrides();
  const started = Date.now();
  const figures: Figure[] = [];
  for (const group of groups) {
    const groupStarted = Date.now();
    figures.push(...(await GROUPS[group]()));
    console.log(`  (group ${group}: ${Math.round((Date.now() - groupStarted) / 1000)} s)`);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n${renderFigures(figures)}\n`);
  const failed = figures.filter((f) => f.pass === false).length;
  const verdict = `measured in ${seconds} s; ${failed ? `${failed} target(s) not met` : "every target met"}`;
  if (groups.length < Object.keys(GROUPS).length) {
    console.log(`${verdict}; a partial run (${groups.join(", ")}): bench/results.json left as it was`);
    return 0;
  }
  const file = writeResults(figures, {
    seconds,
    cpus: os.cpus().length,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    paramOverrides: overrides,
  });
  console.log(`${verdict}; written to ${path.relative(ROOT, file)}`);
  // A missed target is a finding, not a crash: the run itself succeeded.
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    process.exit(2);
  },
);
