/**
 * The `stripe` SDK, pointed at the real API or at the local Stripe-compatible server. With a base
 * URL (`http://127.0.0.1:12111`, what `npm start` and the tests use) the SDK reaches it through its
 * `host`, `port` and `protocol` options; without one it talks to api.stripe.com with the key given,
 * and the same code runs against real Stripe.
 *
 * Retries are the dispatcher's (429 and 5xx with backoff, never a validation error), so the SDK's
 * own are off: each call is one request, and what the server received is what was sent.
 */
import Stripe from "stripe";

export interface StripeTarget {
  /** A secret key: `sk_test_…` for test mode (and always for the local server), `sk_live_…` for live. */
  apiKey: string;
  /** The local server's origin; absent or empty: the real API. */
  baseUrl?: string;
  timeoutMs?: number;
}

/** @throws RangeError for a base URL that is not http(s)://host[:port]. */
export function stripeClient({ apiKey, baseUrl, timeoutMs = 20_000 }: StripeTarget): Stripe {
  const common = { maxNetworkRetries: 0, timeout: timeoutMs, telemetry: false } as const;
  if (!baseUrl) return new Stripe(apiKey, common);
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || (url.pathname !== "/" && url.pathname !== "")) {
    throw new RangeError(`Stripe base URL must be http(s)://host[:port], got ${JSON.stringify(baseUrl)}`);
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  const port = url.port ? Number(url.port) : protocol === "http" ? 80 : 443;
  return new Stripe(apiKey, { ...common, host: url.hostname, port, protocol });
}
