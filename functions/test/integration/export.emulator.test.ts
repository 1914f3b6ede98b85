/**
 * exportBillingReport over HTTP, as an operator's script or a browser download would call it, on
 * signed traffic rolled up by the real trigger: formats, checksums, ranges in the agent's
 * timezone, and every refusal.
 */
import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import { logger } from "firebase-functions/v2";
import { DateTime } from "luxon";
import type { ConversationItem } from "../../src/contract/analytics";
import type { LedgerRow } from "../../src/domain/ledger";
import { CSV_COLUMNS } from "../../src/domain/export-format";
import { handleExportRequest } from "../../src/handlers/export";
import { adminDb, createUser, functionUrl, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, type RowSpec, writeMadeRows } from "../helpers/ledger";
import { summaryTotals } from "../helpers/rollups";

jest.setTimeout(120_000);

const NY = "America/New_York";
const NASTY = ['Hello, "world"', "line one\nline two\r\nline three", 'a,b,"c"\n=1+2, ünïcødé ✓'];

interface Report {
  agentId: string;
  from: string;
  to: string;
  timezone: string;
  generatedAt: string;
  series: { period: string; messages: number; costMicros: number; development: { messages: number } }[];
  rows: ConversationItem[];
  rowCount: number;
  summary: {
    rowCount: number;
    messages: number;
    costMicros: number;
    totalTokens: number;
    development: { messages: number; shadowCostMicros: number };
  };
  checksum: { algorithm: string; value: string };
}

let owner: TestUser;
let stranger: TestUser;
let agentId: string;
let strangersAgent: string;
let rows: { id: string; row: LedgerRow }[];
let forgedId: string;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const ndjsonOf = (items: unknown[]) => items.map((item) => `${JSON.stringify(item)}\n`).join("");
const newestFirst = (a: { id: string; row: LedgerRow }, b: { id: string; row: LedgerRow }) =>
  Date.parse(b.row.timestamp) - Date.parse(a.row.timestamp) || (a.id < b.id ? 1 : -1);

