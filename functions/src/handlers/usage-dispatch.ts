/**
 * The Stripe dispatcher: sends the outbox's due entries (store/outbox.ts) as meter events through the
 * `stripe` SDK, each exactly once (domain/usage-report.ts says what each answer means).
 *
 * - One run at a time (a lease), and within a run one call in flight per customer (an owner is one
 *   customer, the usage one meter): the owners' queues run side by side, each in order.
 * - At most `eventsPerSecond` sends start per second over all customers (Stripe's test mode allows
 *   25 meter events a second, live mode 1,000).
 * - A 429, a 5xx or a lost answer puts the entry back with backoff and stops that customer's queue
 *   for this run; a duplicate identifier (an earlier send whose answer was lost) counts as sent; any
 *   other refusal fails the entry for good with a billing failure, which the alert scheduler reports.
 * - Entries still unsent after a run, 30 days after their message, raise an alarm (a billing failure) once.
 * A run that dies mid-way leaves at most one call per customer unanswered; the next run resends it
 * under the same identifier and Stripe refuses it as a duplicate.
 */
import { randomUUID } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import type Stripe from "stripe";
import { mapWithConcurrency } from "../base/pool";
import {
  backoffMs,
  describeStripeError,
  meterEventOf,
  UNSENT_ALARM_AGE_MS,
  verdictOf,
  type SendVerdict,
  type StripeErrorLike,
} from "../domain/usage-report";
import * as outbox from "../store/outbox";

export interface DispatchDeps {
  db: Firestore;
  stripe: Stripe;
  /** The Stripe meter's `event_name`. */
  meterEventName: string;
  /** The clock of due times, backoff, lag and the alarm (epoch ms). */
  now: () => number;
  /** Spreads the backoff; [0, 1). */
  random?: () => number;
  /** Sends started per second at most, over all customers. */
  eventsPerSecond: number;
  /** Customers sent to at once (each one call at a time). */
  concurrency?: number;
  /** Entries looked at per run. */
  maxEvents?: number;
  /** No send starts after this long into the run (the function's timeout is longer); the rest wait for the next run. */
  budgetMs?: number;
  /** Only these owners' entries (1 to 30: closing an account, the demo, the tests); absent: every owner's. */
  owners?: string[];
}

export interface DispatchSummary {
  /** Another run held the lease: nothing was done. */
  skipped: boolean;
  due: number;
  sent: number;
  /** Counted in `sent`: Stripe had the identifier already. */
  deduplicated: number;
  retried: number;
  failed: number;
  alarmed: number;
  customersCreated: number;
  /** Per sent entry: from its message to its acceptance (ms, by `now`). */
  lagsMs: number[];
}

/** Longer than the trigger's 540-second timeout: a run that holds it and died cannot still be sending. */
export const DISPATCH_LEASE_MS = 10 * 60_000;
/** Firestore's `in` takes at most 30 values. */
const MAX_OWNERS = 30;
const DEFAULTS = { concurrency: 8, maxEvents: 2_000, budgetMs: 400_000 };

const emptySummary = (): DispatchSummary => ({
  skipped: false,
  due: 0,
  sent: 0,
  deduplicated: 0,
  retried: 0,
  failed: 0,
  alarmed: 0,
  customersCreated: 0,
  lagsMs: [],
});

