/**
 * The demo's live part, driven through the client SDK as the demo owner would from an app: sign
 * in with the web SDK, hold a development and a production conversation (streamed to the
 * terminal), save the session and read the live summary.
 */
import { getAuth, signInWithEmailAndPassword } from "firebase/auth";
import { createBillingClient, type BillingClient, type SendMessageResponse, type TestMode } from "../client/src";
import { count, usd } from "./cli-format";
import { DEMO } from "./demo-setup";
import { connectedWebApp } from "./local-env";

/** The demo's web app, connected once (runDemo may run twice in one process). */
const APP_NAME = "agent-billing-demo";

/** The demo owner, signed in with email and password against the Auth emulator. */
export async function signInDemoOwner(): Promise<BillingClient> {
  const app = connectedWebApp(APP_NAME);
  await signInWithEmailAndPassword(getAuth(app), DEMO.email, DEMO.password);
  return createBillingClient({ app });
}

/** What the app itself tallied over a conversation (the figures it reports when saving it). */
export interface Tally {
  messages: number;
  tokens: number;
  costMicros: number;
}

function describeBilling(result: SendMessageResponse): string {
  const tokens = `${result.tokens.prompt} + ${result.tokens.completion} tokens`;
  const price = result.billable ? `billed ${usd(result.costMicros)}` : `free (would cost ${usd(result.shadowCostMicros)})`;
  return `${tokens} · ${price} · ${result.usageSource} usage · key ${result.messageId.slice(0, 8)}…`;
}

/** Sends each question in turn, streaming the answer to the terminal; returns the app's tally. */
export async function converse(client: BillingClient, conversationId: string, testMode: TestMode, questions: string[]): Promise<Tally> {
  const tally: Tally = { messages: 0, tokens: 0, costMicros: 0 };
  for (const message of questions) {
    console.log(`  you   › ${message}`);
    process.stdout.write("  agent › ");
    const result = await client.streamMessage({ agentId: DEMO.agentId, conversationId, message, testMode }, (delta) =>
      process.stdout.write(delta),
    );
    process.stdout.write("\n");
    console.log(`          ${describeBilling(result)}`);
    tally.messages++;
    tally.tokens += result.tokens.total;
    tally.costMicros += result.costMicros;
  }
  return tally;
}

/** Ends the conversation as the seed's app does; the backend keeps the ledger's figures. */
export async function saveSession(client: BillingClient, conversationId: string, testMode: TestMode, tally: Tally): Promise<void> {
  const saved = await client.saveBillingSession({
    agentId: DEMO.agentId,
    conversationId,
    messages: tally.messages,
    totalTokens: tally.tokens,
    totalCost: tally.costMicros / 1e6,
    testMode,
    endedAt: new Date().toISOString(),
  });
  const s = saved.session;
  const agreement = saved.mismatches.length
    ? `differs from the app's on ${saved.mismatches.map((m) => m.field).join(", ")}`
    : "agrees with the app's tally";
  console.log(
    `  saved session ${s.sessionId}: ${s.messageCount} messages, ${count(s.totalTokens)} tokens, ${usd(s.totalCostMicros)} (ledger; ${agreement})`,
  );
}

/** Prints the agent's live billing summary and limits. */
export function printSummary(info: Awaited<ReturnType<BillingClient["getBillingInfo"]>>): void {
  const s = info.summary;
  const limit = (micros: number | null) => (micros === null ? "none" : usd(micros, 2));
  console.log(`  production  ${count(s.totalMessages)} messages · ${count(s.totalTokens)} tokens · ${usd(s.totalCostMicros)} billed`);
  console.log(
    `  development ${count(s.devMessages)} messages · ${count(s.devTokens)} tokens · free (list price ${usd(s.devShadowCostMicros)})`,
  );
  console.log(
    `  limits      daily ${limit(info.limits.daily.limitMicros)} (spent ${usd(info.limits.daily.spentMicros)}) · monthly ${limit(info.limits.monthly.limitMicros)} · timezone ${info.limits.timezone}`,
  );
}
