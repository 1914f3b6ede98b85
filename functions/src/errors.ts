/**
 * The typed errors of the billing backend, mapped to callable error codes in one place.
 * Anything that is not a BillingError surfaces as `internal` with no detail.
 */
import { HttpsError } from "firebase-functions/v2/https";
import type { BillingErrorCode } from "./contract/common";

export class BillingError extends Error {
  constructor(
    readonly code: BillingErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "BillingError";
  }
}

export const invalidArgument = (message: string) => new BillingError("invalid-argument", message);
export const unauthenticated = () => new BillingError("unauthenticated", "Sign in to call this function.");
export const notFound = (what: string) => new BillingError("not-found", `${what} not found.`);
export const permissionDenied = (message = "This agent belongs to another user.") => new BillingError("permission-denied", message);
export const alreadyExists = (message: string, details?: Record<string, unknown>) => new BillingError("already-exists", message, details);
export const failedPrecondition = (message: string) => new BillingError("failed-precondition", message);
export const resourceExhausted = (message: string, details?: Record<string, unknown>) =>
  new BillingError("resource-exhausted", message, details);
export const unavailable = (message: string) => new BillingError("unavailable", message);

/**
 * The HTTP status of each code: the statuses the callable protocol answers with (firebase-functions'
 * table; a unit test holds the two together), and those the HTTP export answers with.
 */
export const HTTP_STATUS: Readonly<Record<BillingErrorCode, number>> = {
  "invalid-argument": 400,
  "failed-precondition": 400,
  unauthenticated: 401,
  "permission-denied": 403,
  "not-found": 404,
  "already-exists": 409,
  "resource-exhausted": 429,
  internal: 500,
  unavailable: 503,
};

/** A code as the protocol's status names it: "not-found" -> "NOT_FOUND". */
export const statusName = (code: BillingErrorCode) => code.toUpperCase().replace(/-/g, "_");

/** What a caller may see of an error: a BillingError as it is; anything else is `internal`, with no detail. */
export function publicError(err: unknown): BillingError {
  return err instanceof BillingError ? err : new BillingError("internal", "Internal error.");
}

/** Whether an error is worth logging as unexpected: anything but a BillingError of an expected code. */
export const isUnexpected = (err: unknown) => !(err instanceof BillingError) || err.code === "internal";

/** The one place where errors become what a callable's caller sees. */
export function toHttpsError(err: unknown): HttpsError {
  if (err instanceof HttpsError) return err;
  const { code, message, details } = publicError(err);
  return new HttpsError(code, message, details);
}

/** Firestore's gRPC status for a create() whose document exists. */
export const isAlreadyExists = (err: unknown) => (err as { code?: unknown })?.code === 6;
/** Firestore's gRPC status for an update() whose document is missing. */
export const isNotFound = (err: unknown) => (err as { code?: unknown })?.code === 5;
export const isFailedPrecondition = (err: unknown) => (err as { code?: unknown })?.code === 9;
