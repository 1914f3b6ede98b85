/**
 * The alert scheduler's work, as a plain function with an injected clock (the scheduled trigger
 * only calls it). It reads daily buckets, agents and failure records, never the ledger, and
 * raises each alert once per agent, kind and window with create() on a derived id, so running it
 * twice, or twice at once, over the same state raises nothing new.
 *
 *  - daily-cost (window: the local day): the day's billable cost over `billing.dailyAlertMicros`.
 *  - usage-anomaly (window: the local day): the day's tokens far above the agent's baseline.
 *  - billing-failure (window: the run's 15-minute slot): failures not yet reported by an alert.
 *  - monthly-forecast (window: the local month): the month's pace passes the monthly limit, judged
 *    for each agent with a monthly limit and a bucket touched since the last run.
 */
import type { Firestore } from "firebase-admin/firestore";
import {
  ANOMALY_RULE,
  bucketUsage,
  dailyCostCrossing,
  daysBefore,
  forecastCrossing,
  monthToDate,
  slotWindow,
  usageAnomaly,
  type AlertKind,
  type AnomalyRule,
} from "../domain/alerts";
import { alertId } from "../domain/ids";
import { isValidDay } from "../base/periods";
import { mapWithConcurrency } from "../base/pool";
import type { AgentDoc } from "../store/agents";
import * as store from "../store/alerts";
import { recoverUnwrittenRows } from "../store/ledger";
import { releaseAbandonedClaims } from "../store/claim-sweep";
import { CLAIM_TTL_MS } from "../config";
import { sweepExpiredHolds } from "../store/spend";
import { readLimitWindows } from "../store/limit-windows";
import { DEFAULT_DELIVERY, deliverPendingAlerts, type DeliveryOptions } from "./deliver";
import { logAlertFailed, logAlertsRun } from "../logs";

/** Buckets are found by `updatedAt >= lastRun - slack`: covers clock skew and commits in flight. */
export const RUN_SLACK_MS = 5 * 60_000;
/** With no previous run, look this far back. */
export const FIRST_RUN_LOOKBACK_MS = 24 * 60 * 60_000;
/** Failures one alert reports (and marks) at most; the rest go in the next run's alert. */
const MAX_FAILURES_PER_ALERT = 400;
const EVALUATION_CONCURRENCY = 10;

/** What one run needs; everything not deterministic is injected. */
export interface AlertRunDeps {
  db: Firestore;
  now: () => number;
  /** WEBHOOK_SIGNING_SECRET (tests pass the harness's value). */
  webhookSecret: string;
  /** ALERT_ANOMALY_MIN_TOKENS; the rule's default when absent. */
  anomalyMinTokens?: number;
  /** Delivery knobs (backoff delays, fetch, the owner-email lookup). */
  deliver?: Partial<DeliveryOptions>;
  /** How old an abandoned claim must be to be released (store/claim-sweep.ts); the deployed TTL when absent. */
  claimTtlMs?: number;
}

/** What one run did (logged, and returned for tests). */
export interface AlertRunSummary {
  /** Expired spend reservations dropped. */
  swept: number;
  /** Kept rows of failed ledger writes written to the ledger now. */
  recovered: number;
  /** Claims of requests that died, released with what they counted (store/claim-sweep.ts). */
  released: number;
  /** Alerts created by this run. */
  raised: number;
  /** Alerts whose delivery this run finished (its own and any left pending). */
  delivered: number;
}

interface Candidate {
  id: string;
  agentId: string;
  userId: string;
  kind: AlertKind;
  window: string;
  figures: Record<string, unknown>;
  /** The agent had a webhook when the alert was raised. */
  webhook: boolean;
  /** The agent had an alert phone when the alert was raised. */
  sms: boolean;
  failureIds?: string[];
}

function candidate(agentId: string, agent: AgentDoc, kind: AlertKind, window: string, figures: object): Candidate {
  const webhook = Boolean(agent.billing?.webhookUrl);
  const sms = Boolean(agent.billing?.alertPhone);
  return { id: alertId(agentId, kind, window), agentId, userId: agent.userId, kind, window, figures: { ...figures }, webhook, sms };
}

/** The daily-cost and usage-anomaly alerts one bucket calls for. */
async function evaluateBucket(db: Firestore, bucket: store.RecentBucket, agent: AgentDoc, rule: AnomalyRule): Promise<Candidate[]> {
  const usage = bucketUsage(bucket.day, bucket.data);
  const found: Candidate[] = [];
  const cost = dailyCostCrossing(usage, agent.billing?.dailyAlertMicros);
  if (cost) found.push(candidate(bucket.agentId, agent, "daily-cost", bucket.day, cost));
  // The baseline costs up to 14 reads: only fetched when the day is big enough to matter.
  if (usage.totalTokens >= rule.minTodayTokens) {
    const history = await store.readBuckets(db, bucket.agentId, daysBefore(bucket.day, rule.baselineDays));
    const anomaly = usageAnomaly(
      usage,
      history.map((h) => bucketUsage(h.day, h.data)),
      rule,
    );
    if (anomaly) found.push(candidate(bucket.agentId, agent, "usage-anomaly", bucket.day, anomaly));
  }
  return found;
}

/**
 * Alerts on the buckets updated since `since`: each (agent, day) judged on its own day, and each
 * agent of those buckets that has a monthly limit judged on its month so far.
 */
