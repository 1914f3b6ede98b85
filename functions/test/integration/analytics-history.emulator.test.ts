/**
 * listBillableConversations over HTTP: the owner's ledger rows of an agent, newest first, page by
 * page, filtered by local day in the agent's timezone, with page tokens that cannot be replayed.
 */
import { DateTime } from "luxon";
import type { ConversationItem, ListConversationsResponse } from "../../src/contract/analytics";
import type { LedgerRow } from "../../src/domain/ledger";
import { adminDb, call, createUser, seedAgent, signingKey, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, type RowSpec, writeMadeRows } from "../helpers/ledger";

jest.setTimeout(120_000);

const NY = "America/New_York";
const TOKYO = "Asia/Tokyo";

interface Seeded {
  agentId: string;
  rows: { id: string; row: LedgerRow }[];
}

let owner: TestUser;
let stranger: TestUser;
let ny: Seeded;
let tokyo: Seeded;

const list = (data: unknown, user: TestUser = owner) => call<ListConversationsResponse>("listBillableConversations", data, user.idToken);

async function writeRows(specs: RowSpec[]): Promise<{ id: string; row: LedgerRow }[]> {
  const db = adminDb();
  const made = specs.map((spec) => makeLedgerRow(spec, signingKey()));
  await writeMadeRows(db, made);
  return made;
}

/** Rows every ~17 hours from mid-February, a third of them development. */
function traffic(agentId: string, timezone: string, count: number): RowSpec[] {
  const start = Date.parse("2026-02-15T03:00:00Z");
  return Array.from({ length: count }, (_, i) => ({
    agentId,
    userId: owner.uid,
    timezone,
    conversationId: `conv-${i % 3}`,
    mode: i % 3 === 0 ? "development" : "production",
    prompt: 10 + i,
    completion: 5 + i,
    at: new Date(start + i * 17 * 3_600_000 + i * 7_000),
  }));
}

beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("history-owner"), createUser("history-stranger")]);
  const [nyId, tokyoId] = await Promise.all([
    seedAgent(owner.uid, { billing: { timezone: NY } }),
    seedAgent(owner.uid, { billing: { timezone: TOKYO } }),
  ]);
  const nySpecs = traffic(nyId, NY, 70);
  // Either side of New York's midnight between Feb 28 and Mar 1 (05:00Z).
  for (const local of ["2026-02-28T23:59:59.999", "2026-03-01T00:00:00.000"]) {
    nySpecs.push({
      agentId: nyId,
      userId: owner.uid,
      timezone: NY,
      conversationId: "edge",
      at: DateTime.fromISO(local, { zone: NY }).toJSDate(),
    });
  }
  // Two rows at the same instant: ties are ordered by document id, descending.
  const tie = new Date("2026-02-20T15:00:00Z");
  nySpecs.push(...["tie-a", "tie-b"].map((messageId) => ({ agentId: nyId, userId: owner.uid, timezone: NY, messageId, at: tie })));
  [ny, tokyo] = [
    { agentId: nyId, rows: await writeRows(nySpecs) },
    { agentId: tokyoId, rows: await writeRows(traffic(tokyoId, TOKYO, 5)) },
  ];
}, 120_000);

