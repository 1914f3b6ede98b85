/**
 * The versioned price book and the exact cost of a message. Prices are integer micro-USD per
 * 1,000,000 tokens per token class; a cost is computed in BigInt and rounded once, half up.
 */
import { calcPrice, type TieredPrices } from "@pydantic/genai-prices";
import { assertMicros, divRoundHalfUp, usdToMicros } from "../base/money";
import type { TokenUsage } from "./usage";

/** Integer micro-USD per 1,000,000 tokens of each token class. */
export interface ModelPrice {
  inputMicrosPerMTok: number;
  cachedInputMicrosPerMTok: number;
  outputMicrosPerMTok: number;
}

/** A dated, versioned set of model prices; every ledger row records the version it was priced with. */
export interface PriceBook {
  version: string;
  /** `YYYY-MM-DD`: the day these prices took effect, and the date library prices are read for. */
  effectiveFrom: string;
  models: Readonly<Record<string, ModelPrice>>;
}

/** The model an agent gets when it names none: the seed's. */
export const DEFAULT_MODEL = "gpt-4";

/** Prices are per this many tokens. */
const TOKENS_PER_MTOK = 1_000_000n;

/**
 * The seed's prices, authoritative over the library: $0.03 / $0.06 per 1K tokens. gpt-4 has no
 * prompt-cache discount, so cached input costs the same as input.
 */
const SEED_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-4": { inputMicrosPerMTok: 30_000_000, cachedInputMicrosPerMTok: 30_000_000, outputMicrosPerMTok: 60_000_000 },
};

/**
 * Chat models priced from `@pydantic/genai-prices` (provider `openai`). Models with context-length
 * tiers (gpt-5.4 and later bill prompts above ~272K tokens at a higher rate) are left out on purpose:
 * this book has one rate per token class, and their base tier would under-bill long prompts.
 */
export const LIBRARY_MODELS: readonly string[] = [
  "gpt-3.5-turbo",
  "gpt-4-turbo",
  "gpt-4o",
  "gpt-4o-mini",
  "gpt-4.1",
  "gpt-4.1-mini",
  "gpt-4.1-nano",
  "gpt-5",
  "gpt-5-mini",
  "gpt-5-nano",
  "gpt-5.1",
  "gpt-5.2",
  "o1",
  "o3",
  "o3-mini",
  "o4-mini",
];

/**
 * Any change to a price (a seed figure, the model list, or a library upgrade that moves a figure)
 * must bump this version, or ledger rows priced differently would claim the same version. The unit
 * tests pin every figure of the book, so an upgrade that moves one fails until the version is bumped.
 */
const BOOK_VERSION = "2026-11-01.1";
const BOOK_EFFECTIVE_FROM = "2026-11-01";

/**
 * A model's price from the bundled `@pydantic/genai-prices` data as it stood at `at`, converted to
 * integer micros exactly once. Date-dependent prices (o3's June 2025 cut) resolve to the one in
 * force at `at`; a tiered price contributes its base tier. A missing cache-read price means cached
 * input is billed at the input price.
 *
 * @returns null when the library has no price of its own for exactly this model id (no fuzzy match
 *   onto a sibling model) or lacks an input or output price: we skip, never invent.
 * @throws RangeError when a library price has sub-micro precision: refused loudly, not rounded.
 */
export function libraryModelPrice(model: string, at: Date): ModelPrice | null {
  const result = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId: "openai", timestamp: at });
  if (!result || result.model.id !== model) {
    return null;
  }
  const prices = result.model_price;
  const input = mtokToMicros(prices.input_mtok, `${model}.input_mtok`);
  const output = mtokToMicros(prices.output_mtok, `${model}.output_mtok`);
  if (input === null || output === null) {
    return null;
  }
  const cachedInput = mtokToMicros(prices.cache_read_mtok, `${model}.cache_read_mtok`) ?? input;
  return Object.freeze({
    inputMicrosPerMTok: input,
    cachedInputMicrosPerMTok: cachedInput,
    outputMicrosPerMTok: output,
  });
}

/** The price book in force, built once at module load. */
export const PRICE_BOOK: PriceBook = buildPriceBook();

/**
 * The price to bill `model` with. The agent's own price wins and is recorded as
 * `agent:<book version>:<input>/<cached input>/<output>` (the book current when it was applied, and
 * the price itself in micro-USD per million tokens, so an audit can tell which price each
 * agent-priced row was billed at); else the book's entry with the book's version.
 *
 * @returns null when neither prices the model: the caller refuses the message, never bills $0.
 * @throws RangeError when the agent's price is not integer micros.
 */
