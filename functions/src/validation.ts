/**
 * Untrusted input is parsed once, at the boundary, by a named strict schema; the first problem
 * becomes an invalid-argument error whose message names the field.
 */
import type { z } from "zod";
import { invalidArgument } from "./errors";

/** Turns the first schema issue into a message that names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "request: invalid";
  if (issue.code === "unrecognized_keys")
    return `${[...issue.path, ""].join(".")}${issue.keys.map((k) => `"${k}"`).join(", ")}: unknown field`;
  const field = issue.path.length ? issue.path.join(".") : "request";
  return `${field}: ${issue.message}`;
}

/** Parses untrusted input once, at the boundary. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const parsed = schema.safeParse(data ?? {});
  if (!parsed.success) throw invalidArgument(describeIssue(parsed.error));
  return parsed.data;
}
