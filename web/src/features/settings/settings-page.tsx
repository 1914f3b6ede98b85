/**
 * Settings: limits, alert threshold, timezone and alert channels, stored by setAgentBillingSettings.
 * The form does not second-guess the backend: its validation errors are shown at their field.
 */
import type { AgentView, BillingSettingsView, RequestOf } from "@agent-billing/client";
import { useState, type FormEvent } from "react";
import { Card, Field, FormEnd } from "../../shared/components/ui";
import { formErrors } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";

type Request = RequestOf<"setAgentBillingSettings">;
type FieldName = "dailyLimitUsd" | "monthlyLimitUsd" | "dailyAlertUsd" | "timezone" | "alertEmail" | "alertPhone" | "webhookUrl";

/** A stored micros figure as the USD text of its input (exact: micros have 6 decimals at most). */
const usdText = (micros: unknown) => (typeof micros === "number" ? String(micros / 1_000_000) : "");
const text = (value: unknown) => (typeof value === "string" ? value : "");

/** The settings' stored fields, as the agent document holds them or setAgentBillingSettings returns them. */
type StoredSettings = Partial<
  Record<"dailyLimitMicros" | "monthlyLimitMicros" | "dailyAlertMicros" | "timezone" | "alertEmail" | "alertPhone" | "webhookUrl", unknown>
>;

/** The form's values for stored settings: unset fields are empty, the timezone UTC. */
function valuesOf(b: StoredSettings): Record<FieldName, string> {
  return {
    dailyLimitUsd: usdText(b.dailyLimitMicros),
    monthlyLimitUsd: usdText(b.monthlyLimitMicros),
    dailyAlertUsd: usdText(b.dailyAlertMicros),
    timezone: text(b.timezone) || "UTC",
    alertEmail: text(b.alertEmail),
    alertPhone: text(b.alertPhone),
    webhookUrl: text(b.webhookUrl),
  };
}

const MONEY: FieldName[] = ["dailyLimitUsd", "monthlyLimitUsd", "dailyAlertUsd"];

/** The request for the fields that changed: an emptied field clears its setting (null). */
function changes(agentId: string, before: Record<FieldName, string>, after: Record<FieldName, string>): Request {
  const req: Record<string, unknown> = { agentId };
  for (const key of Object.keys(after) as FieldName[]) {
    if (after[key] === before[key]) continue;
    const value = after[key].trim();
    req[key] = value === "" ? null : MONEY.includes(key) ? Number(value) : value;
  }
  return req as Request;
}

export function SettingsPage({ agent }: { agent: AgentView }) {
  const [saved, setSaved] = useState(() => valuesOf(agent.billing));
  const [values, setValues] = useState(saved);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: FieldName) => (e: React.ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [key]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setStatus(null);
    try {
      const view: BillingSettingsView = await getBackend().billing.setAgentBillingSettings(changes(agent.agentId, saved, values));
      const next = valuesOf(view);
      setSaved(next);
      setValues(next);
      setStatus(
        view.timezoneFrom
          ? `Saved. The timezone ${view.timezone} takes effect at ${new Date(view.timezoneFrom).toLocaleString()}; ${view.timezoneInEffect} counts until then.`
          : "Saved.",
      );
    } catch (err) {
      setErrors(formErrors(err));
    } finally {
      setBusy(false);
    }
  };
  const field = (key: FieldName, label: string, props: React.InputHTMLAttributes<HTMLInputElement> & { hint?: string }) => (
    <Field label={label} name={key} value={values[key]} onChange={set(key)} error={errors[key]} {...props} />
  );
  return (
    <Card title={`Settings of ${agent.name}`}>
      <form className="settings" onSubmit={submit} aria-label="Billing settings" noValidate>
        <fieldset>
          <legend>Limits (USD, empty for none)</legend>
          {field("dailyLimitUsd", "Daily limit (USD)", {
            type: "number",
            step: "any",
            inputMode: "decimal",
            hint: "Hard: a message that would pass it is refused.",
          })}
          {field("monthlyLimitUsd", "Monthly limit (USD)", { type: "number", step: "any", inputMode: "decimal" })}
          {field("dailyAlertUsd", "Daily alert threshold (USD)", {
            type: "number",
            step: "any",
            inputMode: "decimal",
            hint: "An alert is raised once a day's billed cost passes it.",
          })}
        </fieldset>
        <fieldset>
          <legend>Days and alerts</legend>
          {field("timezone", "Timezone (IANA)", {
            type: "text",
            hint: 'For example "Europe/Paris"; a change takes effect at its next midnight.',
          })}
          {field("alertEmail", "Alert email", { type: "email" })}
          {field("alertPhone", "Alert phone (SMS)", {
            type: "tel",
            hint: 'E.164, for example "+15551234567"; the SMS names the alert, not the agent.',
          })}
          {field("webhookUrl", "Webhook URL (https)", { type: "url" })}
        </fieldset>
        <FormEnd error={errors.form} busy={busy} label="Save settings" busyLabel="Saving…" />
        {status ? <p role="status">{status}</p> : null}
      </form>
    </Card>
  );
}
