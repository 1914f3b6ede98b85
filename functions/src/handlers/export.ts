/**
 * exportBillingReport: streams the owner's ledger rows of one agent over any range of local days
 * as JSON, CSV or NDJSON, a page at a time, so memory stays flat however large the range.
 *
 * The JSON report is written in this order: `{agentId, from, to, timezone, format, generatedAt,
 * series: [one point per day, from the daily buckets], rows: [...], rowCount, summary, checksum}`.
 * `summary` adds up exactly the rows of `rows` (integer micros); `series` comes from the rollups,
 * so it matches once every row is rolled up. The checksum is described in domain/export-format.ts.
 * A failure once streaming has begun aborts the connection, so a client never mistakes a
 * truncated report for a whole one.
 */
import type { Firestore } from "firebase-admin/firestore";
import { exportQuerySchema, type ConversationItem, type ExportQuery } from "../contract/analytics";
import { emptyModes, usageFigures, type DayUsage, type ModeTotals } from "../domain/analytics";
import { eachDay } from "../domain/day-window";
import { contentDisposition, contentType, csvHeader, csvRows, RowTally } from "../domain/export-format";
import { HTTP_STATUS, isUnexpected, publicError, statusName } from "../errors";
import { logUnexpected } from "../logs";
import { agentTimezone, loadAgentFor } from "../store/agents";
import { dailyBucketPages } from "../store/daily";
import { ledgerPages } from "../store/ledger-queries";
import { parseInput } from "../validation";
import { countedRows, toConversationItem } from "./list-conversations";

/** The parts of an HTTP request the export looks at. */
export interface ExportRequest {
  method: string;
  authorization?: string;
  query: unknown;
}

/** Where the report goes: an HTTP response in production, a buffer in tests. */
export interface ExportSink {
  status(code: number): void;
  header(name: string, value: string): void;
  /** Resolves when the chunk may be followed by another (backpressure). */
  write(chunk: string): Promise<void>;
  end(): Promise<void>;
  /** Breaks the response off after a failure mid-stream. */
  abort(): void;
}

export interface ExportDeps {
  db: Firestore;
  /** The ledger signing key: rows the rollup would refuse are left out, as in the history. */
  signingKey: string;
  verifyIdToken: (idToken: string) => Promise<{ uid: string }>;
  now: () => number;
  /** Ledger rows (and daily buckets) per page; 500 unless set. */
  pageSize?: number;
}

/** An answer that ends the request before the report starts. */
export class HttpProblem extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpProblem";
  }
}

const DEFAULT_PAGE_SIZE = 500;
/** Series points per write. */
const SERIES_CHUNK = 500;

interface Report {
  deps: ExportDeps;
  /** The agent's owner, whose rows and buckets are exported (the caller, or for an org agent its creator). */
  uid: string;
  query: ExportQuery;
  timezone: string;
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) throw new HttpProblem(401, "UNAUTHENTICATED", "Send the header Authorization: Bearer <Firebase ID token>.");
  return match[1];
}

/** Method, then identity, then parameters, then ownership: the order a client fixes them in. */
async function authorize(deps: ExportDeps, req: ExportRequest): Promise<Report> {
  if (req.method !== "GET") throw new HttpProblem(405, "METHOD_NOT_ALLOWED", "Use GET.", { allow: "GET" });
  const idToken = bearerToken(req.authorization);
  const uid = await deps.verifyIdToken(idToken).then(
    (decoded) => decoded.uid,
    () => {
      throw new HttpProblem(401, "UNAUTHENTICATED", "The ID token is invalid, expired or revoked.");
    },
  );
  const query = parseInput(exportQuerySchema, req.query);
  // Rows hold message text: an org agent's are exported to the roles that read conversations, and queried by the agent's owner.
  const agent = await loadAgentFor(deps.db, query.agentId, uid, "readConversations");
  return { deps, uid: agent.userId, query, timezone: agentTimezone(agent, Date.now()) };
}

/** An error as the caller sees it, with the callables' statuses (errors.ts). */
function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isUnexpected(err)) logUnexpected("exportBillingReport", err);
  const { code, message } = publicError(err);
  return new HttpProblem(HTTP_STATUS[code], statusName(code), message);
}

async function sendProblem(sink: ExportSink, problem: HttpProblem): Promise<void> {
  sink.status(problem.httpStatus);
  for (const [name, value] of Object.entries(problem.headers)) sink.header(name, value);
  sink.header("content-type", "application/json; charset=utf-8");
  await sink.write(JSON.stringify({ error: { status: problem.status, message: problem.message } }));
  await sink.end();
}

