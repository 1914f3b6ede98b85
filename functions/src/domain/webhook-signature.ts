/**
 * Alert webhooks are signed so a receiver can tell they come from this backend: the header
 * `X-Billing-Signature: sha256=<hex>` carries the HMAC-SHA256 of the exact raw body bytes under
 * the shared secret WEBHOOK_SIGNING_SECRET. Receivers must verify against the raw body (before
 * any JSON parsing) and dedupe on `X-Billing-Alert-Id`, as a delivery may be retried.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Billing-Signature";
export const ALERT_ID_HEADER = "X-Billing-Alert-Id";

const PREFIX = "sha256=";

/** The header value for `body` under `secret`: `sha256=` and 64 lowercase hex digits. */
export function signWebhookBody(body: string | Buffer, secret: string): string {
  if (!secret) throw new Error("webhook signing secret is empty");
  return PREFIX + createHmac("sha256", secret).update(body).digest("hex");
}

/** True when `header` is the signature of `body` under `secret` (constant-time comparison). */
export function verifyWebhookSignature(body: string | Buffer, header: string | undefined | null, secret: string): boolean {
  if (typeof header !== "string" || !header.startsWith(PREFIX)) return false;
  const expected = Buffer.from(signWebhookBody(body, secret));
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
