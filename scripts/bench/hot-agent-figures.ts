/**
 * The figures of the hot-agent group (scripts/bench/hot-agent.ts runs the bursts): what each burst
 * of 64 concurrent messages to one agent must show, beside its target.
 */
import type { SendMessageResponse } from "../../client/src";
import type { Figure } from "./report";
import { summarize } from "./stats";

/** How an answer ended: answered (billed, or free in development), or the callable's error code. */
export type Outcome = "answered" | "resource-exhausted" | "internal" | "deadline-exceeded" | "other";
export const OUTCOMES: readonly Outcome[] = ["answered", "resource-exhausted", "internal", "deadline-exceeded", "other"];

export type Mode = "production" | "development";

/** One burst to a fresh agent and what it left once its rollups settled. */
export interface Burst {
  agentId: string;
  mode: Mode;
  /** Messages sent at once. */
  size: number;
  tally: Record<Outcome, number>;
  answers: SendMessageResponse[];
  /** Why resource-exhausted answers were refused: the spend limit's reason, "rate-limit" (the per-user limiter) or "unnamed". */
  refusals: Record<string, number>;
  /** Client-side latency of every call in ms, answered or not. */
  latencies: number[];
  /** Ledger rows of the agent once the rollups settled, and their costs. */
  ledger: { rows: number; micros: number };
  /** Spent and still held by the agent's spend shards after the burst. */
  spend: { spentMicros: number; heldMicros: number; devMessages: number };
  /** Fields of the agent's rollups that differ from its ledger (reconcile). */
  drift: number;
}

/** Every burst of one run, and the settings they were measured against. */
export interface HotAgentRun {
  /** Two bursts without a limit and two with a limit that admits all, sent in the order A B B A. */
  open: Burst[];
  limited: Burst[];
  /** The daily limit of `limited`, in micros. */
  limitThatAdmitsAll: number;
  /** The burst under a limit of `limitInWorstCases` worst cases (`limit` micros). */
  third: Burst;
  limit: number;
  limitInWorstCases: number;
  /** One message's worst case, in micros. */
  worst: number;
  /** Development bursts under the cap, and over it with `leftUnderCap` messages left of `cap`. */
  under: Burst;
  over: Burst;
  cap: number;
  leftUnderCap: number;
  /** p50 with the limit that admits all, at most this many times p50 without a limit. */
  latencyRatio: number;
}

/** "64 billed" / "21 free, 43 resource-exhausted": the burst's outcomes, answered ones named by mode. */
export function shownTally(b: Pick<Burst, "mode" | "tally">): string {
  const name = (o: Outcome) => (o === "answered" ? (b.mode === "production" ? "billed" : "free") : o);
  return OUTCOMES.filter((o) => b.tally[o] > 0)
    .map((o) => `${b.tally[o]} ${name(o)}`)
    .join(", ");
}

const figure = (name: string, value: number | string, unit: string, target: string, pass: boolean | null, method?: string): Figure => ({
  group: "hot-agent",
  name,
  value,
  unit,
  target,
  pass,
  ...(method ? { method } : {}),
});

const allFree = (b: Burst) => b.answers.every((a) => a.costMicros === 0 && !a.billable);

/** Whether every refusal of the burst came from `reason` (not from the per-user rate limit, say). */
const refusedOnlyBy = (b: Burst, reason: string) => (b.refusals[reason] ?? 0) === b.tally["resource-exhausted"];

const shownRefusals = (b: Burst) =>
  Object.entries(b.refusals)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ") || "none";

/** p50 / p99 of the bursts' latencies pooled. */
const pooled = (bursts: Burst[]) => summarize(bursts.flatMap((b) => b.latencies));

/** The bursts whose every answer must be billed, and their latencies side by side. */
function admittedFigures(run: HotAgentRun): Figure[] {
  const [o, l] = [pooled(run.open), pooled(run.limited)];
  const ratio = l.p50 / o.p50;
  const allBilled = (bursts: Burst[]) => bursts.every((b) => b.tally.answered === b.size);
  const tallies = (bursts: Burst[]) => {
    const shown = bursts.map(shownTally);
    return shown.every((t) => t === shown[0]) ? `${shown[0]}, × ${shown.length}` : shown.join("; ");
  };
  const size = run.open[0].size;
  const method = `${run.open.length} bursts of each, in rounds of no limit, limit, limit, no limit (so a drift of the machine cancels); ${size} sent at once, client-side latency of each call, pooled per kind; the limit is ${run.limitThatAdmitsAll} µ$ a day`;
  return [
    figure("no limit: answers", tallies(run.open), "", `${size} billed each`, allBilled(run.open), method),
    figure("no limit: p50 / p99", `${o.p50} / ${o.p99}`, "ms", "—", null, method),
    figure("limit that admits all: answers", tallies(run.limited), "", `${size} billed each`, allBilled(run.limited), method),
    figure(
      "limit that admits all: p50 / p99 (p50 × no limit)",
      `${l.p50} / ${l.p99} (${ratio.toFixed(2)}×)`,
      "ms",
      `p50 ≤ ${run.latencyRatio}×`,
      ratio <= run.latencyRatio,
      method,
    ),
  ];
}

