/**
 * What an alert says: the mail (Trigger Email extension format), the SMS body and the webhook body. Pure, so
 * the same alert always produces the same bytes (a retried webhook carries the same signature).
 */
import type { AlertKind } from "./alerts";

/** An alert as raised: its deterministic id and the figures that crossed. */
export interface AlertContent {
  id: string;
  agentId: string;
  kind: AlertKind;
  window: string;
  figures: Record<string, unknown>;
  /** Epoch ms the alert was raised. */
  createdAt: number;
}

/** The `message` of a Trigger Email document. */
export interface MailMessage {
  subject: string;
  text: string;
  html: string;
}

/** Exact USD text of micros, at least 2 decimals and no trailing zeros beyond: `$12.50`, `$0.000123`. */
export function formatUsd(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const fraction = String(micros % 1_000_000)
    .padStart(6, "0")
    .replace(/0+$/, "")
    .padEnd(2, "0");
  return `$${whole.toLocaleString("en-US")}.${fraction}`;
}

const tokens = (n: unknown) => `${Number(n).toLocaleString("en-US")} tokens`;

/** One sentence per kind, from the figures: the subject has no text of the owner's (see {@link alertMail}). */
function summary(alert: AlertContent): { subject: string; detail: string } {
  const f = alert.figures;
  switch (alert.kind) {
    case "daily-cost":
      return {
        subject: `Billing alert: spend ${formatUsd(Number(f.costMicros))} on ${alert.window} is over your ${formatUsd(Number(f.thresholdMicros))} alert`,
        detail: `Billable cost on ${alert.window} (agent's local day) reached ${formatUsd(Number(f.costMicros))}, over the daily alert threshold of ${formatUsd(Number(f.thresholdMicros))}.`,
      };
    case "usage-anomaly":
      return {
        subject: `Billing alert: unusual token usage on ${alert.window}`,
        detail: `Usage on ${alert.window} reached ${tokens(f.todayTokens)}, more than ${f.multiplier} times the agent's recent mean of ${tokens(f.baselineMeanTokens)} per active day (${f.baselineActiveDays} active days).`,
      };
    case "monthly-forecast": {
      const reached = Number(f.monthToDateMicros) >= Number(f.monthlyLimitMicros);
      const when = reached
        ? "The limit is reached: production messages are refused until the month ends or the limit is raised."
        : `At this pace production messages will be refused from about day ${f.limitReachedDay}.`;
      return {
        subject: `Billing alert: ${alert.window} is on pace for ${formatUsd(Number(f.projectedMicros))}, over your ${formatUsd(Number(f.monthlyLimitMicros))} monthly limit`,
        detail:
          `Billable cost in ${alert.window} (agent's local month) is ${formatUsd(Number(f.monthToDateMicros))} after ${f.dayOfMonth} of ${f.daysInMonth} days; ` +
          `at this pace the month ends at ${formatUsd(Number(f.projectedMicros))}, over the monthly limit of ${formatUsd(Number(f.monthlyLimitMicros))}. ${when}`,
      };
    }
    case "billing-failure":
      return {
        subject: `Billing alert: ${f.failures} failed billing transaction(s)`,
        detail: `${f.failures} message(s) of this agent failed to bill (${f.charged} charged) in the run of ${alert.window}. See billing_failures for details.`,
      };
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/**
 * The mail of an alert. The agent's name and id are the owner's text: they stay out of the
 * subject (a subject is what a mail's recipient sees first, and the project's sender must not carry
 * an owner's words there) and are escaped in the HTML body.
 */
export function alertMail(alert: AlertContent, agentName: string | undefined): MailMessage {
  const { subject, detail } = summary(alert);
  const agent = `Agent: "${agentName || alert.agentId}" (${alert.agentId}).`;
  const footer = `Alert ${alert.id}. You receive this because you own this agent; change alerts with setAgentBillingSettings.`;
  return {
    subject,
    text: `${detail}\n${agent}\n\n${footer}\n`,
    html: `<p><strong>${escapeHtml(subject)}</strong></p><p>${escapeHtml(detail)}</p><p>${escapeHtml(agent)}</p><p style="color:#666">${escapeHtml(footer)}</p>`,
  };
}

/**
 * The SMS of an alert: its subject and where to look, nothing of the owner's text (not even the
 * agent's id or name), since the phone number is the owner's word alone (handlers/deliver.ts).
 */
export function alertSms(alert: AlertContent): string {
  return `${summary(alert).subject}. Open the billing console for the agent and the figures.`;
}

/** The webhook body: the alert as JSON, with a type receivers can switch on. */
export function webhookBody(alert: AlertContent): string {
  return JSON.stringify({
    type: "billing.alert",
    id: alert.id,
    kind: alert.kind,
    agentId: alert.agentId,
    window: alert.window,
    figures: alert.figures,
    createdAt: new Date(alert.createdAt).toISOString(),
  });
}
