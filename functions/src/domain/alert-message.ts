/**
 * What an alert says: the mail (Trigger Email extension format) and the webhook body. Pure, so
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

/** One sentence per kind, from the figures. */
function summary(alert: AlertContent, agent: string): { subject: string; detail: string } {
  const f = alert.figures;
  switch (alert.kind) {
    case "daily-cost":
      return {
        subject: `Agent ${agent}: spend ${formatUsd(Number(f.costMicros))} on ${alert.window} is over your ${formatUsd(Number(f.thresholdMicros))} alert`,
        detail: `Billable cost on ${alert.window} (agent's local day) reached ${formatUsd(Number(f.costMicros))}, over the daily alert threshold of ${formatUsd(Number(f.thresholdMicros))}.`,
      };
    case "usage-anomaly":
      return {
        subject: `Agent ${agent}: unusual token usage on ${alert.window}`,
        detail: `Usage on ${alert.window} reached ${tokens(f.todayTokens)}, more than ${f.multiplier} times the agent's recent mean of ${tokens(f.baselineMeanTokens)} per active day (${f.baselineActiveDays} active days).`,
      };
    case "billing-failure":
      return {
        subject: `Agent ${agent}: ${f.failures} failed billing transaction(s)`,
        detail: `${f.failures} message(s) of this agent failed to bill (${f.charged} charged) in the run of ${alert.window}. See billing_failures for details.`,
      };
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** The mail of an alert; the agent's name is the owner's text, so it is escaped in the HTML. */
export function alertMail(alert: AlertContent, agentName: string | undefined): MailMessage {
  const agent = `"${agentName || alert.agentId}"`;
  const { subject, detail } = summary(alert, agent);
  const footer = `Alert ${alert.id}. You receive this because you own agent ${alert.agentId}; change alerts with setAgentBillingSettings.`;
  return {
    subject,
    text: `${detail}\n\n${footer}\n`,
    html: `<p><strong>${escapeHtml(subject)}</strong></p><p>${escapeHtml(detail)}</p><p style="color:#666">${escapeHtml(footer)}</p>`,
  };
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
