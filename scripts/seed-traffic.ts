/**
 * Synthetic traffic for the demo and the benchmark: ledger rows exactly as sendMessage writes them
 * (priced with the real price book, signed with the emulators' ledger key), so the rollup trigger
 * counts them like real messages. Row ids derive from the agent, the local day and the row's
 * position, never from randomness, so seeding again lands on the same documents.
 */
import { DateTime } from "luxon";
import type { Firestore } from "firebase-admin/firestore";
import type { TestMode } from "../functions/src/contract/common";
import { ledgerId } from "../functions/src/domain/ids";
import type { LedgerRow } from "../functions/src/domain/ledger";
import { buildLedgerRow } from "../functions/src/domain/ledger-row";
import { mapWithConcurrency } from "../functions/src/base/pool";
import { resolvePrice } from "../functions/src/domain/pricing";
import { writeLedgerRow, type LedgerWriteOutcome } from "../functions/src/store/ledger";

/** One message exchange to seed. */
export interface SeedMessage {
  agentId: string;
  userId: string;
  conversationId: string;
  messageId: string;
  mode: TestMode;
  model: string;
  prompt: number;
  completion: number;
  cached: number;
  at: Date;
  timezone: string;
  userMessage: string;
  agentResponse: string;
  latencyMs: number;
}

/** A signed ledger row and its document id. */
export interface SeedRow {
  id: string;
  row: LedgerRow;
}

/** The row sendMessage would have written for `m` (domain/ledger-row.ts, with provider usage and the price book's price), signed with `key`. */
export function ledgerRowOf(m: SeedMessage, key: string): SeedRow {
  const { prompt, completion, cached, at, ...rest } = m;
  const price = resolvePrice(m.model);
  if (!price) throw new Error(`seed-traffic: model "${m.model}" has no price`);
  const usage = { prompt, completion, total: prompt + completion, cached };
  const row = buildLedgerRow({ ...rest, usage, usageSource: "provider", price, at: at.getTime() }, key);
  return { id: ledgerId(m.agentId, m.conversationId, m.messageId), row };
}

/** A small deterministic PRNG (mulberry32) seeded from a string (FNV-1a), for repeatable traffic. */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  let state = h >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const QUESTIONS = [
  "How do I reset my password?",
  "Where can I download last month's invoice?",
  "Can I change the delivery address of order 1042?",
  "What does the premium plan include?",
  "My card was declined, what should I do?",
  "How long does a refund take?",
  "Is there an API for bulk exports?",
  "Why was I charged twice this month?",
];

/** What a traffic generator needs to know about the agent it simulates. */
export interface TrafficShape {
  agentId: string;
  userId: string;
  timezone: string;
  /** The last local day of traffic is the day before `until` (today stays for live traffic). */
  until: Date;
  days: number;
  /** Average messages per weekday; weekends get 40 % of it. */
  perDay: number;
  /** Share of development (free) messages, 0-1. */
  developmentShare: number;
  /** Messages per conversation (session); 5 unless set. */
  perConversation?: number;
  /** Share of the days with any traffic, 0-1 (drawn day by day); every day unless set. */
  activeShare?: number;
  /** The agent's model (80 % of its messages) and a second one (the rest); gpt-4 and gpt-4o-mini unless set. */
  models?: readonly [string, string];
}

const DEFAULT_MODELS = ["gpt-4", "gpt-4o-mini"] as const;

/** Whether the price book serves cached input of `model` cheaper than input (only then is a prompt cached here). */
function cachesCheaper(model: string): boolean {
  const price = resolvePrice(model)?.price;
  return price !== undefined && price.cachedInputMicrosPerMTok < price.inputMicrosPerMTok;
}

/** One local day of traffic: messages spread over the day, `perConversation` to a conversation. */
function dayOfTraffic(shape: TrafficShape, day: DateTime): SeedMessage[] {
  const dayName = day.toFormat("yyyy-MM-dd");
  const random = seededRandom(`${shape.agentId}:${dayName}`);
  if (shape.activeShare !== undefined && random() >= shape.activeShare) return [];
  const weekend = day.weekday >= 6;
  const count = Math.max(1, Math.round(shape.perDay * (weekend ? 0.4 : 1) * (0.7 + 0.6 * random())));
  return Array.from({ length: count }, (_, i) => {
    const question = QUESTIONS[Math.floor(random() * QUESTIONS.length)];
    const [main, other] = shape.models ?? DEFAULT_MODELS;
    const model = random() < 0.8 ? main : other;
    const prompt = 40 + Math.floor(random() * 500);
    return {
      agentId: shape.agentId,
      userId: shape.userId,
      conversationId: `seed-${dayName}-c${Math.floor(i / (shape.perConversation ?? 5))}`,
      messageId: `seed-${dayName}-${String(i).padStart(4, "0")}`,
      mode: random() < shape.developmentShare ? "development" : "production",
      model,
      prompt,
      completion: 20 + Math.floor(random() * 400),
      cached: cachesCheaper(model) && random() < 0.3 ? Math.floor(prompt / 2) : 0,
      at: day.plus({ milliseconds: Math.floor(((i + random()) / count) * 86_400_000) }).toJSDate(),
      timezone: shape.timezone,
      userMessage: question,
      agentResponse: `Local agent (${model}) received: ${question}`,
      latencyMs: 300 + Math.floor(random() * 1_500),
    };
  });
}

/** `shape.days` local days of traffic ending the day before `shape.until`, oldest first. */
export function trafficOf(shape: TrafficShape): SeedMessage[] {
  const today = DateTime.fromJSDate(shape.until, { zone: shape.timezone }).startOf("day");
  const out: SeedMessage[] = [];
  for (let d = shape.days; d >= 1; d--) out.push(...dayOfTraffic(shape, today.minus({ days: d })));
  return out;
}

/** How a write went: created now, or already there from an earlier run. */
export type WriteOutcome = LedgerWriteOutcome;

/**
 * Creates the rows with at most `concurrency` writes in flight; a row that already exists (an
 * earlier run) is left alone, which is what makes seeding idempotent. `onWritten` runs after each.
 */
export async function writeRows(
  db: Firestore,
  rows: readonly SeedRow[],
  concurrency: number,
  onWritten?: (outcome: WriteOutcome) => void,
): Promise<Record<WriteOutcome, number>> {
  const counts = { created: 0, existing: 0 };
  await mapWithConcurrency(rows, concurrency, async ({ id, row }) => {
    const outcome = await writeLedgerRow(db, id, row);
    counts[outcome]++;
    onWritten?.(outcome);
  });
  return counts;
}
