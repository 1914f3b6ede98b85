/**
 * setAgentBillingSettings: the owner sets limits, the alert threshold, the timezone and the alert
 * channels of an agent. Only the given fields change (null clears one); the rest of the `billing`
 * map and of the agent document is left alone.
 */
import { FieldPath, FieldValue, type Firestore } from "firebase-admin/firestore";
import type { BillingSettingsView, SetAgentBillingSettingsRequest } from "../contract/settings";
import { microsToUsd } from "../base/money";
import { notFound, permissionDenied } from "../errors";
import { changeTimezone, effectiveTimezone } from "../domain/agent-timezone";
import { DEFAULT_TIMEZONE, loadAgentFor, type AgentDoc, type BillingSettings } from "../store/agents";
import { COLLECTIONS } from "../base/collections";

/** Request fields -> `billing` map keys. */
const FIELD_KEYS = {
  dailyLimitUsd: "dailyLimitMicros",
  monthlyLimitUsd: "monthlyLimitMicros",
  dailyAlertUsd: "dailyAlertMicros",
  timezone: "timezone",
  alertEmail: "alertEmail",
  alertPhone: "alertPhone",
  webhookUrl: "webhookUrl",
} as const satisfies Record<string, keyof BillingSettings>;

type SettingsChanges = Partial<Record<keyof BillingSettings, string | number | null>>;

/** The fields the request sets (a value) or clears (null); omitted fields are not in the result. */
export function settingsChanges(req: SetAgentBillingSettingsRequest): SettingsChanges {
  const changes: SettingsChanges = {};
  for (const [field, key] of Object.entries(FIELD_KEYS) as [keyof typeof FIELD_KEYS, keyof BillingSettings][]) {
    const value = req[field];
    if (value !== undefined) changes[key] = value;
  }
  return changes;
}

/** Applies changes to stored settings, as the merge in Firestore does. */
function merged(stored: BillingSettings | undefined, changes: SettingsChanges): BillingSettings {
  const out: Record<string, unknown> = { ...(stored ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out as BillingSettings;
}

const money = (micros: number | null | undefined) => (typeof micros === "number" ? micros : null);
const usd = (micros: number | null | undefined) => (typeof micros === "number" ? microsToUsd(micros) : null);

/**
 * The changes to store: a new timezone takes effect at its next midnight, the one in effect counting
 * until then (domain/agent-timezone.ts), so the change also writes when it applies.
 */
function withTimezoneRule(stored: BillingSettings | undefined, changes: SettingsChanges, now: number): SettingsChanges {
  if (changes.timezone === undefined) return changes;
  return { ...changes, ...changeTimezone(stored, changes.timezone as string | null, now) };
}

/** The settings as the callable returns them. */
export function settingsView(agentId: string, billing: BillingSettings | undefined, now: number): BillingSettingsView {
  const b = billing ?? {};
  const pending = typeof b.timezoneFrom === "number" && now < b.timezoneFrom;
  return {
    agentId,
    dailyLimitMicros: money(b.dailyLimitMicros),
    dailyLimitUsd: usd(b.dailyLimitMicros),
    monthlyLimitMicros: money(b.monthlyLimitMicros),
    monthlyLimitUsd: usd(b.monthlyLimitMicros),
    dailyAlertMicros: money(b.dailyAlertMicros),
    dailyAlertUsd: usd(b.dailyAlertMicros),
    timezone: b.timezone || DEFAULT_TIMEZONE,
    timezoneInEffect: effectiveTimezone(b, now),
    timezoneFrom: pending ? new Date(b.timezoneFrom as number).toISOString() : null,
    alertEmail: b.alertEmail ?? null,
    alertPhone: b.alertPhone ?? null,
    webhookUrl: b.webhookUrl ?? null,
  };
}

/**
 * Stores the given settings on the caller's agent and returns all its settings. The ownership
 * check is repeated inside the transaction, so an agent that changed hands or disappeared after
 * the first check is never written.
 */
export async function handleSetAgentBillingSettings(
  db: Firestore,
  uid: string,
  req: SetAgentBillingSettingsRequest,
  now: number = Date.now(),
): Promise<BillingSettingsView> {
  const { userId: owner } = await loadAgentFor(db, req.agentId, uid, "changeAgentSettings");
  const requested = settingsChanges(req);
  const ref = db.doc(`${COLLECTIONS.agents}/${req.agentId}`);
  const view = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) throw notFound(`Agent "${req.agentId}"`);
    const agent = snap.data() as AgentDoc;
    if (agent.userId !== owner) throw permissionDenied();
    const changes = withTimezoneRule(agent.billing, requested, now);
    const pairs = Object.entries(changes).flatMap(([key, value]) => [
      new FieldPath("billing", key),
      value === null ? FieldValue.delete() : value,
    ]);
    if (pairs.length) tx.update(ref, ...(pairs as [FieldPath, unknown, ...unknown[]]));
    return settingsView(req.agentId, merged(agent.billing, changes), now);
  });
  return view;
}
