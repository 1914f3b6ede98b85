/**
 * Delivers raised alerts to their owner: a `mail` document for the Trigger Email extension, an
 * `sms` document for the "Send Messages with Twilio" extension when the agent has an alert phone,
 * and, when the agent has a webhook, a signed POST retried with exponential backoff. The channels
 * are independent: a failing webhook is recorded on the alert and never holds the others back.
 * Each alert is claimed with a lease before delivery, so concurrent runs deliver it once; an
 * alert left pending by a run that died is picked up by the next run once the lease expires.
 */
import { lookup } from "node:dns/promises";
import type { Firestore } from "firebase-admin/firestore";
import { getAuth } from "firebase-admin/auth";
import { alertMail, alertSms, webhookBody, type AlertContent } from "../domain/alert-message";
import { mapWithConcurrency } from "../base/pool";
import { pinnedPost, type PinnedPostRequest } from "../base/pinned-post";
import { isInternalAddress, isLoopbackHost, webhookHost, webhookUrlProblem } from "../base/webhook-url";
import { ALERT_ID_HEADER, SIGNATURE_HEADER, signWebhookBody } from "../domain/webhook-signature";
import type { AgentDoc } from "../store/agents";
import {
  claimDelivery,
  pendingAlertIds,
  readAgents,
  recordDelivery,
  writeMailOnce,
  writeSmsOnce,
  type AlertDoc,
  type DeliveryState,
  type MailStatus,
  type SmsStatus,
} from "../store/alerts";
import { logAlertFailed } from "../logs";

/** Knobs of delivery; tests shrink the delays and swap fetch or the owner-email lookup. */
export interface DeliveryOptions {
  /** Total webhook POSTs per delivery, the first included. */
  webhookAttempts: number;
  /** Delay before the 2nd attempt; doubled before each further one. */
  webhookBaseDelayMs: number;
  /** Timeout of one POST. */
  webhookTimeoutMs: number;
  /** How long a claimed delivery is reserved; well above attempts x (timeout + delays). */
  leaseMs: number;
  /** Alerts delivered per run at most (the rest wait for the next run). */
  maxPerRun: number;
  sleep: (ms: number) => Promise<void>;
  /** One POST to the checked address (base/pinned-post.ts); tests swap it to record or fail posts. */
  post: (req: PinnedPostRequest) => Promise<{ status: number }>;
  /** Every address a host name resolves to (DNS), checked before each delivery. */
  resolveHost: (host: string) => Promise<string[]>;
  /** Deliver to loopback `http://` receivers: only under the Functions emulator, as settings accept them there. */
  allowLoopback: boolean;
  /** The owner's verified sign-in email, the only address alert mail goes to; undefined when there is none. */
  ownerEmail: (userId: string) => Promise<string | undefined>;
}

/** The owner's Auth email if it is verified; undefined for a deleted user or one without a verified email. */
async function authEmail(userId: string): Promise<string | undefined> {
  try {
    const user = await getAuth().getUser(userId);
    return user.emailVerified ? user.email : undefined;
  } catch (err) {
    if ((err as { code?: string }).code === "auth/user-not-found") return undefined;
    throw err;
  }
}

/** Production delivery: 3 attempts 1 s then 2 s apart, 10 s per POST, 5-minute leases. */
export const DEFAULT_DELIVERY: DeliveryOptions = {
  webhookAttempts: 3,
  webhookBaseDelayMs: 1_000,
  webhookTimeoutMs: 10_000,
  leaseMs: 5 * 60_000,
  maxPerRun: 200,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  post: pinnedPost,
  resolveHost: async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
  allowLoopback: false,
  ownerEmail: authEmail,
};

/** What delivery needs: the database, the clock, the signing secret and the knobs. */
export interface DeliveryDeps {
  db: Firestore;
  now: () => number;
  /** WEBHOOK_SIGNING_SECRET. */
  webhookSecret: string;
  options: DeliveryOptions;
}

/** The id of an alert's mail document: derived, so a re-delivery never sends a second mail. */
export const mailIdFor = (alertId: string) => `billing-alert-${alertId}`;
/** The id of an alert's SMS document, derived for the same reason. */
export const smsIdFor = mailIdFor;

type WebhookOutcome = Pick<DeliveryState, "webhook" | "attempts" | "lastError">;

/** 408, 429 and 5xx may pass on a retry; other statuses will not. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** One POST to the checked address: null on a 2xx, else why it failed and whether to retry. */
async function postOnce(
  deps: DeliveryDeps,
  target: { url: string; address: string | null },
  body: string,
  alertId: string,
): Promise<{ error: string; retry: boolean } | null> {
  try {
    const { status } = await deps.options.post({
      ...target,
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: signWebhookBody(body, deps.webhookSecret),
        [ALERT_ID_HEADER]: alertId,
      },
      body,
      timeoutMs: deps.options.webhookTimeoutMs,
    });
    return status >= 200 && status < 300 ? null : { error: `HTTP ${status}`, retry: retryable(status) };
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), retry: true };
  }
}

/**
 * The address the webhook may be posted to, or why it must not be called now: the URL is checked
 * again as settings check it, and every address its host resolves to must be public (a name can
 * resolve inside, or be changed to since it was set). The POST then connects to the first of those
 * checked addresses and to nothing else (base/pinned-post.ts), so a name re-pointed after this
 * lookup (DNS rebinding) changes nothing. Redirects are never followed (a 3xx is a failure), so
 * none can lead inside. A loopback receiver under the emulator is posted to by name (`address: null`).
 */
