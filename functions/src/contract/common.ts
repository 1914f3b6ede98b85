/**
 * Building blocks of the public contract shared by the functions and the client SDK (types only on
 * the client side). Every request schema is strict: unknown fields are rejected.
 */
import { z } from "zod";

/** A whole number from 1 to `max` (page sizes, token caps), with the contract's error messages. */
export const countUpTo = (max: number) =>
  z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be at least 1" })
    .max(max, { error: `must be at most ${max}` });

/** Ids that reach document paths: 1-128 of [A-Za-z0-9_-], so never `/`, `.` or `..`. */
export const idSchema = z
  .string({ error: "must be a string" })
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { error: "must be 1-128 characters of A-Z, a-z, 0-9, _ or -" });

export const testModeSchema = z.enum(["production", "development"], { error: 'must be "production" or "development"' });
export type TestMode = z.infer<typeof testModeSchema>;

/** A calendar day `YYYY-MM-DD` (checked as a real date where it is used). */
export const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date YYYY-MM-DD" });

/** Token counts of one message or a total. `cached` is the part of `prompt` served from cache. */
export interface Tokens {
  prompt: number;
  completion: number;
  total: number;
  cached?: number;
}

/** Error codes that callables return for expected failures. */
export type BillingErrorCode =
  | "invalid-argument"
  | "unauthenticated"
  | "permission-denied"
  | "not-found"
  | "already-exists"
  | "failed-precondition"
  | "resource-exhausted"
  | "unavailable"
  | "internal";
