/**
 * Which URLs an owner may register as an alert webhook. The backend POSTs to them, so they are
 * held to `https://` with a public host name: no credentials in the URL, no loopback, private or
 * link-local address literals (a webhook must not become a way to reach internal services).
 *
 * The one exception is for local development: with `allowLoopbackHttp` (set only when the
 * Functions emulator runs), `http://127.0.0.1:<port>` and `http://localhost:<port>` are accepted
 * so tests and demos can receive webhooks on a loopback server.
 */

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);

/** IPv4 literals that never name a public service. */
const PRIVATE_IPV4 = [
  /^0\./,
  /^10\./,
  /^127\./,
  /^169\.254\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^192\.168\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
];

/** Host names that resolve to the machine itself or its metadata server. */
const INTERNAL_NAMES = [/^localhost$/, /\.localhost$/, /^metadata(\.google\.internal)?$/, /\.internal$/, /\.local$/];

function isInternalHost(hostname: string): boolean {
  // IPv6 literals come bracketed from URL; every IPv6 literal is refused, public ones included,
  // as a webhook receiver has a name.
  if (hostname.startsWith("[")) return true;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hostname)) return PRIVATE_IPV4.some((re) => re.test(hostname));
  return INTERNAL_NAMES.some((re) => re.test(hostname));
}

/**
 * Why `text` cannot be a webhook URL, or null when it can.
 *
 * @param options.allowLoopbackHttp - accept `http://127.0.0.1` and `http://localhost` (emulator only).
 */
export function webhookUrlProblem(text: string, options: { allowLoopbackHttp: boolean }): string | null {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "must be an absolute URL";
  }
  if (url.username || url.password) return "must not contain credentials";
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (options.allowLoopbackHttp && loopback && (url.protocol === "http:" || url.protocol === "https:")) return null;
  if (url.protocol !== "https:") return "must be an https:// URL";
  if (isInternalHost(url.hostname)) return "must name a public host";
  return null;
}
