/**
 * `npm run reconcile` as an operator runs it: zero drift after real traffic, and the drifted
 * fields named (with a non-zero exit) once a total is corrupted on purpose.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { FieldValue } from "firebase-admin/firestore";
import { adminDb, call, createUser, seedAgent, signingKey, waitFor } from "../helpers/emulator";
import { makeLedgerRow, writeLedgerRow } from "../helpers/ledger";
import { summaryTotals } from "../helpers/rollups";

const ROOT = path.resolve(__dirname, "../../..");
const reconcile = (...args: string[]) => {
  const run = spawnSync("npm", ["run", "--silent", "reconcile", "--", ...args], { cwd: ROOT, encoding: "utf8", env: process.env });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
};

it("reports no drift after traffic, and the corrupted fields after corruption", async () => {
  const db = adminDb();
  const owner = await createUser("reconcile");
  const agentId = await seedAgent(owner.uid);
  const specs = [
    { conversationId: "a", prompt: 100, completion: 20 },
    { conversationId: "a", prompt: 7, completion: 3, mode: "development" as const },
    { conversationId: "b", prompt: 55, completion: 45, model: "gpt-4o", cached: 5 },
  ];
  for (const spec of specs) await writeLedgerRow(db, { agentId, userId: owner.uid, ...spec }, signingKey());
  // A forged row: the rollup refuses it, and so does the reconciliation.
  const forged = makeLedgerRow({ agentId, userId: owner.uid, conversationId: "a" }, "not-the-key");
  await db.doc(`billable_conversations/${forged.id}`).create(forged.row);
  await waitFor(async () => (await summaryTotals(db, agentId)).totalMessages === 2, "rollup");
  await waitFor(async () => (await summaryTotals(db, agentId)).devMessages === 1, "dev rollup");

  // A saved session carries the client's own figures: they are not totals, and must not read as drift.
  const saved = await call("saveBillingSession", { agentId, conversationId: "a", messages: 99, testMode: "production" }, owner.idToken);
  expect(saved.error).toBeUndefined();
  const clean = reconcile("--agent", agentId, "--page-size", "2");
  expect(clean.out).toContain("ledger rows read: 4");
  expect(clean.out).toContain("not counted): 1");
  expect(clean.out).toContain("no drift");
  expect(clean.status).toBe(0);

  const day = new Date().toISOString().slice(0, 10);
  await db.doc(`agent_billing_summary/${agentId}`).update({ totalCostMicros: FieldValue.increment(1) });
  await db.doc(`agent_usage_daily/${agentId}_${day}`).update({ "development.messages": FieldValue.increment(2) });
  const drifted = reconcile("--agent", agentId);
  expect(drifted.status).toBe(1);
  expect(drifted.out).toMatch(/agent_billing_summary\/\S+\s+totalCostMicros: ledger \d+, stored \d+ \(off by 1\)/);
  expect(drifted.out).toMatch(/development\.messages: ledger 1, stored 3 \(off by 2\)/);
  expect(drifted.out).toContain("DRIFT in 2 field(s)");
});

it("checks the Stripe outbox against the ledger: an entry lost or altered is drift", async () => {
  const db = adminDb();
  const owner = await createUser("reconcile-outbox");
  const agentId = await seedAgent(owner.uid);
  const rows = [];
  for (const prompt of [100, 200, 300]) rows.push(await writeLedgerRow(db, { agentId, userId: owner.uid, prompt }, signingKey()));
  await waitFor(async () => (await summaryTotals(db, agentId)).totalMessages === 3, "rollup");
  expect(reconcile("--owner", owner.uid).out).toContain("no drift");

  await db.doc(`billing_outbox/${rows[0].id}`).delete();
  await db.doc(`billing_outbox/${rows[1].id}`).update({ costMicros: FieldValue.increment(5) });
  const drifted = reconcile("--owner", owner.uid);
  expect(drifted.status).toBe(1);
  expect(drifted.out).toContain(`billing_outbox/${rows[0].id}  costMicros: ledger ${rows[0].row.costMicros}, stored 0`);
  expect(drifted.out).toContain(
    `billing_outbox/${rows[1].id}  costMicros: ledger ${rows[1].row.costMicros}, stored ${rows[1].row.costMicros + 5} (off by 5)`,
  );
  expect(drifted.out).toContain("DRIFT in 2 field(s)");
});

it("checks an org's days against its agents' rows (--org): a member's figure altered is drift", async () => {
  const db = adminDb();
  const owner = await createUser("reconcile-org");
  const orgId = `org-${owner.uid.slice(0, 8)}`;
  const agentId = await seedAgent(owner.uid, { orgId });
  await writeLedgerRow(db, { agentId, userId: owner.uid, prompt: 100, org: { orgId, senderUid: owner.uid } }, signingKey());
  await writeLedgerRow(db, { agentId, userId: owner.uid, prompt: 50, org: { orgId } }, signingKey());
  await waitFor(async () => (await summaryTotals(db, agentId)).totalMessages === 2, "rollup");
  const clean = reconcile("--org", orgId);
  expect(clean.out).toContain("ledger rows read: 2");
  expect(clean.out).toContain("no drift");

  const day = new Date().toISOString().slice(0, 10);
  const shards = await db.collection(`billing_org_daily/${orgId}_${day}/shards`).get();
  await shards.docs[0].ref.set({ byMember: { [owner.uid]: { production: { costMicros: FieldValue.increment(3) } } } }, { merge: true });
  const drifted = reconcile("--org", orgId);
  expect(drifted.status).toBe(1);
  expect(drifted.out).toMatch(new RegExp(`byMember\\.${owner.uid}\\.production\\.costMicros: ledger \\d+, stored \\d+ \\(off by 3\\)`));
});
