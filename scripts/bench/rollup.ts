/**
 * Rollup under a burst: 2,000 signed ledger rows for one agent written at once (straight to the
 * ledger with the Admin SDK: sendMessage's per-user rate limit would spread them out), then the
 * time until the agent's summary equals the sums of those rows exactly, and reconcile() of the
 * agent (summary, daily bucket and sessions against the ledger).
 */
import { randomUUID } from "node:crypto";
import type { DocumentData, Firestore } from "firebase-admin/firestore";
import { addDeltas, rollupNamed, type Deltas } from "../../functions/src/domain/rollups";
import { COLLECTIONS } from "../../functions/src/base/collections";
import { readSummary } from "../../functions/src/store/rollup-reads";
import { localSigningKey } from "../local-env";
import { reconcile } from "../reconcile";
import { ledgerRowOf, seededRandom, writeRows, type SeedRow } from "../seed-traffic";
import type { Figure } from "./report";

/** Rows in the burst. */
export const BURST = 2_000;
const DEVELOPMENT_EVERY = 5;
/** Messages per conversation: a hot agent has many conversations, each with a few messages. */
const PER_CONVERSATION = 10;
const WRITE_CONCURRENCY = 32;
const TIMEOUT_MS = 300_000;

function burstRows(agentId: string, userId: string): SeedRow[] {
  const random = seededRandom(agentId);
  const key = localSigningKey();
  const now = Date.now();
  return Array.from({ length: BURST }, (_, i) => {
    const model = i % 3 === 0 ? "gpt-4o-mini" : "gpt-4";
    const prompt = 20 + Math.floor(random() * 800);
    return ledgerRowOf(
      {
        agentId,
        userId,
        conversationId: `burst-${Math.floor(i / PER_CONVERSATION)}`,
        messageId: `burst-${i}`,
        mode: i % DEVELOPMENT_EVERY === 0 ? "development" : "production",
        model,
        prompt,
        completion: 10 + Math.floor(random() * 600),
        cached: model === "gpt-4o-mini" ? Math.floor(prompt / 3) : 0,
        at: new Date(now - (BURST - i) * 10),
        timezone: "UTC",
        userMessage: `burst message ${i}`,
        agentResponse: `burst answer ${i}`,
        latencyMs: 100,
      },
      key,
    );
  });
}

/** The rollup the burst is measured on: the agent's summary, which every message increments. */
const SUMMARY = rollupNamed("summary");

/** What the summary must say once every row is rolled up: the rows' summary deltas, added up. */
function expectedSummary(rows: SeedRow[]): Record<string, number> {
  return rows.reduce((totals, r) => addDeltas(totals, SUMMARY.deltas(r.row)), {} as Deltas) as Record<string, number>;
}

const differences = (expected: Record<string, number>, summary: DocumentData | undefined) =>
  Object.entries(expected)
    .filter(([field, value]) => summary?.[field] !== value)
    .map(([field]) => field);

/** Polls the summary until it equals `expected` or the timeout passes; the fields still wrong, and when the poll ended. */
async function untilEqual(db: Firestore, agentId: string, expected: Record<string, number>, started: number) {
  for (;;) {
    const wrong = differences(expected, await readSummary(db, agentId));
    if (!wrong.length || performance.now() - started > TIMEOUT_MS) return { wrong, ms: performance.now() - started };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes the burst and waits for the summary to equal the ledger; returns the figures. */
export async function measureRollup(db: Firestore): Promise<Figure[]> {
  const agentId = `bench-rollup-${randomUUID().slice(0, 8)}`;
  const userId = `bench-rollup-owner-${randomUUID().slice(0, 8)}`;
  await db.doc(`${COLLECTIONS.agents}/${agentId}`).set({ userId, name: "Bench rollup", model: "gpt-4", status: "active" });
  const rows = burstRows(agentId, userId);
  const expected = expectedSummary(rows);
  const started = performance.now();
  await writeRows(db, rows, WRITE_CONCURRENCY);
  const writtenMs = performance.now() - started;
  const { wrong, ms } = await untilEqual(db, agentId, expected, started);
  const { drifts } = await reconcile(db, { signingKey: localSigningKey(), agentId, pageSize: 1000 });
  const method = `${BURST} rows (${BURST / DEVELOPMENT_EVERY} development, ${PER_CONVERSATION} per conversation) written ${WRITE_CONCURRENCY} at a time in ${(writtenMs / 1000).toFixed(1)} s; rolled up by the trigger in the Functions emulator; the summary polled every 100 ms`;
  return [
    {
      group: "rollup",
      name: `burst of ${BURST.toLocaleString("en-US")}: time until the summary equals the ledger`,
      value: Math.round(ms) / 1000,
      unit: "s",
      target: "—",
      pass: wrong.length ? false : null,
      method,
    },
    {
      group: "rollup",
      name: "summary equals the ledger sums exactly",
      value: wrong.length ? `no: ${wrong.join(", ")}` : "yes",
      unit: "",
      target: "exact",
      pass: wrong.length === 0,
      method: "every total and token class of the summary compared with the sums of the rows written",
    },
    {
      group: "rollup",
      name: "reconcile drift after the burst",
      value: drifts.length,
      unit: "fields",
      target: "0",
      pass: drifts.length === 0,
      method: "reconcile() of scripts/reconcile.ts for the agent: summary, daily bucket and sessions against the ledger",
    },
  ];
}
