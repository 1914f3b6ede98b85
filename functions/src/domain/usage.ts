/**
 * Token usage as we bill it, normalized from whatever the agent service reported. The service is
 * outside our control, so nothing it sends is trusted: every count becomes a non-negative integer
 * and the totals are recomputed rather than read.
 */

/**
 * Billable token counts of one message. `cached` is the part of `prompt` served from the
 * provider's prompt cache (OpenAI reports it inside `prompt_tokens`), so uncached input is
 * `prompt - cached` and no token is ever counted twice. `total` is always `prompt + completion`.
 */
export interface TokenUsage {
  prompt: number;
  completion: number;
  total: number;
  cached: number;
}

/** The `usage` object of an OpenAI-compatible chat completion, every field possibly absent. */
export interface ProviderUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/**
 * Largest count kept for one token class: half of `MAX_SAFE_INTEGER`, so `prompt + completion` is
 * still a safe integer. Absurd counts are not shrunk to something plausible: at any real price they
 * make `costMicros` refuse the message rather than bill a made-up figure.
 */
export const MAX_TOKEN_COUNT = Math.floor(Number.MAX_SAFE_INTEGER / 2);

/**
 * Normalizes a provider's usage into {@link TokenUsage}: non-finite, non-numeric and negative counts
 * become 0, fractions are floored, `cached` is clamped into `[0, prompt]`, and `total` is recomputed
 * as `prompt + completion` (a provider's inconsistent `total_tokens` is ignored).
 */
export function normalizeUsage(raw: ProviderUsage): TokenUsage {
  const source: Partial<ProviderUsage> = isRecord(raw) ? raw : {};
  const prompt = toCount(source.prompt_tokens);
  const completion = toCount(source.completion_tokens);
  const details: unknown = source.prompt_tokens_details;
  const reportedCached = isRecord(details) ? toCount(details.cached_tokens) : 0;
  return {
    prompt,
    completion,
    total: prompt + completion,
    cached: Math.min(reportedCached, prompt),
  };
}

/**
 * True when a response carries usage we can bill from: `prompt_tokens` and `completion_tokens` are
 * finite, non-negative numbers. Anything less (absent, null, NaN, negative) means the caller counts
 * tokens itself and records the usage as estimated, rather than billing a garbage figure as 0.
 */
export function hasUsage(raw: unknown): raw is ProviderUsage {
  return isRecord(raw) && isBillableCount(raw.prompt_tokens) && isBillableCount(raw.completion_tokens);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isBillableCount(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function toCount(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    return 0;
  }
  return Math.min(Math.floor(value), MAX_TOKEN_COUNT);
}
