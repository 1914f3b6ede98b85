/** sendMessage: meter, price and record one message exchange with an agent. */
import { randomUUID } from "node:crypto";
import { configuredAgentClient } from "../agent/configured-agent";
import {
  AGENT_API_KEY,
  DEV_DAILY_MESSAGE_CAP,
  DEV_DAILY_USER_MESSAGE_CAP,
  LEDGER_SIGNING_KEY,
  RATE_LIMIT_BURST,
  RATE_LIMIT_PER_MINUTE,
  SEND_MESSAGE_TIMEOUT_SECONDS,
} from "../config";
import { sendMessageRequestSchema, type SendMessageChunk } from "../contract/send-message";
import { handleSendMessage } from "../handlers/send-message";
import { db } from "../store/db";
import { enforceDevUserCap, enforceRateLimit } from "../store/rate-limit";
import { billingCallable } from "./callable";

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
        agent: configuredAgentClient(),
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
