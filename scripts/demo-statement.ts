/**
 * The demo's plan and statement: a plan with a fee, an allowance, a markup, graduated per-message
 * tiers and a minimum, the demo owner's account on it with a welcome credit (both backend-written,
 * set to the same values every run), then this month's statement and the list, through the client SDK.
 */
import { COLLECTIONS } from "../functions/src/base/collections";
import type { BillingClient } from "../client/src";
import type { BillingAccount, Plan } from "../functions/src/domain/plans";
import { count, table, usd } from "./cli-format";
import { DEMO } from "./demo-setup";
import { adminDb } from "./local-env";

const DEMO_PLAN: Plan = {
  planId: "demo-pro",
  version: 1,
  name: "Demo Pro",
  monthlyFeeMicros: 20_000_000,
  includedMicros: 100_000,
  markupBps: 1_000,
  minimumMicros: 25_000_000,
  tierMode: "graduated",
  tiers: [
    { upToMessages: 500, unitMicros: 1_000 },
    { upToMessages: null, unitMicros: 500 },
  ],
};

/** Writes the demo plan and puts the demo owner on it with a $10 welcome credit. */
export async function seedDemoPlan(): Promise<void> {
  const db = adminDb();
  const account: BillingAccount = {
    userId: DEMO.uid,
    planId: DEMO_PLAN.planId,
    credits: [{ grantId: "welcome", amountMicros: 10_000_000, priority: 10, expiresAt: null }],
  };
  await Promise.all([
    db.doc(`${COLLECTIONS.plans}/${DEMO_PLAN.planId}`).set(DEMO_PLAN),
    db.doc(`${COLLECTIONS.accounts}/${DEMO.uid}`).set(account),
  ]);
}

/** Prints this month's statement line by line, and every statement's status and total. */
export async function printStatement(client: BillingClient, month: string): Promise<void> {
  const s = await client.getStatement({ month });
  console.log(
    `  ${s.month} under ${s.planId} v${s.planVersion}: ${s.status}${s.status === "open" ? ` (final from ${s.finalAt})` : ` (hash ${s.hash})`}`,
  );
  const rows = s.lines.map((l) => [l.kind, l.description, count(l.quantity), usd(l.amountMicros)]);
  rows.push(
    ["", "subtotal", "", usd(s.subtotalMicros)],
    ["", "credits applied", "", usd(-s.creditsAppliedMicros)],
    ["", "total", "", usd(s.totalMicros)],
  );
  console.log(table(["line", "description", "quantity", "amount"], rows));
  for (const l of s.lines.filter((x) => x.rounding)) console.log(`  rounding (${l.kind}): ${l.rounding}`);
  const list = await client.listStatements({});
  console.log(`  statements: ${list.items.map((i) => `${i.month} ${i.status} ${usd(i.totalMicros)}`).join(" · ")}`);
}