async function webhookTarget(deps: DeliveryDeps, url: string): Promise<{ address: string | null } | { problem: string }> {
  const { allowLoopback, resolveHost } = deps.options;
  const problem = webhookUrlProblem(url, { allowLoopbackHttp: allowLoopback });
  if (problem) return { problem: `webhook URL ${problem}` };
  const host = webhookHost(new URL(url));
  if (allowLoopback && isLoopbackHost(host)) return { address: null };
  let addresses: string[];
  try {
    addresses = await resolveHost(host);
  } catch (err) {
    return { problem: `webhook host does not resolve (${err instanceof Error ? err.message : String(err)})` };
  }
  const inside = addresses.find(isInternalAddress);
  if (inside) return { problem: `webhook host resolves to a non-public address (${inside})` };
  return addresses.length ? { address: addresses[0] } : { problem: "webhook host resolves to no address" };
}

/** POSTs the signed body, retrying with exponential backoff up to `webhookAttempts` in all. */
export async function postWebhook(
  deps: DeliveryDeps,
  url: string,
  body: string,
  alertId: string,
  priorAttempts = 0,
): Promise<WebhookOutcome> {
  const { webhookAttempts, webhookBaseDelayMs, sleep } = deps.options;
  const target = await webhookTarget(deps, url);
  if ("problem" in target) return { webhook: "failed", attempts: priorAttempts, lastError: target.problem };
  let lastError = "";
  for (let attempt = 1; attempt <= webhookAttempts; attempt++) {
    if (attempt > 1) await sleep(webhookBaseDelayMs * 2 ** (attempt - 2));
    const failure = await postOnce(deps, { url, address: target.address }, body, alertId);
    if (!failure) return { webhook: "delivered", attempts: priorAttempts + attempt, lastError: undefined };
    lastError = failure.error;
    if (!failure.retry) return { webhook: "failed", attempts: priorAttempts + attempt, lastError };
  }
  return { webhook: "failed", attempts: priorAttempts + webhookAttempts, lastError };
}

/**
 * Queues the alert's mail to the owner's verified sign-in email, and nowhere else: an address the
 * owner types (`billing.alertEmail`) has not been confirmed by its holder, so mailing it would make
 * the project's sender a relay to strangers. (A confirmation link for other addresses is not built.)
 */
async function deliverMail(deps: DeliveryDeps, content: AlertContent, alert: AlertDoc, agent: AgentDoc | undefined): Promise<MailStatus> {
  const to = await deps.options.ownerEmail(alert.userId);
  if (!to) return "no-recipient";
  await writeMailOnce(deps.db, mailIdFor(content.id), { to, message: alertMail(content, agent?.name) });
  return "queued";
}

/**
 * Queues the alert's SMS to the agent's alert phone as it is now (cleared since the alert was raised:
 * not sent). The body has no text of the owner's (domain/alert-message.ts `alertSms`): the number is
 * the owner's word alone, not confirmed by its holder, so the channel must not carry the owner's words.
 */
async function deliverSms(deps: DeliveryDeps, content: AlertContent, agent: AgentDoc | undefined): Promise<SmsStatus> {
  const to = agent?.billing?.alertPhone;
  if (!to) return "not-configured";
  await writeSmsOnce(deps.db, smsIdFor(content.id), { to, body: alertSms(content) });
  return "queued";
}

/** Delivers one claimed alert: mail, then SMS, then the webhook; each outcome recorded as it lands. */
async function deliverClaimed(deps: DeliveryDeps, id: string, alert: AlertDoc): Promise<void> {
  const agent = (await readAgents(deps.db, [alert.agentId])).get(alert.agentId);
  const content: AlertContent = {
    id,
    agentId: alert.agentId,
    kind: alert.kind,
    window: alert.window,
    figures: alert.figures,
    createdAt: alert.createdAt.toMillis(),
  };
  if (alert.delivery.mail === "pending") {
    await recordDelivery(deps.db, id, { mail: await deliverMail(deps, content, alert, agent) });
  }
  if (alert.delivery.sms === "pending") await recordDelivery(deps.db, id, { sms: await deliverSms(deps, content, agent) });
  let webhook: Partial<WebhookOutcome> = {};
  if (alert.delivery.webhook === "pending") {
    const url = agent?.billing?.webhookUrl;
    webhook = url ? await postWebhook(deps, url, webhookBody(content), id, alert.delivery.attempts) : { webhook: "not-configured" };
  }
  await recordDelivery(deps.db, id, { ...webhook, pending: false, leaseUntil: 0 });
}

/** Alerts delivered at once: webhook retries sleep, so one slow receiver must not hold the rest. */
const DELIVERY_CONCURRENCY = 10;

/** Claims and delivers one alert; a failure is logged and the lease given back for the next run. */
async function deliverOne(deps: DeliveryDeps, id: string): Promise<boolean> {
  const alert = await claimDelivery(deps.db, id, deps.now(), deps.options.leaseMs);
  if (!alert) return false;
  try {
    await deliverClaimed(deps, id, alert);
    return true;
  } catch (err) {
    logAlertFailed("deliver", id, err);
    await recordDelivery(deps.db, id, { leaseUntil: 0 }).catch(() => undefined);
    return false;
  }
}

/**
 * Delivers every pending alert it can claim (new ones and those a dead run left behind).
 *
 * @returns how many alerts this call finished delivering.
 */
export async function deliverPendingAlerts(deps: DeliveryDeps): Promise<number> {
  const ids = await pendingAlertIds(deps.db, deps.options.maxPerRun);
  const done = await mapWithConcurrency(ids, DELIVERY_CONCURRENCY, (id) => deliverOne(deps, id));
  return done.filter(Boolean).length;
}
