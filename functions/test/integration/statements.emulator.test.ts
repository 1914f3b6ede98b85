/**
 * getStatement and listStatements over HTTP: signed ledger rows rolled up by the real trigger into
 * the owner's UTC days give a statement equal to the plan's arithmetic on those rows (computed here
 * in BigInt from the rows themselves); a month past its grace is sealed once with its hash, also
 * when asked for concurrently; a row arriving after sealing leaves the sealed statement as it was
 * and shows as an adjustment on the next; bad input writes nothing; another owner's usage never shows.
 */
import { createHash } from "node:crypto";
import { addMonths, monthOf, monthStartMillis } from "../../src/base/months";
import type { ListStatementsResponse, StatementView } from "../../src/contract/statements";
import type { LedgerRow } from "../../src/domain/ledger";
import type { Plan } from "../../src/domain/plans";
import { canonicalJson, STATEMENT_GRACE_DAYS } from "../../src/domain/statements";
import { adminDb, call, createUser, seedAgent, signingKey, waitFor, type TestUser } from "../helpers/emulator";
import { makeLedgerRow, writeMadeRows, type RowSpec } from "../helpers/ledger";

jest.setTimeout(180_000);

type Made = { id: string; row: LedgerRow };

const NOW = Date.now();
const CURRENT = monthOf(NOW);
const SEALED = addMonths(CURRENT, -2);
const BETWEEN = addMonths(CURRENT, -1);
/**
 * The next statement not sealed yet after SEALED, which carries its late rows: last month's while
 * it is still open (the first STATEMENT_GRACE_DAYS days of this month), else this month's (the
 * first call of this file seals last month once its grace is over).
 */
const CARRIER = NOW < monthStartMillis(CURRENT) + STATEMENT_GRACE_DAYS * 86_400_000 ? BETWEEN : CURRENT;

/** An instant in `month`, `day` days and `hour` hours after its start (never after now). */
const inMonth = (month: string, day: number, hour = 10) =>
  new Date(Math.min(monthStartMillis(month) + (day - 1) * 86_400_000 + hour * 3_600_000, NOW - 60_000));

const suffix = Math.random().toString(36).slice(2, 8);
const PLAN: Plan = {
  planId: `pro-${suffix}`,
  version: 3,
  name: "Pro",
  monthlyFeeMicros: 20_000_000,
  includedMicros: 10_000,
  markupBps: 1_250,
  minimumMicros: 0,
  tierMode: "graduated",
  tiers: [
    { upToMessages: 2, unitMicros: 1_000 },
    { upToMessages: null, unitMicros: 250 },
  ],
};

async function rolledUp(rows: Made[]): Promise<void> {
  const db = adminDb();
  await waitFor(
    async () => (await db.getAll(...rows.map(({ id }) => db.doc(`billing_rollup_markers/${id}`)))).every((m) => m.exists),
    `${rows.length} rows rolled up`,
    60_000,
  );
}

async function seedRows(owner: TestUser, agentId: string, specs: Omit<RowSpec, "userId" | "agentId">[]): Promise<Made[]> {
  const made = specs.map((spec) => makeLedgerRow({ ...spec, agentId, userId: owner.uid }, signingKey()));
  await writeMadeRows(adminDb(), made);
  await rolledUp(made);
  return made;
}

/** The plan's arithmetic on a month's ledger rows, written out independently of the backend. */
function expectedCharges(plan: Plan, rows: Made[], month: string): { messages: number; list: bigint; charges: bigint } {
  const prod = rows.filter(({ row }) => row.billable && row.timestamp.slice(0, 7) === month);
  const list = prod.reduce((n, { row }) => n + BigInt(row.costMicros), 0n);
  const covered = list < BigInt(plan.includedMicros) ? list : BigInt(plan.includedMicros);
  const base = (list - covered) * BigInt(plan.markupBps);
  const markup = base / 10_000n + (2n * (base % 10_000n) >= 10_000n ? 1n : 0n);
  let tiers = 0n;
  for (let i = 1; i <= prod.length; i++) tiers += BigInt(i <= 2 ? 1_000 : 250);
  const raw = BigInt(plan.monthlyFeeMicros) + list - covered + markup + tiers;
  return { messages: prod.length, list, charges: raw < BigInt(plan.minimumMicros) ? BigInt(plan.minimumMicros) : raw };
}