describe("listBillableConversations", () => {
  async function allPages(request: Record<string, unknown>): Promise<{ items: ConversationItem[]; pages: number }> {
    const items: ConversationItem[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const res = await list({ ...request, ...(pageToken ? { pageToken } : {}) });
      expect(res.error).toBeUndefined();
      items.push(...res.result!.items);
      pageToken = res.result!.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);
    return { items, pages };
  }

  /** Newest first, ties by document id descending. */
  const newestFirst = (a: { id: string; row: LedgerRow }, b: { id: string; row: LedgerRow }) =>
    Date.parse(b.row.timestamp) - Date.parse(a.row.timestamp) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

  it("returns each row exactly once across pages, newest first", async () => {
    const { items, pages } = await allPages({ agentId: ny.agentId, pageSize: 17 });
    expect(pages).toBe(Math.ceil(ny.rows.length / 17));
    expect(items.map((i) => i.id)).toEqual([...ny.rows].sort(newestFirst).map((r) => r.id));
    const tie = items.filter((i) => i.messageId.startsWith("tie-")).map((i) => i.messageId);
    expect(tie).toEqual(["tie-b", "tie-a"]);
  });

  it("returns client fields only, never the signature", async () => {
    const item = (await list({ agentId: tokyo.agentId, pageSize: 1 })).result!.items[0];
    const row = tokyo.rows.find((r) => r.id === item.id)!.row;
    expect(item).toMatchObject({
      costMicros: row.costMicros,
      cost: row.cost,
      model: row.model,
      localDay: row.localDay,
      priceVersion: row.priceVersion,
      usageSource: "provider",
      tokens: row.tokens,
    });
    expect(item).not.toHaveProperty("sig");
    expect(item).not.toHaveProperty("writer");
  });

  it("filters on local days and billable", async () => {
    const request = { agentId: ny.agentId, from: "2026-02-28", to: "2026-03-15", billable: true, pageSize: 5 };
    const { items } = await allPages(request);
    const expected = ny.rows
      .filter((r) => r.row.billable && r.row.localDay >= "2026-02-28" && r.row.localDay <= "2026-03-15")
      .sort(newestFirst)
      .map((r) => r.id);
    expect(expected.length).toBeGreaterThan(5);
    expect(items.map((i) => i.id)).toEqual(expected);
    // The 23:59:59.999 New York row of Feb 28 is at 04:59:59.999Z on Mar 1: in by its local day.
    expect(items.some((i) => i.timestamp === "2026-03-01T04:59:59.999Z")).toBe(true);
    const before = await allPages({ agentId: ny.agentId, to: "2026-02-27", billable: false });
    expect(before.items.length).toBeGreaterThan(0);
    expect(before.items.every((i) => !i.billable && i.localDay <= "2026-02-27")).toBe(true);
    expect(before.items).toHaveLength(ny.rows.filter((r) => !r.row.billable && r.row.localDay <= "2026-02-27").length);
  });

  it("refuses a page token from another agent, from other filters or altered", async () => {
    const first = (await list({ agentId: ny.agentId, pageSize: 3 })).result!;
    expect(first.nextPageToken).toEqual(expect.any(String));
    const token = first.nextPageToken as string;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ agentId: tokyo.agentId, pageSize: 3, pageToken: token }, /pageToken: was issued for another agent/],
      [{ agentId: ny.agentId, pageSize: 3, billable: true, pageToken: token }, /pageToken: was issued for other filters/],
      [
        { agentId: ny.agentId, pageSize: 3, pageToken: `${token.slice(0, 10)}${token[10] === "x" ? "y" : "x"}${token.slice(11)}` },
        /pageToken: /,
      ],
      [{ agentId: ny.agentId, pageSize: 3, pageToken: "not-a-token" }, /pageToken: /],
    ];
    for (const [request, message] of cases) {
      const res = await list(request);
      expect(res.error?.status).toBe("INVALID_ARGUMENT");
      expect(res.error?.message).toMatch(message);
    }
    // The same token still works where it belongs, with another page size.
    expect((await list({ agentId: ny.agentId, pageSize: 50, pageToken: token })).result?.items[0].id).not.toBe(first.items[0].id);
  });

  it("refuses other people's agents and bad page sizes", async () => {
    expect((await list({ agentId: ny.agentId }, stranger)).error?.status).toBe("PERMISSION_DENIED");
    const big = await list({ agentId: ny.agentId, pageSize: 201 });
    expect(big.error?.status).toBe("INVALID_ARGUMENT");
    expect(big.error?.message).toMatch(/^pageSize: /);
    expect((await list({ agentId: ny.agentId, from: "2026-03-02", to: "2026-03-01" })).error?.message).toMatch(/^to: /);
  });
});