/** The third-limit burst: only billed or refused, never past the limit, and what fits is not refused. */
function thirdLimitFigures(run: HotAgentRun): Figure[] {
  const { third: b, limit, worst } = run;
  const onlyBilledOrRefused = b.tally.answered + b.tally["resource-exhausted"] === b.size && refusedOnlyBy(b, "daily-limit");
  const spent = b.spend.spentMicros;
  const left = limit - spent;
  const name = `limit of ~${run.limitInWorstCases} worst cases`;
  const method = `daily limit ${limit} µ$ = floor(${run.limitInWorstCases} × worst case ${worst} µ$); refused by: ${shownRefusals(b)}; spend from readSpend (= the ledger's sum)`;
  return [
    figure(`${name}: answers`, shownTally(b), "", "billed or resource-exhausted", onlyBilledOrRefused, method),
    figure(`${name}: spend / limit`, `${spent} / ${limit}`, "µ$", "spend ≤ limit", spent <= limit, method),
    figure(`${name}: limit − spend`, left, "µ$", `< 1 worst case = ${worst} µ$`, left >= 0 && left < worst, method),
  ];
}

/** The development bursts: under the cap all answered; over it exactly what fits, the cap never passed. */
function developmentFigures(run: HotAgentRun): Figure[] {
  const { under, over, cap } = run;
  const fits = Math.min(run.leftUnderCap, over.size);
  const method = `DEV_DAILY_MESSAGE_CAP ${cap}; over the cap: ${cap - run.leftUnderCap} development messages pre-counted on the agent's spend shards; refused by: ${shownRefusals(over)}`;
  const onlyFits =
    over.tally.answered === fits && over.tally["resource-exhausted"] === over.size - fits && refusedOnlyBy(over, "dev-daily-cap");
  return [
    figure(
      "development under the cap: answers",
      shownTally(under),
      "",
      `${under.size} free`,
      under.tally.answered === under.size && allFree(under),
    ),
    figure(
      "development over the cap: answers",
      shownTally(over),
      "",
      `${fits} free, rest resource-exhausted`,
      onlyFits && allFree(over),
      method,
    ),
    figure(
      "development over the cap: counted / cap",
      `${over.spend.devMessages} / ${cap}`,
      "",
      "≤ cap",
      over.spend.devMessages <= cap,
      method,
    ),
  ];
}

/** Figures over every burst: failures, spend against the ledger, and drift. */
function everyBurstFigures(bursts: Burst[]): Figure[] {
  const failures = bursts.reduce((n, b) => n + b.tally.internal + b.tally["deadline-exceeded"], 0);
  const other = bursts.reduce((n, b) => n + b.tally.other, 0);
  const agrees = bursts.every(
    (b) => b.spend.spentMicros === b.ledger.micros && b.spend.heldMicros === 0 && b.ledger.rows === b.tally.answered,
  );
  const drift = bursts.reduce((n, b) => n + b.drift, 0);
  const method = `${bursts.length} bursts after the warm-up`;
  return [
    figure("internal + deadline-exceeded, every burst", failures, "", "0", failures === 0, `${method}; other codes: ${other}`),
    figure("spend = ledger sum, nothing held, rows = answers", agrees ? "yes" : "no", "", "every burst", agrees, method),
    figure(
      "reconcile drift after every burst",
      drift,
      "fields",
      "0",
      drift === 0,
      `${method}; reconcile() of scripts/reconcile.ts per agent`,
    ),
  ];
}

/** The group's figures for one run of its bursts. */
export function hotAgentFigures(run: HotAgentRun): Figure[] {
  return [
    ...admittedFigures(run),
    ...thirdLimitFigures(run),
    ...developmentFigures(run),
    ...everyBurstFigures([...run.open, ...run.limited, run.third, run.under, run.over]),
  ];
}
