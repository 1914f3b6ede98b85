import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import type { Firestore } from "firebase-admin/firestore";
import fc from "fast-check";
import { exportQuerySchema, type ConversationItem } from "../../src/contract/analytics";
import { contentDisposition, CSV_COLUMNS, csvHeader, csvRows, RowTally } from "../../src/domain/export-format";
import { handleExportRequest, type ExportSink } from "../../src/handlers/export";

function item(overrides: Partial<ConversationItem> = {}): ConversationItem {
  return {
    id: "agent-1:conv-1:m1",
    agentId: "agent-1",
    conversationId: "conv-1",
    messageId: "m1",
    sessionId: "agent-1:conv-1",
    userMessage: "hello",
    agentResponse: "hi",
    tokens: { prompt: 100, completion: 50, total: 150, cached: 10 },
    cost: 0.006,
    costMicros: 6_000,
    shadowCostMicros: 6_000,
    billable: true,
    mode: "production",
    model: "gpt-4.1",
    timestamp: "2026-03-01T04:59:59.999Z",
    localDay: "2026-02-28",
    usageSource: "provider",
    priceVersion: "2026-11-01.1",
    latencyMs: 12,
    ...overrides,
  };
}

describe("CSV", () => {
  it("round-trips commas, quotes, CR, LF and CRLF through csv-parse", () => {
    const nasty = 'He said "hi, there",\nthen left\r\nand\rcame back; =SUM(A1)';
    const rows = [
      item({ userMessage: nasty, agentResponse: '""' }),
      item({ id: "x", billable: false, mode: "development", costMicros: 0, cost: 0 }),
    ];
    const text = csvHeader() + csvRows(rows);
    const records = parse(text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(2);
    expect(Object.keys(records[0])).toEqual([...CSV_COLUMNS]);
    expect(records[0].userMessage).toBe(nasty);
    expect(records[0].agentResponse).toBe('""');
    expect(records[0]).toMatchObject({
      billable: "true",
      promptTokens: "100",
      cachedTokens: "10",
      costMicros: "6000",
      cost: "0.006",
      model: "gpt-4.1",
    });
    expect(records[1]).toMatchObject({ id: "x", billable: "false", mode: "development", costMicros: "0" });
  });

  it("separates records with CRLF (RFC 4180)", () => {
    expect(csvHeader().endsWith("\r\n")).toBe(true);
    expect(csvRows([item()]).split("\r\n")).toHaveLength(2);
    expect(csvRows([])).toBe("");
  });

  it("round-trips any text (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (message, response) => {
        const records = parse(csvHeader() + csvRows([item({ userMessage: message, agentResponse: response })]), {
          columns: true,
          relax_column_count: false,
        }) as Record<string, string>[];
        expect(records[0].userMessage).toBe(message);
        expect(records[0].agentResponse).toBe(response);
      }),
      { numRuns: 300 },
    );
  });
});

describe("RowTally", () => {
  it("sums rows in integers and hashes their NDJSON lines in order", () => {
    const rows = [
      item({ costMicros: 1, shadowCostMicros: 1 }),
      item({ costMicros: 2, shadowCostMicros: 2 }),
      item({ mode: "development", billable: false, costMicros: 0, shadowCostMicros: 7 }),
    ];
    const tally = new RowTally();
    const lines = rows.map((row) => JSON.stringify(row));
    rows.forEach((row, i) => tally.add(row, lines[i]));
    const summary = tally.summary();
    expect(summary).toMatchObject({ rowCount: 3, messages: 2, costMicros: 3, cost: 0.000003, promptTokens: 200, totalTokens: 300 });
    expect(summary.development).toEqual({ messages: 1, totalTokens: 150, shadowCostMicros: 7, shadowCost: 0.000007 });
    expect(summary.byMode.production.cachedTokens).toBe(20);
    const ndjson = lines.map((line) => `${line}\n`).join("");
    expect(tally.checksum()).toMatchObject({ algorithm: "sha256", value: createHash("sha256").update(ndjson).digest("hex") });
  });

  it("changes its checksum when the order changes", () => {
    const [a, b] = [item({ id: "a" }), item({ id: "b" })];
    const digest = (rows: ConversationItem[]) => {
      const tally = new RowTally();
      rows.forEach((row) => tally.add(row, JSON.stringify(row)));
      return tally.checksum().value;
    };
    expect(digest([a, b])).not.toBe(digest([b, a]));
  });
});

