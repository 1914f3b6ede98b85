/**
 * An HTTP(S) POST that connects only to the address it is given, whatever the name resolves to
 * by the time of the connection: the delivery checks a webhook host's addresses, then posts to
 * the one it checked, so a name re-pointed between the check and the connection (DNS rebinding)
 * cannot lead inside. TLS still verifies the certificate against the URL's host name. Redirects
 * are never followed (node:http does not follow them).
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import { isIP } from "node:net";

/** One POST of a webhook body. */
export interface PinnedPostRequest {
  url: string;
  /** The address to connect to; null resolves the name as usual (loopback receivers under the emulator). */
  address: string | null;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A lookup that answers every name with `address`. */
function pinnedLookup(address: string) {
  const family = isIP(address);
  return (_host: string, options: LookupOptions, callback: LookupCallback) =>
    options.all ? callback(null, [{ address, family }]) : callback(null, address, family);
}

/** POSTs `body` and resolves with the response's status once its body is read (and dropped). */
export function pinnedPost(req: PinnedPostRequest): Promise<{ status: number }> {
  const target = new URL(req.url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { ...req.headers, "content-length": String(Buffer.byteLength(req.body)) },
        lookup: req.address === null ? undefined : pinnedLookup(req.address),
        agent: false,
        signal: AbortSignal.timeout(req.timeoutMs),
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(req.body);
  });
}
