/**
 * A long history for the analytics and export figures: 90 days and more than 20,000 ledger rows
 * for one agent, written and rolled up in-process (seed-ledger.ts), which takes seconds instead of
 * the minutes 20,000 trigger runs take. The agent and its owner have the same ids every run, and so
 * have the rows: the account group's owner is this owner, and this agent the busiest of theirs.
 */
import type { Firestore } from "firebase-admin/firestore";
import { localDay } from "../../functions/src/base/periods";
import { localSigningKey, seedAgent } from "../local-env";
import { ledgerRowOf, trafficOf } from "../seed-traffic";
import { signedInUser, type BenchUser } from "./env";
import { seedRows, type Seeded } from "./seed-ledger";

export const HISTORY_DAYS = 90;
export const MIN_ROWS = 20_000;
const PER_DAY = 280;

/** The owner of the history agent, and of the account group's agents. */
const BENCH_OWNER_UID = "bench-owner";
export const HISTORY_AGENT_ID = "bench-history";

/** The bench owner signed in, with the history agent's document (a gpt-4 agent on UTC days). */
export async function historyOwner(): Promise<BenchUser & { agentId: string }> {
  const owner = await signedInUser(BENCH_OWNER_UID);
  await seedAgent(owner.uid, { name: "History agent" }, HISTORY_AGENT_ID);
  return { ...owner, agentId: HISTORY_AGENT_ID };
}

/** The seeded range: the 90 local days (UTC) before today. */
export function historyRange(now = Date.now()): { from: string; to: string } {
  return { from: localDay(now - HISTORY_DAYS * 86_400_000, "UTC"), to: localDay(now - 86_400_000, "UTC") };
}

/** Seeds the history of `agentId` (owned by `userId`), passing over the rows rolled up before; call with background triggers off. */
export async function seedHistory(
  db: Firestore,
  agentId: string,
  userId: string,
): Promise<Seeded & { production: number; seconds: number }> {
  const started = performance.now();
  const key = localSigningKey();
  const messages = trafficOf({
    agentId,
    userId,
    timezone: "UTC",
    until: new Date(),
    days: HISTORY_DAYS,
    perDay: PER_DAY,
    developmentShare: 0.2,
    perConversation: 60,
  });
  if (messages.length < MIN_ROWS) throw new Error(`history: only ${messages.length} rows, below ${MIN_ROWS}`);
  const rows = messages.map((m) => ledgerRowOf(m, key));
  const seeded = await seedRows(db, rows, key);
  return { ...seeded, production: rows.filter((r) => r.row.billable).length, seconds: (performance.now() - started) / 1000 };
}
