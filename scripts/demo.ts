/**
 * The demo that `npm start` runs once everything is up. It seeds the demo owner and agent, then
 * drives the system through the client SDK as that owner: a development and a production
 * conversation streamed to the terminal, the saved session, the live summary, a month of earlier
 * traffic (seeded idempotently and rolled up by the real trigger), an analytics table, a chart of
 * daily cost and an export file. Then it prints what is running and how to call it.
 */
import type { BillingClient } from "../client/src";
import { foldRollupShards } from "../functions/src/handlers/fold";
import { sendDemoUsageToStripe } from "./demo-stripe";
import { count } from "./cli-format";
import { printAccountOverview, utcRange } from "./demo-account";
import { agentApiInstructions, callThroughAgentApi, printEndUsers } from "./demo-agent-api";
import { converse, printSummary, saveSession, signInDemoOwner } from "./demo-client";
import { historyRange, printAnalytics, printDailyChart, seedMonth, waitForRollups, writeExport, HISTORY_DAYS } from "./demo-history";
import { DEMO, seedDemoIdentities } from "./demo-setup";
import { runTeamDemo, TEAM } from "./demo-org";
import { printStatement, seedDemoPlan } from "./demo-statement";
import { monthOf } from "../functions/src/base/months";
import { adminDb, API_KEY, endpoint, functionUrl, HOST, localAgentUrl, localStripeUrl, PROJECT_ID } from "./local-env";

function instructions(apiKey: string): string {
  const auth = endpoint("auth").origin;
  return `
Agent billing is running (project ${PROJECT_ID}, everything on ${HOST}):
  Auth emulator       ${auth}
  Firestore emulator  ${endpoint("firestore").origin}
  Functions emulator  ${functionUrl("<function>")}
  Pub/Sub emulator    ${endpoint("pubsub").origin}
  Local agent         ${localAgentUrl()} (OpenAI-compatible)
  Local Stripe        ${localStripeUrl()} (Stripe-compatible; what it received: ${localStripeUrl()}/_control/meter_events)

Demo owner ${DEMO.email} / ${DEMO.password} owns agent "${DEMO.agentId}". Call it:
  TOKEN=$(curl -s '${auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=${API_KEY}' \\
    -H 'content-type: application/json' \\
    -d '{"email":"${DEMO.email}","password":"${DEMO.password}","returnSecureToken":true}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).idToken')
  curl -s ${functionUrl("sendMessage")} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"data":{"agentId":"${DEMO.agentId}","conversationId":"hello","message":"Hi there","testMode":"production"}}'
  curl -s ${functionUrl("getBillingInfo")} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"data":{"agentId":"${DEMO.agentId}"}}'
${agentApiInstructions(apiKey)}

Press Ctrl-C to stop everything.`;
}

const heading = (text: string) => console.log(`\n━━ ${text}`);

/** Each run has its own conversations, so its saved sessions are its own. */
const runStamp = () => Date.now().toString(36);

/** The live part: two conversations, the saved session, a call through the agent API and the summary (which includes it); returns the API key. */
async function liveConversations(client: BillingClient): Promise<string> {
  const stamp = runStamp();
  heading(`Development conversation (free, metered) as ${DEMO.email}`);
  await converse(client, `dev-${stamp}`, "development", [
    "Hi! Can you check the staging order flow?",
    "Now try a refund of order 1042, please.",
  ]);
  heading("Production conversation (billed)");
  const conversationId = `prod-${stamp}`;
  const tally = await converse(client, conversationId, "production", [
    "Where can I download last month's invoice?",
    "And can I get it as a PDF with our VAT number on it?",
    "Thanks! What does the premium plan include?",
  ]);
  await saveSession(client, conversationId, "production", tally);
  heading("The agent API: an app of the agent's users, through the openai SDK (billed to the owner)");
  const key = await callThroughAgentApi(client);
  heading("Live summary (getBillingInfo), the agent API's call included");
  await waitForRollups(adminDb(), client);
  printSummary(await client.getBillingInfo(DEMO.agentId));
  await printEndUsers(client);
  return key;
}

/** The history: a month seeded and rolled up, then analytics, a chart and an export. */
async function history(client: BillingClient): Promise<void> {
  const db = adminDb();
  const range = historyRange();
  heading(`A month of earlier traffic (${HISTORY_DAYS} days before today, ${DEMO.timezone})`);
  await seedMonth(db);
  await waitForRollups(db, client, "rolling up (trigger)");
  // What the scheduled foldRollups does every 15 minutes: the days that are over become one document each.
  const folded = await foldRollupShards(db, Date.now());
  console.log(`  folded the shards of ${count(folded.buckets)} past days into their buckets (foldRollups)`);
  printSummary(await client.getBillingInfo(DEMO.agentId));
  heading(`Usage analytics, ${range.from} to ${range.to} (getUsageAnalytics)`);
  await printAnalytics(client, range);
  heading("Billed cost per day");
  await printDailyChart(client, range);
  heading("Export (exportBillingReport, CSV)");
  await writeExport(client, range);
  heading("All the owner's agents at once (getAccountOverview)");
  await printAccountOverview(client, utcRange(HISTORY_DAYS));
  heading("This month's statement under the demo plan (getStatement, listStatements)");
  await printStatement(client, monthOf(Date.now()));
  heading(`A team: the org "${TEAM.name}", its agent, budgets and two members (createOrg, setOrgBudgets, getOrgBillingInfo)`);
  await runTeamDemo(client);
  heading("The billed usage sent to the local Stripe as meter events (dispatchStripeUsage)");
  await sendDemoUsageToStripe();
}

/** Runs the demo against the running emulators, then prints how to call them. */
export async function runDemo(): Promise<void> {
  await seedDemoIdentities();
  await seedDemoPlan();
  const client = await signInDemoOwner();
  const key = await liveConversations(client);
  await history(client);
  console.log(instructions(key));
}
