/**
 * The one error type of the SDK: every failure a caller sees is a BillingClientError whose `code`
 * is the callable's code without the web SDK's `functions/` prefix ("resource-exhausted", ...).
 */
import { FunctionsError, type FunctionsErrorCodeCore } from "firebase/functions";

/** Error codes: the callable codes the backend returns, plus those the transport adds. */
export type BillingClientErrorCode = FunctionsErrorCodeCore;

/**
 * Codes worth retrying with the same idempotency key: the agent service or the network failed
 * (`unavailable`; the web SDK reports a dropped connection as `internal`), or the call timed out.
 * Retrying them never bills twice: the backend keys every message on its messageId.
 */
export const TRANSIENT_CODES: ReadonlySet<BillingClientErrorCode> = new Set<BillingClientErrorCode>([
  "unavailable",
  "internal",
  "deadline-exceeded",
]);

/** A failed call of the billing backend. */
export class BillingClientError extends Error {
  /** How many attempts were made before giving up (1 when the failure was not transient). */
  attempts = 1;

  constructor(
    readonly code: BillingClientErrorCode,
    message: string,
    /** The backend's details (e.g. `retryAfterMs` of a rate limit, the figures of a spending limit). */
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "BillingClientError";
  }

  /** Whether retrying the same call (same messageId) may succeed. */
  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code);
  }
}

const CODES: ReadonlySet<string> = new Set<BillingClientErrorCode>([
  "ok",
  "cancelled",
  "unknown",
  "invalid-argument",
  "deadline-exceeded",
  "not-found",
  "already-exists",
  "permission-denied",
  "resource-exhausted",
  "failed-precondition",
  "aborted",
  "out-of-range",
  "unimplemented",
  "internal",
  "unavailable",
  "data-loss",
  "unauthenticated",
]);

const isCode = (code: string): code is BillingClientErrorCode => CODES.has(code);

/** Converts whatever a call threw into a BillingClientError. */
export function toBillingClientError(err: unknown): BillingClientError {
  if (err instanceof BillingClientError) return err;
  if (err instanceof FunctionsError) {
    const code = err.code.replace(/^functions\//, "");
    return new BillingClientError(isCode(code) ? code : "unknown", err.message, err.details, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BillingClientError("unknown", message, undefined, { cause: err });
}

/** A fetch() that rejected (the network failed, or the signal aborted it). */
export function fetchError(err: unknown): BillingClientError {
  if ((err as Error)?.name === "AbortError" || (err as Error)?.name === "TimeoutError") {
    return new BillingClientError("cancelled", "The request was cancelled.", undefined, { cause: err });
  }
  // As transient as `unavailable`: nothing reached the server, or its answer never arrived.
  return new BillingClientError("unavailable", `network error: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
}

/** HTTP statuses of the export endpoint -> codes, when its body names none. */
const HTTP_CODES: Readonly<Record<number, BillingClientErrorCode>> = {
  400: "invalid-argument",
  401: "unauthenticated",
  403: "permission-denied",
  404: "not-found",
  429: "resource-exhausted",
  500: "internal",
  503: "unavailable",
  504: "deadline-exceeded",
};

/** The error of a failed HTTP response whose body is `{error: {status: "NOT_FOUND", message}}`. */
export function httpError(httpStatus: number, body: string): BillingClientError {
  let status: string | undefined;
  let message = `HTTP ${httpStatus}`;
  try {
    const parsed = JSON.parse(body) as { error?: { status?: unknown; message?: unknown } };
    if (typeof parsed.error?.status === "string") status = parsed.error.status.toLowerCase().replace(/_/g, "-");
    if (typeof parsed.error?.message === "string") message = parsed.error.message;
  } catch {
    // Not JSON (a proxy's error page): the HTTP status says enough.
  }
  const code = status && isCode(status) ? status : (HTTP_CODES[httpStatus] ?? (httpStatus >= 500 ? "unavailable" : "unknown"));
  return new BillingClientError(code, message, { httpStatus });
}
