/** The agent client built from the deployed params: one per instance, rebuilt only if they change. */
import { AGENT_API_KEY, AGENT_MAX_RETRIES, AGENT_TIMEOUT_MS, SEND_MESSAGE_TIMEOUT_SECONDS, UNIVERSAL_AGENT_URL } from "../config";
import { openAiAgentClient, type AgentClient } from "./agent-client";

let cached: { key: string; client: AgentClient } | undefined;

/** The agent service as sendMessage calls it; its timeout stays below the function's. */
export function configuredAgentClient(): AgentClient {
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
