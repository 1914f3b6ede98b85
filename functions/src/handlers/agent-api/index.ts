/**
 * agentApi: an agent's OpenAI-compatible endpoint for its users' apps, `GET /v1/models` and
 * `POST /v1/chat/completions` (streaming or not) with `Authorization: Bearer <agent API key>`.
 * Every completion goes through the one metering pipeline (handlers/send-message `meterMessage`),
 * billed to the agent's owner as production, attributed to its key and end user.
 */
import type { Firestore } from "firebase-admin/firestore";
import { errorBody, modelListBody, modelObject } from "../../domain/openai-wire";
import { DEFAULT_MODEL } from "../../domain/pricing";
import { readAgent } from "../../store/agents";
import type { SendMessageDeps } from "../send-message";
import { authenticate, KeyCache } from "./auth";
import { handleChatCompletion } from "./completions";
import { logUnexpected } from "../../logs";
import { apiErrorOf, invalidApiKey, isUnexpectedApiError, methodNotAllowed, unknownModel, unknownRoute } from "./errors";

/** What the agent API needs: the metering pipeline's dependencies and this instance's key copies. */
export interface AgentApiDeps {
  meter: SendMessageDeps;
  keys: KeyCache;
}

/** One instance's key copies: every request of the instance shares them. */
export const INSTANCE_KEYS = new KeyCache();

/** An HTTP request as the handler reads it. */
export interface ApiRequest {
  method: string;
  /** The path below the function (`/v1/models`). */
  path: string;
  header(name: string): string | undefined;
  body: unknown;
}

/** An HTTP response as the handler writes it: a JSON answer, or a stream of events. */
export interface ApiResponse {
  json(status: number, headers: Record<string, string>, body: unknown): void;
  /** Sends the status and headers of an event stream. */
  startStream(headers: Record<string, string>): void;
  /** Writes to an open stream; a client gone away is ignored (its answer is billed all the same). */
  write(chunk: string): void;
  end(): void;
}

/** Sends an error as OpenAI does. */
export function sendError(res: ApiResponse, err: unknown): void {
  const { wire, headers } = apiErrorOf(err);
  res.json(wire.status, headers, errorBody(wire));
}

/** Routes one request. Never throws: every failure is answered in OpenAI's error shape. */
export async function handleAgentApi(deps: AgentApiDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const path = req.path.replace(/\/+$/, "") || "/";
  try {
    if (path === "/v1/models") {
      if (req.method !== "GET") throw methodNotAllowed(req.method, path, "GET");
      return res.json(200, {}, modelListBody([await servedModel(deps.meter.db, deps.keys, req)]));
    }
    const one = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (one) {
      if (req.method !== "GET") throw methodNotAllowed(req.method, path, "GET");
      const model = await servedModel(deps.meter.db, deps.keys, req);
      if (decodeURIComponent(one[1]) !== model.id) throw unknownModel(decodeURIComponent(one[1]));
      return res.json(200, {}, model);
    }
    if (path === "/v1/chat/completions") {
      if (req.method !== "POST") throw methodNotAllowed(req.method, path, "POST");
      return await handleChatCompletion(deps, req, res);
    }
    throw unknownRoute(req.method, path);
  } catch (err) {
    if (isUnexpectedApiError(err)) logUnexpected("agentApi", err);
    sendError(res, err);
  }
}

/** The one model the key's agent serves (the key read afresh: listing is rare). */
async function servedModel(db: Firestore, keys: KeyCache, req: ApiRequest) {
  const key = await authenticate(db, keys, req.header("authorization"), { fresh: true });
  const read = await readAgent(db, key.agentId);
  if (!read || read.agent.userId !== key.userId) throw invalidApiKey();
  const created = (read.agent as { createdAt?: { toMillis?: () => number } }).createdAt?.toMillis?.() ?? 0;
  return modelObject(read.agent.model || DEFAULT_MODEL, Math.floor(created / 1000), key.agentId);
}
