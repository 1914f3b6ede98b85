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
export const failedPrecondition = (message: string) => new BillingError("failed-precondition", message);
export const resourceExhausted = (message: string, details?: Record<string, unknown>) =>
  new BillingError("resource-exhausted", message, details);
export const unavailable = (message: string) => new BillingError("unavailable", message);

/** The one place where errors become what a caller sees. */
export function toHttpsError(err: unknown): HttpsError {
  if (err instanceof HttpsError) return err;
  if (err instanceof BillingError) return new HttpsError(err.code, err.message, err.details);
  return new HttpsError("internal", "Internal error.");
}

/** Firestore's gRPC status for a create() whose document exists. */
export const isAlreadyExists = (err: unknown) => (err as { code?: unknown })?.code === 6;
/** Firestore's gRPC status for an update() whose document is missing. */
export const isNotFound = (err: unknown) => (err as { code?: unknown })?.code === 5;
