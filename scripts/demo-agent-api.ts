/**
 * The demo's agent API part: the demo owner makes an API key through the client SDK, and an app
 * of the agent's users calls the agent with it through the real `openai` SDK, unchanged, billed to
 * the owner. The owner's figures printed after it include the call.
 */
import OpenAI from "openai";
import type { BillingClient } from "../client/src";
import { COLLECTIONS } from "../functions/src/base/collections";
import { usd } from "./cli-format";
import { DEMO } from "./demo-setup";
import { adminDb, functionUrl } from "./local-env";

/** The agent API's base URL: what an app passes to `new OpenAI({ baseURL })`. */
export const AGENT_API_URL = `${functionUrl("agentApi")}/v1`;

export const DEMO_KEY_NAME = "npm start demo";

/**
 * Removes the keys earlier demo runs made (a demo fixture's cleanup, with the Admin SDK as the
 * seeding is): an agent may have at most 100 keys, and `npm start` runs any number of times.
 */
export async function forgetEarlierDemoKeys(agentId: string = DEMO.agentId): Promise<void> {
  const db = adminDb();
  const earlier = await db.collection(COLLECTIONS.apiKeys).where("agentId", "==", agentId).get();
  const batch = db.batch();
  for (const doc of earlier.docs) if (doc.get("name") === DEMO_KEY_NAME) batch.delete(doc.ref);
  await batch.commit();
}

/** Makes a key and calls the agent through it as an app would; returns the key (printed once, for trying it). */
export async function callThroughAgentApi(client: BillingClient): Promise<string> {
  await forgetEarlierDemoKeys();
  const { key, keyId } = await client.createAgentApiKey({ agentId: DEMO.agentId, name: DEMO_KEY_NAME, endUserDailyLimitUsd: 1 });
  console.log(`  createAgentApiKey → key ${keyId} (shown once; stored as its SHA-256)`);
  const openai = new OpenAI({ baseURL: AGENT_API_URL, apiKey: key });
  const question = "Hi! Do you ship to Norway?";
  console.log(`  app (end user "customer-42") › ${question}`);
  process.stdout.write("  agent › ");
  const stream = await openai.chat.completions.create({
    model: "gpt-4",
    messages: [{ role: "user", content: question }],
    user: "customer-42",
    stream: true,
    stream_options: { include_usage: true },
  });
  let billing: { cost_micros: number; ledger_id: string } | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
    if (chunk.usage) usage = chunk.usage;
    billing = (chunk as { billing?: typeof billing }).billing ?? billing;
  }
  process.stdout.write("\n");
  console.log(
    `          ${usage?.prompt_tokens} + ${usage?.completion_tokens} tokens · billed ${usd(billing?.cost_micros ?? 0)} to ${DEMO.email} · ledger row ${billing?.ledger_id}`,
  );
  return key;
}

/** The agent API's end users, as the owner sees them. */
export async function printEndUsers(client: BillingClient): Promise<void> {
  const usage = await client.getEndUserUsage({ agentId: DEMO.agentId });
  for (const item of usage.items) console.log(`  end user ${item.endUser}: ${item.messages} messages · ${usd(item.costMicros)}`);
}

/** The three lines an app needs, against `npm start`. */
export const agentApiInstructions = (key: string) => `
Call the demo agent as its users' apps do, with the openai SDK (key made by this run's demo):
  import OpenAI from "openai";
  const openai = new OpenAI({ baseURL: "${AGENT_API_URL}", apiKey: "${key}" });
  const reply = await openai.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "Hi" }], user: "customer-42" });`;