const getStatement = (user: TestUser, data: unknown) => call<StatementView>("getStatement", data, user.idToken);
const storedStatement = async (uid: string, month: string) => (await adminDb().doc(`billing_statements/${uid}_${month}`).get()).data();
const sumLines = (s: StatementView) => s.lines.reduce((n, l) => n + l.amountMicros, 0);

let owner: TestUser;
let other: TestUser;
let rows: Made[];

beforeAll(async () => {
  const db = adminDb();
  [owner, other] = await Promise.all([createUser("statements"), createUser("statements-other")]);
  await db.doc(`billing_plans/${PLAN.planId}`).set(PLAN);
  await db.doc(`billing_accounts/${owner.uid}`).set({
    userId: owner.uid,
    planId: PLAN.planId,
    credits: [{ grantId: "welcome", amountMicros: 5_000_000, priority: 10, expiresAt: null }],
  });
  const agentId = await seedAgent(owner.uid, { name: "Statements" });
  const otherAgent = await seedAgent(other.uid, { name: "Not yours" });
  rows = await seedRows(owner, agentId, [
    // Two rows the welcome grant paid for at admission: the statement credits what they burnt.
    { at: inMonth(SEALED, 3), conversationId: "s1", prompt: 1_000, completion: 100, creditGrantId: "welcome" },
    { at: inMonth(SEALED, 9), conversationId: "s1", prompt: 420, completion: 77, creditGrantId: "welcome" },
    { at: inMonth(SEALED, 20), conversationId: "s2", prompt: 90, completion: 11, cached: 40 },
    { at: inMonth(SEALED, 21), conversationId: "s2", prompt: 900, completion: 900, mode: "development" },
    { at: inMonth(CURRENT, 1, 0), conversationId: "c1", prompt: 333, completion: 33 },
  ]);
  await seedRows(other, otherAgent, [{ at: inMonth(SEALED, 5), prompt: 50_000, completion: 5_000 }]);
});

