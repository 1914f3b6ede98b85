/**
 * setAgentBillingSettings: the owner sets limits, the alert threshold, the timezone and the alert
 * channels of an agent. Only the given fields change (null clears one); the rest of the `billing`
 * map and of the agent document is left alone.
 */
import { FieldPath, FieldValue, type Firestore } from "firebase-admin/firestore";
import type { BillingSettingsView, SetAgentBillingSettingsRequest } from "../contract/settings";
import { microsToUsd } from "../base/money";
import { daysInRange, localDay, localMonth } from "../base/periods";
import { notFound, permissionDenied } from "../errors";
import { DEFAULT_TIMEZONE, loadOwnedAgent, type AgentDoc, type BillingSettings } from "../store/agents";
import { COLLECTIONS } from "../store/collections";
import { readDailyBuckets } from "../store/daily";
import { seedSpendWindows } from "../store/spend";

/** Request fields -> `billing` map keys. */
const FIELD_KEYS = {
  dailyLimitUsd: "dailyLimitMicros",
  monthlyLimitUsd: "monthlyLimitMicros",
  dailyAlertUsd: "dailyAlertMicros",
  timezone: "timezone",
  alertEmail: "alertEmail",
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

/** The settings as the callable returns them. */
export function settingsView(agentId: string, billing: BillingSettings | undefined): BillingSettingsView {
  const b = billing ?? {};
  return {
    agentId,
    dailyLimitMicros: money(b.dailyLimitMicros),
    dailyLimitUsd: usd(b.dailyLimitMicros),
    monthlyLimitMicros: money(b.monthlyLimitMicros),
    monthlyLimitUsd: usd(b.monthlyLimitMicros),
    dailyAlertMicros: money(b.dailyAlertMicros),
    dailyAlertUsd: usd(b.dailyAlertMicros),
    timezone: b.timezone || DEFAULT_TIMEZONE,
    alertEmail: b.alertEmail ?? null,
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
  await loadOwnedAgent(db, req.agentId, uid);
  const changes = settingsChanges(req);
  const ref = db.doc(`${COLLECTIONS.agents}/${req.agentId}`);
  const view = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) throw notFound(`Agent "${req.agentId}"`);
    const agent = snap.data() as AgentDoc;
    if (agent.userId !== uid) throw permissionDenied();
    const pairs = Object.entries(changes).flatMap(([key, value]) => [
      new FieldPath("billing", key),
      value === null ? FieldValue.delete() : value,
    ]);
    if (pairs.length) tx.update(ref, ...(pairs as [FieldPath, unknown, ...unknown[]]));
    return settingsView(req.agentId, merged(agent.billing, changes));
  });
  if (view.dailyLimitMicros !== null || view.monthlyLimitMicros !== null) await seedLimitWindows(db, view, now);
  return view;
}

/**
 * Spend is tracked only while an agent has limits (it saves a transaction per message otherwise),
 * so when limits are set the current windows start from what the rollups say was spent already.
 */
async function seedLimitWindows(db: Firestore, view: BillingSettingsView, now: number): Promise<void> {
  const day = localDay(now, view.timezone);
  const month = localMonth(now, view.timezone);
  const { usage } = await readDailyBuckets(db, view.agentId, daysInRange(`${month}-01`, day));
  const spentOn = (d: (typeof usage)[number]) => d.production.costMicros;
  await seedSpendWindows(
    db,
    view.agentId,
    { day, month },
    {
      daySpentMicros: usage.filter((d) => d.day === day).reduce((sum, d) => sum + spentOn(d), 0),
      monthSpentMicros: usage.reduce((sum, d) => sum + spentOn(d), 0),
    },
  );
}
