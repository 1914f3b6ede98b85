/** Terminal output shared by the demo and the benchmark: aligned tables and exact money. */

/** Integer micro-USD as dollars, exactly (no float): 1234567 -> "$1.234567". */
export function usd(micros: number, decimals = 6): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`usd: ${micros} is not integer micros`);
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const fraction = String(abs % 1_000_000)
    .padStart(6, "0")
    .slice(0, decimals);
  return `${sign}$${Math.floor(abs / 1_000_000).toLocaleString("en-US")}${decimals ? `.${fraction}` : ""}`;
}

/** A number with thousands separators. */
export const count = (n: number) => n.toLocaleString("en-US");

/** Cells that look like numbers or money are right-aligned, the rest left-aligned. */
const isNumeric = (cell: string) => /^[-$]?[\d,.]+( ?[a-zA-Z/%µ]+)?$/.test(cell) || /^-?\$/.test(cell);

/** Renders rows under headers with aligned columns and a rule below the header. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (isNumeric(cell) && i > 0 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