describe("getStatement", () => {
  it("gives the current month open, with live figures equal to the plan's arithmetic on the ledger", async () => {
    const res = await getStatement(owner, { month: CURRENT });
    expect(res.error).toBeUndefined();
    const s = res.result!;
    const want = expectedCharges(PLAN, rows, CURRENT);
    expect(s).toMatchObject({
      month: CURRENT,
      planId: PLAN.planId,
      planVersion: 3,
      status: "open",
      usage: { messages: want.messages, listMicros: Number(want.list) },
    });
    expect(s.chargesMicros).toBe(Number(want.charges));
    expect(s.hash).toBeUndefined();
    expect(sumLines(s)).toBe(s.totalMicros);
    await expect(storedStatement(owner.uid, CURRENT)).resolves.toBeUndefined();
  });

  it("seals a month past its grace once, with a hash of its canonical JSON, and the credit applied", async () => {
    const first = (await getStatement(owner, { month: SEALED })).result!;
    const want = expectedCharges(PLAN, rows, SEALED);
    expect(first).toMatchObject({
      status: "final",
      usage: { messages: 3, listMicros: Number(want.list) },
      chargesMicros: Number(want.charges),
    });
    const burnt = rows.filter((r) => r.row.creditGrantId === "welcome").reduce((n, r) => n + r.row.costMicros, 0);
    expect(burnt).toBeGreaterThan(0);
    expect(first.creditsAppliedMicros).toBe(burnt);
    expect(first.lines.filter((l) => l.kind === "credit")).toEqual([
      { kind: "credit", description: "Credit welcome", quantity: 1, amountMicros: -burnt },
    ]);
    expect(first.totalMicros).toBe(Number(want.charges) - burnt);
    expect(sumLines(first)).toBe(first.totalMicros);
    const stored = (await storedStatement(owner.uid, SEALED))!;
    const { hash, sealedAt: _sealedAt, ...body } = stored;
    expect(hash).toBe(first.hash);
    expect(createHash("sha256").update(canonicalJson(body)).digest("hex")).toBe(hash);
    const again = (await getStatement(owner, { month: SEALED })).result!;
    expect(again).toEqual(first);
  });

  it("keeps a sealed statement as it was when a late row of its month arrives, and bills it on the next statement", async () => {
    const sealed = (await getStatement(owner, { month: SEALED })).result!;
    const before = await storedStatement(owner.uid, SEALED);
    const late = await seedRows(owner, await seedAgent(owner.uid), [
      { at: inMonth(SEALED, 28), conversationId: "late", prompt: 700, completion: 70 },
    ]);
    expect((await getStatement(owner, { month: SEALED })).result).toEqual(sealed);
    await expect(storedStatement(owner.uid, SEALED)).resolves.toEqual(before);
    const next = (await getStatement(owner, { month: CARRIER })).result!;
    const recomputed = expectedCharges(PLAN, [...rows, ...late], SEALED).charges;
    expect(next.lines.filter((l) => l.kind === "adjustment")).toEqual([
      {
        kind: "adjustment",
        description: `Late usage of ${SEALED} (1 messages after it was sealed)`,
        quantity: 1,
        amountMicros: Number(recomputed) - sealed.chargesMicros,
      },
    ]);
    expect(sumLines(next)).toBe(next.totalMicros);
    rows.push(...late);
  });

  it("writes one statement when many calls seal the same month at once", async () => {
    const fresh = await createUser("statements-race");
    const agentId = await seedAgent(fresh.uid);
    const made = await seedRows(fresh, agentId, [{ at: inMonth(SEALED, 12), prompt: 500, completion: 50 }]);
    const answers = await Promise.all(Array.from({ length: 6 }, () => getStatement(fresh, { month: SEALED })));
    expect(answers.map((a) => a.error)).toEqual(answers.map(() => undefined));
    const hashes = new Set(answers.map((a) => a.result!.hash));
    expect(hashes.size).toBe(1);
    const docs = await adminDb().collection("billing_statements").where("userId", "==", fresh.uid).get();
    expect(docs.docs.map((d) => d.id)).toEqual([`${fresh.uid}_${SEALED}`]);
    // No account: the default plan, list cost.
    expect(answers[0].result).toMatchObject({ planId: "payg", totalMicros: made[0].row.costMicros });
  });

  it.each([
    { data: { month: "2026-13" }, message: "month: must be a month YYYY-MM (01-12)" },
    { data: { month: addMonths(CURRENT, 1) }, message: `month: must not be after the current month (${CURRENT}, UTC)` },
    { data: {}, message: "month: must be a string" },
    { data: { month: CURRENT, extra: 1 }, message: '"extra": unknown field' },
  ])("refuses $data with invalid-argument and writes nothing", async ({ data, message }) => {
    const res = await getStatement(other, data);
    expect(res.error).toMatchObject({ status: "INVALID_ARGUMENT", message });
    const docs = await adminDb().collection("billing_statements").where("userId", "==", other.uid).count().get();
    expect(docs.data().count).toBe(0);
  });

  it("answers not-found for a month before the account's first, and unauthenticated without a token", async () => {
    const res = await getStatement(other, { month: addMonths(SEALED, -1) });
    expect(res.error).toMatchObject({ status: "NOT_FOUND" });
    expect((await call("getStatement", { month: CURRENT })).error).toMatchObject({ status: "UNAUTHENTICATED" });
  });

  it("never shows another owner's usage", async () => {
    const mine = (await getStatement(owner, { month: SEALED })).result!;
    const theirs = (await getStatement(other, { month: SEALED })).result!;
    expect(theirs.usage.messages).toBe(1);
    expect(mine.usage.messages).toBe(3);
  });
});

describe("listStatements", () => {
  it("lists every month from the first, newest first, with the figures getStatement gives", async () => {
    const res = await call<ListStatementsResponse>("listStatements", {}, owner.idToken);
    expect(res.error).toBeUndefined();
    const items = res.result!.items;
    expect(items.map((i) => i.month)).toEqual([CURRENT, BETWEEN, SEALED]);
    for (const item of items) {
      const s = (await getStatement(owner, { month: item.month })).result!;
      expect(item).toEqual({ month: s.month, status: s.status, totalMicros: s.totalMicros });
    }
    expect(items[2].status).toBe("final");
    expect(items[0].status).toBe("open");
  });

  it("refuses unknown fields", async () => {
    expect((await call("listStatements", { month: CURRENT }, owner.idToken)).error).toMatchObject({ status: "INVALID_ARGUMENT" });
  });
});
