/**
 * Money and figures on screen. Money arrives as integer micro-USD and is formatted here, exactly,
 * from the integer (no float arithmetic on a display number): at least two decimals, and every
 * significant micro-dollar after them.
 */

/** `$1,234.5678`, `$0.00663`, `-$0.50`: exact, to the micro-dollar. */
export function formatUsd(micros: number): string {
  if (!Number.isSafeInteger(micros)) return "—";
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const significant = String(abs % 1_000_000)
    .padStart(6, "0")
    .replace(/0+$/, "");
  const decimals = significant.padEnd(2, "0");
  return `${sign}$${whole.toLocaleString("en-US")}.${decimals}`;
}

/** The micros a formatted amount stands for (the inverse of formatUsd; tests read figures back with it). */
export function parseUsd(text: string): number | null {
  const match = /(-?)\$([\d,]+)\.(\d{1,6})/.exec(text);
  if (!match) return null;
  const whole = Number(match[2].replace(/,/g, ""));
  const micros = whole * 1_000_000 + Number(match[3].padEnd(6, "0"));
  return match[1] ? -micros : micros;
}

/** A price in micro-USD per million tokens, as USD per million tokens. */
export const formatPerMTok = (microsPerMTok: number) => `${formatUsd(microsPerMTok)} / 1M tokens`;

/** An integer count with thousands separators. */
export const formatCount = (n: number) => n.toLocaleString("en-US");

/** A ratio as a percentage with one decimal, or "—". */
export const formatPercent = (ratio: number | null) => (ratio === null || !Number.isFinite(ratio) ? "—" : `${(ratio * 100).toFixed(1)}%`);

/** A plain number with `digits` decimals (a mean, a rate), or "—". */
export const formatDecimal = (n: number | null, digits = 1) =>
  n === null || !Number.isFinite(n) ? "—" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A length of time in seconds, rounded to the second: `45 s`, `3 min 20 s`, `2 h 5 min`, or "—". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
