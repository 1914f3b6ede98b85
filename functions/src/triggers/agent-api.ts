/** agentApi: the OpenAI-compatible endpoint of a deployed agent, for its users' apps (handlers/agent-api). */
import type { Response } from "express";
import { onRequest, type Request } from "firebase-functions/v2/https";
import { configuredAgentClient } from "../agent/configured-agent";
import {
  AGENT_API_KEY,
  API_RATE_LIMIT_BURST,
  API_RATE_LIMIT_PER_MINUTE,
  DEV_DAILY_MESSAGE_CAP,
  DEV_DAILY_USER_MESSAGE_CAP,
  LEDGER_SIGNING_KEY,
  REGION,
  SEND_MESSAGE_TIMEOUT_SECONDS,
} from "../config";
import { handleAgentApi, INSTANCE_KEYS, type ApiResponse } from "../handlers/agent-api";
import { sendMessageDeps } from "../handlers/send-message";
import { db } from "../store/db";

/** The handler's response over express's. */
function apiResponse(res: Response): ApiResponse {
  const open = () => !res.writableEnded && !res.destroyed;
  return {
    json: (status, headers, body) => void res.status(status).set(headers).json(body),
    startStream: (headers) => {
      res.status(200).set({ "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", ...headers });
      res.flushHeaders();
    },
    write: (chunk) => void (open() && res.write(chunk)),
    end: () => void (open() && res.end()),
  };
}

export const agentApi = onRequest(
  { region: REGION, timeoutSeconds: SEND_MESSAGE_TIMEOUT_SECONDS, secrets: [AGENT_API_KEY, LEDGER_SIGNING_KEY], memory: "512MiB" },
  (req: Request, res: Response) =>
    handleAgentApi(
      {
        meter: sendMessageDeps({
          db: db(),
          agent: configuredAgentClient(),
          signingKey: LEDGER_SIGNING_KEY.value(),
          devDailyMessageCap: DEV_DAILY_MESSAGE_CAP.value(),
          // Per key: an app's users share its key's rate (README "Agent API").
          userLimits: {
            perMinute: API_RATE_LIMIT_PER_MINUTE.value(),
            burst: API_RATE_LIMIT_BURST.value(),
            devDailyUserCap: DEV_DAILY_USER_MESSAGE_CAP.value(),
          },
        }),
        keys: INSTANCE_KEYS,
      },
      { method: req.method, path: req.path, header: (name) => req.get(name), body: req.body },
      apiResponse(res),
    ),
);
