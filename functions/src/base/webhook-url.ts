/**
 * Which URLs an owner may register as an alert webhook. The backend POSTs to them, so they are
 * held to `https://` with a public host name: no credentials in the URL, no loopback, private,
 * link-local or otherwise special-purpose address literals (a webhook must not become a way to
 * reach internal services). A name is checked again where it resolves, at every delivery
 * ({@link isInternalAddress}, handlers/deliver.ts), so a public-looking name that resolves inside
 * is refused too.
 *
 * The one exception is for local development: with `allowLoopbackHttp` (set only when the
 * Functions emulator runs), `http://127.0.0.1:<port>` and `http://localhost:<port>` are accepted
 * so tests and demos can receive webhooks on a loopback server.
 */

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);

/** The loopback hosts emulator webhooks may use (a host as {@link webhookHost} gives it). */
export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host);

/** IPv4 addresses that never name a public service (RFC 6890 special-purpose ranges). */
const PRIVATE_IPV4 = [
  /^0\./, // "this network"
  /^10\./, // private
  /^127\./, // loopback
  /^169\.254\./, // link-local, the metadata server
  /^172\.(1[6-9]|2\d|3[01])\./, // private
  /^192\.168\./, // private
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, // carrier-grade NAT
  /^192\.0\.[02]\./, // IETF protocol assignments, TEST-NET-1
  /^198\.1[89]\./, // benchmarking
  /^198\.51\.100\./, // TEST-NET-2
  /^203\.0\.113\./, // TEST-NET-3
  /^(22[4-9]|23\d)\./, // multicast
  /^(24\d|25[0-5])\./, // reserved, and the broadcast address
];

/** Host names that resolve to the machine itself or its metadata server. */
const INTERNAL_NAMES = [/^localhost$/, /\.localhost$/, /^metadata(\.google\.internal)?$/, /\.internal$/, /\.local$/];

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** A host name as DNS compares it: lower case, without the trailing dot(s) of a fully qualified name. */
const normalHost = (hostname: string) => hostname.toLowerCase().replace(/\.+$/, "");

function isInternalHost(hostname: string): boolean {
  // IPv6 literals come bracketed from URL; every IPv6 literal is refused, public ones included,
  // as a webhook receiver has a name.
  if (hostname.startsWith("[")) return true;
  const host = normalHost(hostname);
  if (IPV4.test(host)) return PRIVATE_IPV4.some((re) => re.test(host));
  return INTERNAL_NAMES.some((re) => re.test(host));
}

/**
 * Whether a resolved address (IPv4 dotted or IPv6, as DNS lookups return them) is one a webhook
 * must not reach: the special-purpose IPv4 ranges above; IPv6 unspecified, loopback, unique-local,
 * link-local, multicast, and IPv4-mapped or -translated forms of the IPv4 ones.
 */
export function isInternalAddress(address: string): boolean {
  const ip = address.toLowerCase();
  if (IPV4.test(ip)) return PRIVATE_IPV4.some((re) => re.test(ip));
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isInternalAddress(mapped[1]);
  if (ip === "::" || ip === "::1" || ip.startsWith("::ffff:")) return true;
  return /^(f[cd]|fe[89ab]|ff)/.test(ip);
}

/** The host of a webhook URL as a resolver takes it (brackets and trailing dots off). */
export const webhookHost = (url: URL): string => normalHost(url.hostname.replace(/^\[|\]$/g, ""));

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
  const loopback = isLoopbackHost(normalHost(url.hostname));
  if (options.allowLoopbackHttp && loopback && (url.protocol === "http:" || url.protocol === "https:")) return null;
  if (url.protocol !== "https:") return "must be an https:// URL";
  if (isInternalHost(url.hostname)) return "must name a public host";
  return null;
}
