/**
 * Opaque page tokens for the ledger history: where the last page ended (the row's createdAt and
 * document id), bound to the agent and the filters it was issued for, and authenticated with an
 * HMAC so a client can neither forge a position nor replay a token on another agent or filter set.
 * The query itself always filters on the caller's uid and agent; the token only adds tamper
 * detection and clear errors. Pure.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Position of the last row of a page, in the order `createdAt desc, localDay desc, id desc`
 * (localDay only breaks createdAt ties, which share a day unless the agent's timezone changed).
 */
export interface PageCursor {
  /** createdAt as Firestore keeps it (seconds and nanoseconds), so no precision is lost. */
  seconds: number;
  nanos: number;
  day: string;
  id: string;
}

/** What a token is valid for. */
export interface PageScope {
  agentId: string;
  userId: string;
  /** The query's filters; page size is not one (it may change between pages). */
  filters: { from?: string; to?: string; billable?: boolean };
}

export type PageTokenProblem = "malformed" | "forged" | "other-agent" | "other-filters";

export class PageTokenError extends Error {
  constructor(
    readonly problem: PageTokenProblem,
    message: string,
  ) {
    super(message);
    this.name = "PageTokenError";
  }
}

const VERSION = 1;
/** Purpose label: the signing key may serve other uses, so page-token MACs use a derived key. */
const KEY_LABEL = "billing/page-token/v1";
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Firestore document ids are at most 1,500 bytes. */
const MAX_ID_LENGTH = 1_500;

interface Payload {
  v: number;
  a: string;
  f: string;
  s: number;
  n: number;
  d: string;
  i: string;
}

function derivedKey(key: string): Buffer {
  if (!key) throw new Error("page token key is empty");
  return createHmac("sha256", key).update(KEY_LABEL).digest();
}

const mac = (body: string, key: string) => createHmac("sha256", derivedKey(key)).update(body).digest("base64url");

/** A short digest of the caller and filters: tokens carry it, not the filters themselves. */
export function scopeDigest(scope: PageScope): string {
  const f = scope.filters;
  const canonical = JSON.stringify([scope.userId, f.from ?? null, f.to ?? null, f.billable ?? null]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 22);
}

/** Issues the token that resumes after `cursor`. */
export function encodePageToken(scope: PageScope, cursor: PageCursor, key: string): string {
  const payload: Payload = {
    v: VERSION,
    a: scope.agentId,
    f: scopeDigest(scope),
    s: cursor.seconds,
    n: cursor.nanos,
    d: cursor.day,
    i: cursor.id,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${mac(body, key)}`;
}

function parsePayload(body: string): Payload {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw new PageTokenError("malformed", "pageToken: is not a token issued by this backend.");
  }
  const p = value as Partial<Payload> | null;
  const valid =
    p?.v === VERSION &&
    typeof p.a === "string" &&
    typeof p.f === "string" &&
    Number.isSafeInteger(p.s) &&
    Number.isInteger(p.n) &&
    (p.n as number) >= 0 &&
    (p.n as number) < 1e9 &&
    typeof p.d === "string" &&
    DAY.test(p.d) &&
    typeof p.i === "string" &&
    p.i.length > 0 &&
    p.i.length <= MAX_ID_LENGTH;
  if (!valid) throw new PageTokenError("malformed", "pageToken: is not a token issued by this backend.");
  return p as Payload;
}

/**
 * Checks a token against the request it comes with and returns its cursor.
 *
 * @throws PageTokenError: `malformed` or `forged` (not issued by us, or altered), `other-agent`,
 *   `other-filters` (issued for another query: the caller must start again without a token).
 */
export function decodePageToken(token: string, scope: PageScope, key: string): PageCursor {
  const [body, sig, ...rest] = typeof token === "string" ? token.split(".") : [];
  if (!body || !sig || rest.length || !BASE64URL.test(body) || !BASE64URL.test(sig)) {
    throw new PageTokenError("malformed", "pageToken: is not a token issued by this backend.");
  }
  const expected = Buffer.from(mac(body, key));
  const actual = Buffer.from(sig);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new PageTokenError("forged", "pageToken: does not verify (altered or not issued by this backend).");
  }
  const payload = parsePayload(body);
  if (payload.a !== scope.agentId) throw new PageTokenError("other-agent", "pageToken: was issued for another agent.");
  if (payload.f !== scopeDigest(scope)) {
    throw new PageTokenError("other-filters", "pageToken: was issued for other filters (from, to, billable); start again without it.");
  }
  return { seconds: payload.s, nanos: payload.n, day: payload.d, id: payload.i };
}
