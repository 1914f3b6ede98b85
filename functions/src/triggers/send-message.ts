/** sendMessage: meter, price and record one message exchange with an agent. */
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
import { handleSendMessage, sendMessageDeps } from "../handlers/send-message";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const sendMessage = billingCallable(
  "sendMessage",
  (caller, input, stream) =>
    handleSendMessage(
      sendMessageDeps({
        db: db(),
        agent: configuredAgentClient(),
        signingKey: LEDGER_SIGNING_KEY.value(),
        devDailyMessageCap: DEV_DAILY_MESSAGE_CAP.value(),
        userLimits: {
          perMinute: RATE_LIMIT_PER_MINUTE.value(),
          burst: RATE_LIMIT_BURST.value(),
          devDailyUserCap: DEV_DAILY_USER_MESSAGE_CAP.value(),
        },
      }),
      caller.uid,
      input,
      stream ? (delta) => stream.sendChunk({ delta }) : undefined,
    ),
  { timeoutSeconds: SEND_MESSAGE_TIMEOUT_SECONDS, secrets: [AGENT_API_KEY, LEDGER_SIGNING_KEY], memory: "512MiB" },
);