/** Spaces the starts of sends `1000 / perSecond` ms apart (real time), over every caller. */
function pacer(perSecond: number): () => Promise<void> {
  if (!(perSecond > 0)) throw new RangeError(`eventsPerSecond must be positive, got ${perSecond}`);
  const gapMs = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + gapMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

/** The owner's Stripe customer, created (once, under an idempotency key) and kept on the account when there is none. */
async function customerOf(deps: DispatchDeps, uid: string, summary: DispatchSummary): Promise<string> {
  const stored = await outbox.storedCustomerId(deps.db, uid);
  if (stored) return stored;
  const customer = await deps.stripe.customers.create({ metadata: { firebaseUID: uid } }, { idempotencyKey: `billing-customer-${uid}` });
  await outbox.saveCustomerId(deps.db, uid, customer.id);
  summary.customersCreated++;
  return customer.id;
}

async function send(deps: DispatchDeps, entry: outbox.OutboxEntry, customerId: string): Promise<{ verdict: SendVerdict; error?: string }> {
  try {
    await deps.stripe.billing.meterEvents.create(meterEventOf(entry, deps.meterEventName, customerId));
    return { verdict: "sent" };
  } catch (err) {
    const e = err as StripeErrorLike;
    return { verdict: verdictOf(e), error: describeStripeError(e) };
  }
}

/** One owner's due entries, in order, one call at a time; stops at the first answer that says "later". */
async function dispatchOwner(deps: DispatchDeps, entries: outbox.OutboxEntry[], ctx: RunContext): Promise<void> {
  const { summary } = ctx;
  let customerId: string;
  try {
    customerId = await customerOf(deps, entries[0].userId, summary);
  } catch (err) {
    await retryLater(deps, entries[0], describeStripeError(err as StripeErrorLike), summary);
    return;
  }
  for (const entry of entries) {
    if (performance.now() > ctx.deadline) return;
    await ctx.pace();
    const { verdict, error = "" } = await send(deps, entry, customerId);
    const at = deps.now();
    if (verdict === "sent" || verdict === "duplicate") {
      await outbox.markSent(deps.db, entry.rowId, at, verdict === "duplicate", customerId);
      summary.sent++;
      if (verdict === "duplicate") summary.deduplicated++;
      summary.lagsMs.push(at - entry.timestampMs);
    } else if (verdict === "invalid") {
      await outbox.markFailed(deps.db, entry, at, error);
      summary.failed++;
    } else {
      await retryLater(deps, entry, error, summary);
      return;
    }
  }
}

async function retryLater(deps: DispatchDeps, entry: outbox.OutboxEntry, error: string, summary: DispatchSummary): Promise<void> {
  const wait = backoffMs(entry.attempts + 1, (deps.random ?? Math.random)());
  await outbox.markRetry(deps.db, entry.rowId, deps.now() + wait, error);
  summary.retried++;
}

interface RunContext {
  summary: DispatchSummary;
  pace: () => Promise<void>;
  /** performance.now() after which no send starts. */
  deadline: number;
}

/** One dispatcher run. Safe to run at any time and any number of times: a second concurrent run is skipped. */
export async function dispatchUsage(deps: DispatchDeps): Promise<DispatchSummary> {
  const { concurrency, maxEvents, budgetMs } = { ...DEFAULTS, ...deps };
  if (deps.owners && (deps.owners.length < 1 || deps.owners.length > MAX_OWNERS)) {
    throw new RangeError(`owners must name 1 to ${MAX_OWNERS} owners, got ${deps.owners.length}`);
  }
  const runId = randomUUID();
  const startedAt = deps.now();
  const summary = emptySummary();
  if (!(await outbox.takeDispatchLease(deps.db, runId, startedAt, DISPATCH_LEASE_MS))) return { ...summary, skipped: true };
  try {
    const due = await outbox.dueEntries(deps.db, startedAt, maxEvents, deps.owners);
    summary.due = due.length;
    const byOwner = new Map<string, outbox.OutboxEntry[]>();
    for (const entry of due) (byOwner.get(entry.userId) ?? byOwner.set(entry.userId, []).get(entry.userId)!).push(entry);
    const ctx: RunContext = { summary, pace: pacer(deps.eventsPerSecond), deadline: performance.now() + budgetMs };
    // Every owner's queue runs to its end before the lease is let go, even when one of them fails:
    // a queue still sending after the release could overlap the next run's.
    const errors: unknown[] = [];
    await mapWithConcurrency([...byOwner.values()], concurrency, (entries) =>
      dispatchOwner(deps, entries, ctx).catch((err) => errors.push(err)),
    );
    // What this run could not send and is 30 days old: alarmed once, after the run had its try.
    for (const entry of await outbox.unalarmedBefore(deps.db, startedAt - UNSENT_ALARM_AGE_MS, maxEvents, deps.owners)) {
      await outbox.raiseUnsentAlarm(deps.db, entry, deps.now());
      summary.alarmed++;
    }
    if (errors.length) throw errors[0];
    return summary;
  } finally {
    await outbox.releaseDispatchLease(deps.db, runId);
  }
}