async function download(params: Record<string, string>, idToken?: string, method = "GET") {
  const url = `${functionUrl("exportBillingReport")}?${new URLSearchParams(params)}`;
  const res = await fetch(url, { method, headers: idToken === undefined ? {} : { authorization: `Bearer ${idToken}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function writeAll(made: { id: string; row: LedgerRow }[]): Promise<void> {
  const db = adminDb();
  await writeMadeRows(db, made);
}

beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("export-owner"), createUser("export-stranger")]);
  [agentId, strangersAgent] = await Promise.all([seedAgent(owner.uid, { billing: { timezone: NY } }), seedAgent(stranger.uid)]);
  const base = Date.parse("2026-02-20T10:00:00Z");
  const specs: RowSpec[] = Array.from({ length: 45 }, (_, i) => ({
    agentId,
    userId: owner.uid,
    timezone: NY,
    conversationId: `conv-${i % 4}`,
    mode: i % 3 === 0 ? "development" : "production",
    model: i % 2 ? "gpt-4.1" : "gpt-4",
    prompt: 20 + ((i * 37) % 900),
    completion: 5 + ((i * 53) % 400),
    at: new Date(base + i * 9 * 3_600_000 + i * 61_000),
  }));
  // Either side of New York's midnight between Feb 28 and Mar 1 (05:00Z).
  for (const local of ["2026-02-28T23:59:59.999", "2026-03-01T00:00:00.000"]) {
    specs.push({ agentId, userId: owner.uid, timezone: NY, conversationId: "edge", at: DateTime.fromISO(local, { zone: NY }).toJSDate() });
  }
  rows = specs.map((spec) => makeLedgerRow(spec, signingKey()));
  // userMessage is not signed: rows with commas, quotes and newlines stay countable.
  NASTY.forEach((text, i) => (rows[i].row.userMessage = text));
  // A row the backend did not sign (its cost was altered): the rollup refuses it, the export leaves it out.
  const forged = makeLedgerRow(
    { agentId, userId: owner.uid, timezone: NY, conversationId: "forged", at: new Date("2026-02-25T12:00:00Z") },
    signingKey(),
  );
  forgedId = forged.id;
  await writeAll([...rows, { id: forged.id, row: { ...forged.row, costMicros: 1 } }]);
  const production = rows.filter((r) => r.row.billable).length;
  await waitFor(
    async () => {
      const summary = await summaryTotals(adminDb(), agentId);
      return summary.totalMessages === production && summary.devMessages === rows.length - production;
    },
    "rollup of the export rows",
    240_000,
  );
}, 300_000);

const RANGE = { from: "2026-02-01", to: "2026-03-31" };

describe("exportBillingReport formats", () => {
  let report: Report;
  let headers: Headers;

  beforeAll(async () => {
    const res = await download({ agentId, ...RANGE, format: "json" }, owner.idToken);
    expect(res.status).toBe(200);
    headers = res.headers;
    report = JSON.parse(res.text) as Report;
  });

  it("names the attachment and its type", () => {
    expect(headers.get("content-type")).toMatch(/^application\/json/);
    expect(headers.get("content-disposition")).toBe(`attachment; filename="billing-${agentId}-2026-02-01-2026-03-31.json"`);
  });

  it("exports every counted row once, newest first, without signatures or forged rows", () => {
    expect(report.rows.map((r) => r.id)).toEqual([...rows].sort(newestFirst).map((r) => r.id));
    expect(report.rows.map((r) => r.id)).not.toContain(forgedId);
    expect(report.rowCount).toBe(rows.length);
    expect(report.rows.every((r) => !("sig" in r) && !("userId" in r))).toBe(true);
    expect(report.rows.find((r) => r.id === rows[1].id)?.userMessage).toBe(NASTY[1]);
  });

  it("carries a checksum a client can verify, and summary totals equal to the rows", () => {
    expect(report.checksum.algorithm).toBe("sha256");
    expect(sha256(ndjsonOf(report.rows))).toBe(report.checksum.value);
    const billable = report.rows.filter((r) => r.billable);
    expect(report.summary.rowCount).toBe(report.rows.length);
    expect(report.summary.messages).toBe(billable.length);
    expect(report.summary.costMicros).toBe(billable.reduce((s, r) => s + r.costMicros, 0));
    expect(report.summary.totalTokens).toBe(billable.reduce((s, r) => s + r.tokens.total, 0));
    expect(report.summary.development.shadowCostMicros).toBe(
      report.rows.filter((r) => !r.billable).reduce((s, r) => s + r.shadowCostMicros, 0),
    );
    expect(report.summary.costMicros).toBe(rows.filter((r) => r.row.billable).reduce((s, r) => s + r.row.costMicros, 0));
  });

  it("has a daily series from the buckets that agrees with the rows", () => {
    expect(report.series).toHaveLength(59);
    expect(report.series[0].period).toBe("2026-02-01");
    expect(report.series.reduce((s, p) => s + p.costMicros, 0)).toBe(report.summary.costMicros);
    expect(report.series.reduce((s, p) => s + p.development.messages, 0)).toBe(report.summary.development.messages);
    const feb28 = report.series.find((p) => p.period === "2026-02-28");
    expect(feb28?.messages).toBe(report.rows.filter((r) => r.billable && r.localDay === "2026-02-28").length);
    expect(report.timezone).toBe(NY);
  });

  it("streams NDJSON with the same rows, hashing to the JSON checksum", async () => {
    const res = await download({ agentId, ...RANGE, format: "ndjson" }, owner.idToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("content-disposition")).toMatch(/\.ndjson"$/);
    expect(sha256(res.text)).toBe(report.checksum.value);
    expect(
      res.text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual(report.rows);
  });

  it("streams RFC 4180 CSV that parses back to the same rows", async () => {
    const res = await download({ agentId, ...RANGE, format: "csv" }, owner.idToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const records = parse(res.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0])).toEqual([...CSV_COLUMNS]);
    expect(records.map((r) => r.id)).toEqual(report.rows.map((r) => r.id));
    records.forEach((record, i) => {
      const row = report.rows[i];
      expect(record).toMatchObject({
        userMessage: row.userMessage,
        agentResponse: row.agentResponse,
        costMicros: String(row.costMicros),
        totalTokens: String(row.tokens.total),
        billable: String(row.billable),
        localDay: row.localDay,
        timestamp: row.timestamp,
      });
    });
    for (const text of NASTY) expect(records.filter((r) => r.userMessage === text)).toHaveLength(1);
  });
});

describe("exportBillingReport ranges and paging", () => {
  it("selects rows by local day in the agent's timezone", async () => {
    const res = await download({ agentId, from: "2026-03-01", to: "2026-03-01", format: "json" }, owner.idToken);
    const report = JSON.parse(res.text) as Report;
    const expected = rows.filter((r) => r.row.localDay === "2026-03-01");
    expect(report.rows.map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
    // 00:00 local is in; 23:59:59.999 the night before (already Mar 1 in UTC) is not.
    expect(report.rows.some((r) => r.timestamp === "2026-03-01T05:00:00.000Z")).toBe(true);
    expect(report.rows.some((r) => r.timestamp === "2026-03-01T04:59:59.999Z")).toBe(false);
    expect(report.summary.costMicros).toBe(expected.filter((r) => r.row.billable).reduce((s, r) => s + r.row.costMicros, 0));
    expect(report.series).toEqual([expect.objectContaining({ period: "2026-03-01", costMicros: report.summary.costMicros })]);
  });

  it("writes page by page: the handler with 7-row pages gives the same report as the function", async () => {
    const writes: string[] = [];
    const sink = {
      status: jest.fn(),
      header: jest.fn(),
      write: async (chunk: string) => void writes.push(chunk),
      end: jest.fn(async () => {}),
      abort: jest.fn(),
    };
    const deps = { db: adminDb(), signingKey: signingKey(), verifyIdToken: async () => ({ uid: owner.uid }), now: () => 0, pageSize: 7 };
    // The forged row is left out, with a warning that names it.
    const warn = jest.spyOn(logger, "warn").mockImplementation(() => undefined);
    let warnings: string[];
    try {
      await handleExportRequest(deps, { method: "GET", authorization: "Bearer x", query: { agentId, ...RANGE } }, sink);
    } finally {
      warnings = warn.mock.calls.map((args) => JSON.stringify(args));
      warn.mockRestore();
    }
    expect(warnings.filter((line) => line.includes(forgedId))).toHaveLength(1);
    expect(sink.status).toHaveBeenCalledWith(200);
    expect(sink.abort).not.toHaveBeenCalled();
    const direct = JSON.parse(writes.join("")) as Report;
    const viaHttp = JSON.parse((await download({ agentId, ...RANGE }, owner.idToken)).text) as Report;
    expect(direct.checksum.value).toBe(viaHttp.checksum.value);
    expect(direct.series).toEqual(viaHttp.series);
    expect(direct.generatedAt).toBe("1970-01-01T00:00:00.000Z");
    // The opening, the series, the rows' opening, one write per 7-row page, the closing.
    expect(writes.length).toBeGreaterThanOrEqual(Math.ceil(rows.length / 7) + 3);
  });

  it("exports an empty range as a valid, empty report", async () => {
    const report = JSON.parse((await download({ agentId, from: "2019-01-01", to: "2019-01-03" }, owner.idToken)).text) as Report;
    expect(report).toMatchObject({ rows: [], rowCount: 0, summary: { messages: 0, costMicros: 0 } });
    expect(report.series.map((p) => p.period)).toEqual(["2019-01-01", "2019-01-02", "2019-01-03"]);
    expect(report.checksum.value).toBe(sha256(""));
  });
});

describe("exportBillingReport refusals", () => {
  const params = () => ({ agentId, ...RANGE, format: "csv" });

  it.each([
    ["no token", () => download(params()), 401, "UNAUTHENTICATED"],
    ["a bad token", () => download(params(), "not-a-jwt"), 401, "UNAUTHENTICATED"],
    ["someone else's agent", () => download({ ...params(), agentId: strangersAgent }, owner.idToken), 403, "PERMISSION_DENIED"],
    ["no such agent", () => download({ ...params(), agentId: "no-such-agent" }, owner.idToken), 404, "NOT_FOUND"],
    ["a POST", () => download(params(), owner.idToken, "POST"), 405, "METHOD_NOT_ALLOWED"],
  ])("answers %s with a JSON error", async (_what, request, status, code) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition")).toBeNull();
    expect(JSON.parse(res.text).error.status).toBe(code);
  });

  it.each([
    [{ format: "xml" }, /^format: /],
    [{ from: "2026-02-30" }, /^from: /],
    [{ to: "2026-01-01" }, /^to: must not be before from/],
    [{ agentId: "bad/id" }, /^agentId: /],
    [{ page: "2" }, /"page": unknown field/],
  ])("answers bad parameters %p with 400 naming the parameter", async (change, message) => {
    const res = await download({ ...params(), ...change }, owner.idToken);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(message);
  });

  it("answers a missing parameter with 400 naming it", async () => {
    const res = await download({ agentId, from: RANGE.from }, owner.idToken);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(/^to: /);
  });
});