async function usageCandidates(deps: AlertRunDeps, since: number, now: number): Promise<Candidate[]> {
  const buckets = (await store.recentBuckets(deps.db, since)).filter((b) => typeof b.agentId === "string" && isValidDay(b.day));
  const agents = await store.readAgents(deps.db, [...new Set(buckets.map((b) => b.agentId))]);
  const rule: AnomalyRule = { ...ANOMALY_RULE, minTodayTokens: deps.anomalyMinTokens ?? ANOMALY_RULE.minTodayTokens };
  const found = await mapWithConcurrency(buckets, EVALUATION_CONCURRENCY, async (bucket) => {
    const agent = agents.get(bucket.agentId);
    return agent ? evaluateBucket(deps.db, bucket, agent, rule) : [];
  });
  return [...found.flat(), ...(await forecastCandidates(deps.db, agents, now))];
}

/**
 * The monthly-forecast alerts of agents with a monthly limit: the month's settled spend is the one
 * the limit itself counts (the spend shards, one read per agent), in the agent's local month.
 */
async function forecastCandidates(db: Firestore, agents: Map<string, AgentDoc>, now: number): Promise<Candidate[]> {
  const limited = [...agents].filter(([, agent]) => typeof agent.billing?.monthlyLimitMicros === "number");
  const found = await mapWithConcurrency(limited, EVALUATION_CONCURRENCY, async ([agentId, agent]) => {
    const { daily, monthly } = await readLimitWindows(db, agentId, agent, now);
    const figures = forecastCrossing(monthToDate(daily.window, monthly.spentMicros), agent.billing?.monthlyLimitMicros);
    return figures ? [candidate(agentId, agent, "monthly-forecast", figures.month, figures)] : [];
  });
  return found.flat();
}

/** One billing-failure alert per agent with unreported failures, in this run's slot. */
async function failureCandidates(deps: AlertRunDeps, since: number, startedAt: number): Promise<Candidate[]> {
  const byAgent = new Map<string, store.FailureRef[]>();
  for (const f of await store.unreportedFailures(deps.db, since)) byAgent.set(f.agentId, [...(byAgent.get(f.agentId) ?? []), f]);
  const agents = await store.readAgents(deps.db, [...byAgent.keys()]);
  const window = slotWindow(startedAt);
  return [...byAgent].map(([agentId, all]) => {
    const failures = all.slice(0, MAX_FAILURES_PER_ALERT);
    const owner = agents.get(agentId) ?? ({ userId: failures[0].userId } as AgentDoc);
    const figures = {
      failures: failures.length,
      charged: failures.filter((f) => f.charged).length,
      failureIds: failures.slice(0, 20).map((f) => f.id),
    };
    return { ...candidate(agentId, owner, "billing-failure", window, figures), failureIds: failures.map((f) => f.id) };
  });
}

/**
 * "deferred": a billing-failure alert of this slot already exists (a second run in the same slot),
 * so these newer failures wait, unreported, for the next slot's alert.
 */
type RaiseResult = "created" | "exists" | "deferred" | "failed";

/** Creates the alert unless it exists; a failure is logged so the other alerts still go out. */
async function raise(deps: AlertRunDeps, c: Candidate, at: number): Promise<RaiseResult> {
  const delivery: store.DeliveryState = {
    mail: "pending",
    sms: c.sms ? "pending" : "not-configured",
    webhook: c.webhook ? "pending" : "not-configured",
    attempts: 0,
    pending: true,
    leaseUntil: 0,
  };
  const { agentId, userId, kind, window, figures } = c;
  try {
    if (await store.raiseAlert(deps.db, c.id, { agentId, userId, kind, window, figures, delivery }, at, c.failureIds)) return "created";
    return c.failureIds?.length ? "deferred" : "exists";
  } catch (err) {
    logAlertFailed("raise", c.id, err);
    return "failed";
  }
}

/**
 * One run of the alert scheduler: sweeps expired spend reservations, writes the kept rows of failed
 * ledger writes (store/ledger.ts recoverUnwrittenRows), releases the claims of requests that died
 * (store/claim-sweep.ts), raises the alerts the state
 * calls for, delivers every pending alert, then records its start as the last run. A run that
 * fails part-way, or could not raise an alert, does not advance the last run, so the next one
 * covers the same ground again (create() makes the repeat harmless).
 */
export async function runBillingAlerts(deps: AlertRunDeps): Promise<AlertRunSummary> {
  const startedAt = deps.now();
  const lastRun = await store.readLastRun(deps.db);
  const since = lastRun === null ? startedAt - FIRST_RUN_LOOKBACK_MS : lastRun - RUN_SLACK_MS;
  const swept = await sweepExpiredHolds(deps.db, startedAt);
  const recovered = await recoverUnwrittenRows(deps.db, startedAt);
  // After the recovery: a claim whose kept row was just written has its row now.
  const released = await releaseAbandonedClaims(deps.db, startedAt, deps.claimTtlMs ?? CLAIM_TTL_MS);
  const candidates = [...(await usageCandidates(deps, since, startedAt)), ...(await failureCandidates(deps, since, startedAt))];
  const created = await mapWithConcurrency(candidates, EVALUATION_CONCURRENCY, (c) => raise(deps, c, startedAt));
  const delivered = await deliverPendingAlerts({
    db: deps.db,
    now: deps.now,
    webhookSecret: deps.webhookSecret,
    options: { ...DEFAULT_DELIVERY, ...deps.deliver },
  });
  // With an alert not raised, the next run must look at the same buckets and failures again.
  const notRaised = created.filter((r) => r === "failed" || r === "deferred").length;
  if (!notRaised) await store.advanceLastRun(deps.db, startedAt);
  const summary = { swept, recovered, released, raised: created.filter((r) => r === "created").length, delivered };
  logAlertsRun({ ...summary, candidates: candidates.length, notRaised });
  return summary;
}
