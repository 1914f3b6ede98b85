/**
 * The formats of exportBillingReport, pure: file names and content types, CSV records (RFC 4180,
 * through csv-stringify), and the running tally of exported rows (summary and checksum).
 *
 * Checksum: `checksum.value` is the hex SHA-256 of the exported rows serialised as NDJSON, that is
 * of `JSON.stringify(row) + "\n"` for each row of `rows`, in order. A client verifies a JSON report
 * by re-serialising its `rows` that way (JavaScript's JSON.stringify keeps the key order and
 * number format the server used); the body of an NDJSON export of the same range hashes to the
 * same value.
 */
import { createHash, type Hash } from "node:crypto";
import { stringify } from "csv-stringify/sync";
import type { ConversationItem, ExportFormat, ModeFigures, UsageFigures } from "../contract/analytics";
import type { TestMode } from "../contract/common";
import { addRow, byMode, emptyModes, usageFigures } from "./analytics";

export const CHECKSUM_ALGORITHM = "sha256";
export const CHECKSUM_COVERS =
  'SHA-256 (hex) of JSON.stringify(row) + "\\n" for each row of rows, in order (the NDJSON export of the same rows)';

const FORMATS: Readonly<Record<ExportFormat, { contentType: string; extension: string }>> = {
  json: { contentType: "application/json; charset=utf-8", extension: "json" },
  csv: { contentType: "text/csv; charset=utf-8", extension: "csv" },
  ndjson: { contentType: "application/x-ndjson; charset=utf-8", extension: "ndjson" },
};

export const contentType = (format: ExportFormat) => FORMATS[format].contentType;

/** `attachment; filename="billing-<agentId>-<from>-<to>.<ext>"` (agent ids are [A-Za-z0-9_-], safe to quote). */
export function contentDisposition(agentId: string, from: string, to: string, format: ExportFormat): string {
  return `attachment; filename="billing-${agentId}-${from}-${to}.${FORMATS[format].extension}"`;
}

/** CSV columns, in order: a row's fields with its tokens flattened. */
export const CSV_COLUMNS = [
  "id",
  "timestamp",
  "localDay",
  "agentId",
  "conversationId",
  "messageId",
  "sessionId",
  "mode",
  "billable",
  "model",
  "promptTokens",
  "completionTokens",
  "cachedTokens",
  "totalTokens",
  "costMicros",
  "cost",
  "shadowCostMicros",
  "usageSource",
  "priceVersion",
  "latencyMs",
  "userMessage",
  "agentResponse",
] as const;

function csvValues(item: ConversationItem): unknown[] {
  const flat: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    ...item,
    promptTokens: item.tokens.prompt,
    completionTokens: item.tokens.completion,
    cachedTokens: item.tokens.cached,
    totalTokens: item.tokens.total,
  };
  return CSV_COLUMNS.map((column) => flat[column]);
}

/**
 * RFC 4180: CRLF between records, fields quoted when they hold a comma, quote, CR or LF, quotes
 * doubled. Booleans as `true`/`false` (csv-stringify would write 1 and an empty field).
 * Formulas are not escaped: that would change the data; spreadsheets should import as text.
 */
export function csvLines(records: unknown[][]): string {
  if (!records.length) return "";
  return stringify(records, {
    record_delimiter: "\r\n",
    quote_record_delimiter: true,
    cast: { boolean: (value) => (value ? "true" : "false") },
  });
}

export const csvHeader = () => csvLines([[...CSV_COLUMNS]]);
export const csvRows = (items: ConversationItem[]) => csvLines(items.map(csvValues));

/** Totals of the exported rows: billable figures, development apart, and every figure by mode. */
export interface ExportSummary extends UsageFigures {
  rowCount: number;
  byMode: Record<TestMode, ModeFigures>;
}

/** Adds up the rows as they are written, in integers, and hashes their NDJSON lines. */
export class RowTally {
  private readonly modes = emptyModes();
  private readonly hash: Hash = createHash(CHECKSUM_ALGORITHM);
  private count = 0;

  /** Counts a row; `line` must be `JSON.stringify(item)`, the serialisation the report carries. */
  add(item: ConversationItem, line: string): void {
    addRow(this.modes, item);
    this.hash.update(`${line}\n`);
    this.count += 1;
  }

  get rowCount(): number {
    return this.count;
  }

  summary(): ExportSummary {
    return { rowCount: this.count, ...usageFigures(this.modes), byMode: byMode(this.modes) };
  }

  /** Call once, after the last row. */
  checksum(): { algorithm: typeof CHECKSUM_ALGORITHM; covers: string; value: string } {
    return { algorithm: CHECKSUM_ALGORITHM, covers: CHECKSUM_COVERS, value: this.hash.digest("hex") };
  }
}
