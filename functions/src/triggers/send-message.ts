/** sendMessage: meter, price and record one message exchange with an agent. */
import { randomUUID } from "node:crypto";
import { openAiAgentClient, type AgentClient } from "../agent/agent-client";
import {
  AGENT_API_KEY,
  AGENT_MAX_RETRIES,
  AGENT_TIMEOUT_MS,
  DEV_DAILY_MESSAGE_CAP,
  DEV_DAILY_USER_MESSAGE_CAP,
  LEDGER_SIGNING_KEY,
  RATE_LIMIT_BURST,
  RATE_LIMIT_PER_MINUTE,
  SEND_MESSAGE_TIMEOUT_SECONDS,
  UNIVERSAL_AGENT_URL,
} from "../config";
import { sendMessageRequestSchema, type SendMessageChunk } from "../contract/send-message";
import { handleSendMessage } from "../handlers/send-message";
import { db } from "../store/db";
import { enforceDevUserCap, enforceRateLimit } from "../store/rate-limit";
import { billingCallable } from "./callable";

let cached: { key: string; client: AgentClient } | undefined;

/** One agent client per instance, rebuilt only if its configuration changes. */
function agentClient(): AgentClient {
  const options = {
    baseURL: UNIVERSAL_AGENT_URL.value(),
    apiKey: AGENT_API_KEY.value(),
    timeoutMs: Math.min(AGENT_TIMEOUT_MS.value(), (SEND_MESSAGE_TIMEOUT_SECONDS - 10) * 1000),
    maxRetries: AGENT_MAX_RETRIES.value(),
  };
  const key = JSON.stringify(options);
  if (cached?.key !== key) cached = { key, client: openAiAgentClient(options) };
  return cached.client;
}

export const sendMessage = billingCallable<
  typeof sendMessageRequestSchema,
  Awaited<ReturnType<typeof handleSendMessage>>,
  SendMessageChunk
>(
  "sendMessage",
  sendMessageRequestSchema,
  (caller, input, stream) =>
    handleSendMessage(
      {
        db: db(),
        agent: agentClient(),
        signingKey: LEDGER_SIGNING_KEY.value(),
        now: Date.now,
        newMessageId: randomUUID,
        claimTtlMs: 2 * SEND_MESSAGE_TIMEOUT_SECONDS * 1000,
        devDailyMessageCap: DEV_DAILY_MESSAGE_CAP.value(),
        userLimits: async (mode) => {
          await enforceRateLimit(
            db(),
            caller.uid,
            { perMinute: RATE_LIMIT_PER_MINUTE.value(), burst: RATE_LIMIT_BURST.value() },
            Date.now(),
          );
          if (mode === "development") await enforceDevUserCap(db(), caller.uid, DEV_DAILY_USER_MESSAGE_CAP.value(), Date.now());
        },
      },
      caller.uid,
      input,
      stream ? (delta) => stream.sendChunk({ delta }) : undefined,
    ),
  { timeoutSeconds: SEND_MESSAGE_TIMEOUT_SECONDS, secrets: [AGENT_API_KEY, LEDGER_SIGNING_KEY], memory: "512MiB" },
);