export function resolvePrice(
  model: string,
  agentPrice?: ModelPrice | null,
  book: PriceBook = PRICE_BOOK,
): { price: ModelPrice; priceVersion: string } | null {
  if (agentPrice) {
    const price = checkPrice(agentPrice, "agent price");
    const perMTok = `${price.inputMicrosPerMTok}/${price.cachedInputMicrosPerMTok}/${price.outputMicrosPerMTok}`;
    return { price, priceVersion: `agent:${book.version}:${perMTok}` };
  }
  // Own keys only: "constructor" or "__proto__" must not resolve to Object.prototype members.
  if (!Object.hasOwn(book.models, model)) {
    return null;
  }
  return { price: book.models[model], priceVersion: book.version };
}

/**
 * The price an agent bills `model` with: its own price only when it was set for that model (an
 * agent's price is bound to its model: changing the model drops it), else the book's.
 */
export function resolveAgentPrice(
  model: string,
  pricing: (ModelPrice & { model: string }) | null | undefined,
): { price: ModelPrice; priceVersion: string } | null {
  return resolvePrice(model, pricing?.model === model ? pricing : null);
}

/**
 * Exact cost of a message in micro-USD: uncached input, cached input and output tokens at their
 * prices, summed in BigInt and rounded once, half up, to a micro.
 *
 * @throws RangeError on token counts that are not non-negative safe integers, `cached > prompt`,
 *   prices that are not integer micros, or a cost above `Number.MAX_SAFE_INTEGER`.
 */
export function costMicros(usage: TokenUsage, price: ModelPrice): number {
  const prompt = tokenCount(usage.prompt, "usage.prompt");
  const cached = tokenCount(usage.cached, "usage.cached");
  const completion = tokenCount(usage.completion, "usage.completion");
  if (cached > prompt) {
    throw new RangeError(`usage.cached (${cached}) must not exceed usage.prompt (${prompt})`);
  }
  checkPrice(price, "price");
  const numerator =
    BigInt(prompt - cached) * BigInt(price.inputMicrosPerMTok) +
    BigInt(cached) * BigInt(price.cachedInputMicrosPerMTok) +
    BigInt(completion) * BigInt(price.outputMicrosPerMTok);
  const micros = divRoundHalfUp(numerator, TOKENS_PER_MTOK);
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`cost of ${prompt}+${completion} tokens is above the largest safe micro-USD amount`);
  }
  return Number(micros);
}

/**
 * The most a message can cost before we know its usage: every prompt token uncached (at the dearer
 * of the input and cached-input prices, in case an agent's price inverts them) and
 * `maxCompletionTokens` of output. Reserved against spending limits before the agent is called.
 */
export function worstCaseCostMicros(promptTokens: number, maxCompletionTokens: number, price: ModelPrice): number {
  checkPrice(price, "price");
  const worstInput = Math.max(price.inputMicrosPerMTok, price.cachedInputMicrosPerMTok);
  const usage: TokenUsage = {
    prompt: tokenCount(promptTokens, "promptTokens"),
    completion: tokenCount(maxCompletionTokens, "maxCompletionTokens"),
    total: promptTokens + maxCompletionTokens,
    cached: 0,
  };
  return costMicros(usage, { ...price, inputMicrosPerMTok: worstInput });
}

function buildPriceBook(): PriceBook {
  const at = new Date(`${BOOK_EFFECTIVE_FROM}T00:00:00Z`);
  const models: Record<string, ModelPrice> = {};
  for (const model of LIBRARY_MODELS) {
    const price = libraryModelPrice(model, at);
    if (price) {
      models[model] = price;
    }
  }
  // Seed prices last, so the library can never override them.
  for (const [model, price] of Object.entries(SEED_PRICES)) {
    models[model] = Object.freeze({ ...checkPrice(price, `seed price of ${model}`) });
  }
  return Object.freeze({ version: BOOK_VERSION, effectiveFrom: BOOK_EFFECTIVE_FROM, models: Object.freeze(models) });
}

/** USD per MTok from the library to integer micros; a tiered price contributes its base tier. */
function mtokToMicros(value: number | TieredPrices | undefined, field: string): number | null {
  if (value === undefined) {
    return null;
  }
  const usd = typeof value === "number" ? value : value.base;
  try {
    return usdToMicros(usd);
  } catch (error) {
    throw new RangeError(`@pydantic/genai-prices ${field} = ${usd} is not a whole number of micro-USD: ${String(error)}`);
  }
}

function checkPrice(price: ModelPrice, label: string): ModelPrice {
  assertMicros(price.inputMicrosPerMTok, `${label}.inputMicrosPerMTok`);
  assertMicros(price.cachedInputMicrosPerMTok, `${label}.cachedInputMicrosPerMTok`);
  assertMicros(price.outputMicrosPerMTok, `${label}.outputMicrosPerMTok`);
  return price;
}

function tokenCount(value: number, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative safe integer token count, got ${String(value)}`);
  }
  return value;
}