describe("contentDisposition", () => {
  it("names the file after the agent and the range", () => {
    expect(contentDisposition("agent_1", "2026-01-01", "2026-01-31", "ndjson")).toBe(
      'attachment; filename="billing-agent_1-2026-01-01-2026-01-31.ndjson"',
    );
  });
});

describe("handleExportRequest before any read", () => {
  /** A sink that records what the handler sends. */
  function recorder() {
    const sent = { status: 0, headers: {} as Record<string, string>, body: "", ended: false, aborted: false };
    const sink: ExportSink = {
      status: (code) => void (sent.status = code),
      header: (name, value) => void (sent.headers[name.toLowerCase()] = value),
      write: async (chunk) => void (sent.body += chunk),
      end: async () => void (sent.ended = true),
      abort: () => void (sent.aborted = true),
    };
    return { sent, sink };
  }
  // Any read would throw: these requests must be answered before Firestore is touched.
  const db = new Proxy(
    {},
    {
      get: () => {
        throw new Error("Firestore must not be read");
      },
    },
  ) as unknown as Firestore;
  const deps = {
    db,
    signingKey: "k",
    now: () => 0,
    verifyIdToken: async (token: string) => {
      if (token !== "good") throw new Error("bad token");
      return { uid: "u1" };
    },
  };
  const query = { agentId: "agent-1", from: "2026-01-01", to: "2026-01-31", format: "csv" };

  it.each([
    ["POST", "Bearer good", query, 405, "METHOD_NOT_ALLOWED"],
    ["GET", undefined, query, 401, "UNAUTHENTICATED"],
    ["GET", "Basic abc", query, 401, "UNAUTHENTICATED"],
    ["GET", "Bearer nope", query, 401, "UNAUTHENTICATED"],
    ["GET", "Bearer good", { ...query, format: "xml" }, 400, "INVALID_ARGUMENT"],
    ["GET", "Bearer good", { ...query, to: "2025-12-31" }, 400, "INVALID_ARGUMENT"],
    ["GET", "Bearer good", { ...query, agentId: ["a", "b"] }, 400, "INVALID_ARGUMENT"],
    ["GET", "Bearer good", { ...query, limit: "5" }, 400, "INVALID_ARGUMENT"],
  ])("%s with %p and %p -> %d", async (method, authorization, q, status, code) => {
    const { sent, sink } = recorder();
    await handleExportRequest(deps, { method, authorization, query: q }, sink);
    expect(sent.status).toBe(status);
    expect(sent.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(sent.body).error.status).toBe(code);
    expect(sent.ended).toBe(true);
  });

  it("names the bad parameter", async () => {
    const { sent, sink } = recorder();
    await handleExportRequest(deps, { method: "GET", authorization: "Bearer good", query: { ...query, from: "2026-02-30" } }, sink);
    expect(JSON.parse(sent.body).error.message).toMatch(/^from: /);
  });

  it("tells a non-GET caller what is allowed", async () => {
    const { sent, sink } = recorder();
    await handleExportRequest(deps, { method: "DELETE", authorization: "Bearer good", query }, sink);
    expect(sent.headers.allow).toBe("GET");
  });
});

describe("the export's range", () => {
  const query = (from: string, to: string) => exportQuerySchema.safeParse({ agentId: "a", from, to });

  it("spans up to ten years (3,660 days), no more", () => {
    expect(query("2016-01-01", "2026-01-07").success).toBe(true);
    const over = query("2016-01-01", "2026-01-08");
    expect(over.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["to", "the range from 2016-01-01 must span at most 3660 days, got 3661"],
    ]);
  });
});