/** Handles one export request end to end. */
export async function handleExportRequest(deps: ExportDeps, req: ExportRequest, sink: ExportSink): Promise<void> {
  let report: Report;
  try {
    report = await authorize(deps, req);
  } catch (err) {
    return sendProblem(sink, toProblem(err));
  }
  const { agentId, from, to, format } = report.query;
  sink.status(200);
  sink.header("content-type", contentType(format));
  sink.header("content-disposition", contentDisposition(agentId, from, to, format));
  sink.header("cache-control", "no-store");
  sink.header("x-content-type-options", "nosniff");
  try {
    await WRITERS[format](report, sink);
    await sink.end();
  } catch (err) {
    logUnexpected("exportBillingReport", err);
    sink.abort();
  }
}

/** The counted rows of the range, newest first, a page at a time. */
async function* itemPages(r: Report): AsyncGenerator<ConversationItem[]> {
  const filter = { agentId: r.query.agentId, userId: r.uid, from: r.query.from, to: r.query.to };
  for await (const page of ledgerPages(r.deps.db, filter, r.deps.pageSize ?? DEFAULT_PAGE_SIZE)) {
    const items = countedRows(page, r.deps.signingKey).map(({ id, row }) => toConversationItem(id, row));
    if (items.length) yield items;
  }
}

/** Frames one page of serialised rows; `first` is true for the first page written. */
type Framing = (lines: string[], first: boolean) => string;

const ndjsonLines: Framing = (lines) => lines.map((line) => `${line}\n`).join("");
const jsonArrayItems: Framing = (lines, first) => `${first ? "" : ",\n"}${lines.join(",\n")}`;

/** Writes every counted row as JSON, page by page, tallying each; returns the tally. */
async function writeJsonRows(r: Report, sink: ExportSink, frame: Framing): Promise<RowTally> {
  const tally = new RowTally();
  for await (const items of itemPages(r)) {
    const first = tally.rowCount === 0;
    const lines = items.map((item) => {
      const line = JSON.stringify(item);
      tally.add(item, line);
      return line;
    });
    await sink.write(frame(lines, first));
  }
  return tally;
}

async function writeNdjson(r: Report, sink: ExportSink): Promise<void> {
  await writeJsonRows(r, sink, ndjsonLines);
}

async function writeCsv(r: Report, sink: ExportSink): Promise<void> {
  await sink.write(csvHeader());
  for await (const items of itemPages(r)) await sink.write(csvRows(items));
}

async function writeJson(r: Report, sink: ExportSink): Promise<void> {
  const { agentId, from, to, format } = r.query;
  const head = { agentId, from, to, timezone: r.timezone, format, generatedAt: new Date(r.deps.now()).toISOString() };
  await sink.write(`${JSON.stringify(head).slice(0, -1)},"series":[`);
  await writeSeries(r, sink);
  await sink.write('],"rows":[\n');
  const tally = await writeJsonRows(r, sink, jsonArrayItems);
  const tail = { rowCount: tally.rowCount, summary: tally.summary(), checksum: tally.checksum() };
  await sink.write(`\n],${JSON.stringify(tail).slice(1)}`);
}

const WRITERS: Readonly<Record<ExportQuery["format"], (r: Report, sink: ExportSink) => Promise<void>>> = {
  json: writeJson,
  csv: writeCsv,
  ndjson: writeNdjson,
};

/** One point per day of the range, empty days included, merged with the buckets as they page in. */
async function writeSeries(r: Report, sink: ExportSink): Promise<void> {
  const { agentId, from, to } = r.query;
  const buckets = new BucketWalk(dailyBucketPages(r.deps.db, { agentId, userId: r.uid, from, to }, r.deps.pageSize ?? DEFAULT_PAGE_SIZE));
  let points: string[] = [];
  let written = 0;
  const flush = async () => {
    await sink.write(`${written ? "," : ""}${points.join(",")}`);
    written += points.length;
    points = [];
  };
  for (const day of eachDay(from, to)) {
    points.push(JSON.stringify({ period: day, ...usageFigures(await buckets.take(day)) }));
    if (points.length === SERIES_CHUNK) await flush();
  }
  if (points.length) await flush();
}

/** Walks ascending bucket pages alongside ascending days. */
class BucketWalk {
  private page: DayUsage[] = [];
  private index = 0;
  private done = false;

  constructor(private readonly pages: AsyncGenerator<DayUsage[]>) {}

  /** The figures of `day` (zeros when it has no bucket); days must be asked for in order. */
  async take(day: string): Promise<ModeTotals> {
    for (;;) {
      while (this.index < this.page.length && this.page[this.index].day < day) this.index += 1;
      if (this.index < this.page.length || this.done) break;
      const next = await this.pages.next();
      if (next.done) this.done = true;
      else [this.page, this.index] = [next.value, 0];
    }
    const usage = this.page[this.index];
    if (usage?.day !== day) return emptyModes();
    this.index += 1;
    return usage;
  }
}
