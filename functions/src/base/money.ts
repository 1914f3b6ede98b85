/**
 * Money is integer micro-USD (1 USD = 1,000,000 micros). Every conversion from a decimal is exact
 * and every division names its rounding, so a ledger total always equals the sum of its rows.
 * Floats appear only in {@link microsToUsd}, which produces display numbers and is never fed back
 * into a computation.
 */

/** Micro-USD in one US dollar. */
export const MICROS_PER_USD = 1_000_000;

/** Decimal places of one micro-USD: a USD amount with more fractional digits is sub-micro. */
const MICRO_DIGITS = 6;

/** Longest decimal string we parse: bounds BigInt work on hostile input long before it matters. */
const MAX_DECIMAL_LENGTH = 64;

/**
 * A decimal in scientific form, `1.25e-3`, `12.5` or `7`. Signs are rejected here (negatives are
 * never money); `+` in the exponent is allowed because `String(1e21)` produces it.
 */
const DECIMAL_PATTERN = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Divides and rounds half up (`2.5 -> 3`, `2.49 -> 2`): the one rounding rule of the ledger.
 *
 * @param numerator - must be non-negative: money amounts never are, and half-up is only
 *   unambiguous for non-negative values.
 * @param denominator - must be positive.
 * @throws RangeError when the numerator is negative or the denominator is not positive.
 */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) {
    throw new RangeError(`divRoundHalfUp: denominator must be positive, got ${denominator}`);
  }
  if (numerator < 0n) {
    throw new RangeError(`divRoundHalfUp: numerator must be non-negative, got ${numerator}`);
  }
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  return 2n * remainder >= denominator ? quotient + 1n : quotient;
}

/**
 * Throws unless `value` is a non-negative safe integer, i.e. a valid micro-USD amount.
 *
 * @param field - named in the error so a bad document or price is easy to find.
 * @returns the value, so it can wrap an expression.
 */
export function assertMicros(value: number, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative safe integer of micro-USD, got ${String(value)}`);
  }
  return value;
}

/**
 * Converts a USD amount to integer micro-USD exactly, through its decimal digits, never through
 * float multiplication (`0.1 * 1e6` happens to work, `4.35 * 1e6 = 4349999.999999999` does not).
 *
 * A number is read as the decimal JavaScript prints for it (`String(x)`, the shortest decimal that
 * round-trips), so `0.1` means exactly 0.1 and `1e-6` means exactly 0.000001: exponent notation is
 * expanded exactly, and accepted whenever the expansion is a whole number of micros.
 *
 * @param usd - a non-negative amount as a number or a decimal string (`"12.5"`, `"1.5e-3"`).
 * @throws RangeError for negatives, NaN/Infinity, malformed strings, sub-micro precision (more
 *   than 6 fractional digits once expanded) and results above `Number.MAX_SAFE_INTEGER`.
 */
export function usdToMicros(usd: number | string): number {
  const text = decimalText(usd);
  const match = DECIMAL_PATTERN.exec(text);
  if (!match || text.length > MAX_DECIMAL_LENGTH) {
    throw new RangeError(`USD amount must be a non-negative decimal, got ${JSON.stringify(text)}`);
  }
  const [, whole, fraction = "", exponent = "0"] = match;
  const digits = BigInt(whole + fraction);
  // Number of decimal places the digit string carries once the exponent is applied.
  const scale = fraction.length - Number(exponent);
  const micros = scaleToMicros(digits, scale, text);
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`USD amount ${text} is above the largest safe micro-USD amount`);
  }
  return Number(micros);
}

/**
 * Display-only dollars (`micros / 1e6`) for the seed's `cost`/`totalCost` fields and UIs. The one
 * place a float appears: never add, compare or store these as money, use the micros. For micros up
 * to 15 significant digits, `usdToMicros(microsToUsd(x)) === x`.
 */
export function microsToUsd(micros: number): number {
  // Signed on purpose: differences (a client total against the ledger's) are displayed too.
  if (!Number.isSafeInteger(micros)) {
    throw new RangeError(`micros must be a safe integer, got ${String(micros)}`);
  }
  return micros / MICROS_PER_USD;
}

/** The decimal text of an amount, refusing non-finite and negative numbers before parsing. */
function decimalText(usd: number | string): string {
  if (typeof usd === "number") {
    if (!Number.isFinite(usd)) {
      throw new RangeError(`USD amount must be finite, got ${usd}`);
    }
    if (usd < 0) {
      throw new RangeError(`USD amount must not be negative, got ${usd}`);
    }
    return String(usd);
  }
  if (typeof usd !== "string") {
    throw new RangeError(`USD amount must be a number or a decimal string, got ${typeof usd}`);
  }
  if (usd.startsWith("-")) {
    throw new RangeError(`USD amount must not be negative, got ${JSON.stringify(usd)}`);
  }
  return usd;
}

/** `digits * 10^-scale` USD in micros, refusing any non-zero digit below one micro. */
function scaleToMicros(digits: bigint, scale: number, text: string): bigint {
  if (digits === 0n) {
    return 0n;
  }
  const shift = MICRO_DIGITS - scale;
  if (shift >= 0) {
    // More than ~16 integer digits of micros is past MAX_SAFE_INTEGER; stop before a huge power.
    return shift > 32 ? BigInt(Number.MAX_SAFE_INTEGER) + 1n : digits * 10n ** BigInt(shift);
  }
  const divisor = 10n ** BigInt(Math.min(-shift, MAX_DECIMAL_LENGTH + 1));
  if (digits % divisor !== 0n) {
    throw new RangeError(
      `USD amount ${text} has more than ${MICRO_DIGITS} fractional digits (sub-micro precision is refused, not rounded)`,
    );
  }
  return digits / divisor;
}
