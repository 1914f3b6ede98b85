/**
 * The agent API's errors: every failure becomes OpenAI's error body with the HTTP status an
 * OpenAI client expects, in one place. Bad or revoked keys all get the same 401 (no oracle); a
 * refusal names its limit; nothing unexpected leaks detail.
 */
import type { WireError } from "../../domain/openai-wire";
import { BillingError } from "../../errors";

/** An error of the agent API itself (routes, body, headers), already in wire form. */
export class ApiError extends Error {
  constructor(
    readonly wire: WireError,
    readonly headers: Record<string, string> = {},
  ) {
    super(wire.message);
    this.name = "ApiError";
  }
}

export const invalidRequest = (message: string, param: string | null, code = "invalid_request") =>
  new ApiError({ status: 400, message, type: "invalid_request_error", param, code });

export const unknownRoute = (method: string, path: string) =>
  new ApiError({
    status: 404,
    message: `Unknown request URL: ${method} ${path}.`,
    type: "invalid_request_error",
    param: null,
    code: "unknown_url",
  });

export const methodNotAllowed = (method: string, path: string, allow: string) =>
  new ApiError(
    {
      status: 405,
      message: `Method ${method} is not allowed on ${path}; use ${allow}.`,
      type: "invalid_request_error",
      param: null,
      code: "method_not_allowed",
    },
    { allow },
  );

export const unknownModel = (model: string) =>
  new ApiError({
    status: 404,
    message: `The model "${model}" does not exist for this key.`,
    type: "invalid_request_error",
    param: "model",
    code: "model_not_found",
  });

/** The one answer to a missing, malformed, unknown, wrong or revoked key, or a key whose agent is gone. */
export const invalidApiKey = () =>
  new ApiError({
    status: 401,
    message: "Incorrect API key provided, or the key was revoked.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
  });

/** The `code` of a refusal by a spending limit: whose limit (agent, key, end user, the org that owns the agent) and which. */
const LIMIT_CODES: Record<string, string> = {
  "agent/daily-limit": "agent_daily_limit",
  "agent/monthly-limit": "agent_monthly_limit",
  "key/daily-limit": "key_daily_limit",
  "end-user/daily-limit": "end_user_daily_limit",
  "org/daily-limit": "org_daily_budget",
  "org/monthly-limit": "org_monthly_budget",
};

/** A refusal of the pipeline (resource-exhausted): the rate limit (with Retry-After) or a named spending limit. */
function refusal(err: BillingError): ApiError {
  const details = err.details ?? {};
  if (typeof details.retryAfterMs === "number") {
    const wire = { status: 429, message: err.message, type: "rate_limit_error", param: null, code: "rate_limit" };
    return new ApiError(wire, { "retry-after": String(Math.max(1, Math.ceil(details.retryAfterMs / 1000))) });
  }
  const code = LIMIT_CODES[`${String(details.scope)}/${String(details.reason)}`] ?? "limit_exceeded";
  // Retrying does not help before the window rolls over: the openai SDK reads x-should-retry.
  return new ApiError({ status: 429, message: err.message, type: "insufficient_quota", param: null, code }, { "x-should-retry": "false" });
}

/** Any error of a request, as the wire shows it. */
export function apiErrorOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof BillingError)) return internalError();
  switch (err.code) {
    case "unauthenticated":
    case "not-found":
    case "permission-denied":
      // The key's agent is gone (or not its owner's): the key no longer works.
      return invalidApiKey();
    case "invalid-argument":
      // The pipeline's one: a messageId (here, the Idempotency-Key) reused for another message.
      return invalidRequest("Idempotency-Key: was already used for a different request.", "Idempotency-Key", "idempotency_key_reused");
    case "resource-exhausted":
      return refusal(err);
    case "failed-precondition":
      return new ApiError(
        { status: 503, message: err.message, type: "server_error", param: null, code: "agent_unavailable" },
        { "x-should-retry": "false" },
      );
    case "unavailable":
      return new ApiError({ status: 503, message: err.message, type: "server_error", param: null, code: "agent_error" });
    default:
      return internalError();
  }
}

const internalError = () =>
  new ApiError({ status: 500, message: "Internal error.", type: "server_error", param: null, code: "internal_error" });

/** Whether an error is worth logging as unexpected. */
export const isUnexpectedApiError = (err: unknown) => apiErrorOf(err).wire.status === 500;
