/**
 * The local agent: a deterministic OpenAI-compatible chat-completions server on 127.0.0.1.
 *
 * It answers with real token counts (the same tokenizer the backend uses), streams SSE with usage in
 * the final chunk when asked, and misbehaves on request through markers in the last user message:
 *   [[fail:500]]  answer HTTP 500 (any 4xx/5xx status)
 *   [[sleep:MS]]  wait MS milliseconds before answering
 *   [[no-usage]]  omit `usage` (streaming and not)
 *   [[tokens:N]]  answer with exactly N completion tokens (at most max_tokens, as a real model)
 *   [[cached:N]]  report N of the prompt tokens as served from the prompt cache
 *   [[cut:N]]     stream N chunks, then drop the connection (no usage, no end)
 *   [[report-prompt:N]], [[report-completion:N]]
 *                 report N prompt / completion tokens in `usage`, whatever was sent (a provider's usage glitch)
 *
 * Run alone with `npm run agent`; the emulator harness starts it for `npm start` and the tests.
 * GET /_local/stats and POST /_local/reset expose a request counter so tests can prove that a
 * refused message never reached the agent.
 */
import * as http from "node:http";
import { countChatTokens, countTextTokens, truncateToTokens, type ChatTurn } from "../functions/src/domain/tokens";
import { listenLocal, readBody, runAlone, sendJson } from "./local-http";

export const LOCAL_AGENT_PORT = 4010;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const MAX_SLEEP_MS = 120_000;
const MAX_TOKENS = 100_000;
const MODELS = ["gpt-4", "gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "gpt-5-mini"];

/** Behaviour asked for by markers in the user's message. */
export interface Markers {
  failStatus?: number;
  sleepMs?: number;
  noUsage: boolean;
  tokens?: number;
  cached?: number;
  cut?: number;
  reportPrompt?: number;
  reportCompletion?: number;
}

/** Reads the markers of a message; unknown text is ignored. */
export function parseMarkers(text: string): Markers {
  const num = (name: string) => {
    const m = new RegExp(`\\[\\[${name}:(\\d{1,9})\\]\\]`).exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const fail = num("fail");
  return {
    failStatus: fail !== undefined && fail >= 400 && fail <= 599 ? fail : undefined,
    sleepMs: Math.min(num("sleep") ?? 0, MAX_SLEEP_MS) || undefined,
    noUsage: text.includes("[[no-usage]]"),
    tokens: num("tokens") !== undefined ? Math.min(num("tokens")!, MAX_TOKENS) : undefined,
    cached: num("cached"),
    cut: num("cut"),
    reportPrompt: num("report-prompt"),
    reportCompletion: num("report-completion"),
  };
}

/** The deterministic answer: an echo of the message, or exactly N tokens when asked. */
export function answerFor(message: string, markers: Markers, model: string): string {
  if (markers.tokens !== undefined) return exactTokens(markers.tokens, model);
  const plain = message.replace(/\[\[[a-z-]+(:\d+)?\]\]/g, "").trim();
  return `Local agent (${model}) received: ${plain || "(empty)"}`;
}

/** " hello" is one token in both encodings, and repeats of it never merge. */
function exactTokens(n: number, model: string): string {
  const text = " hello".repeat(n);
  const counted = countTextTokens(text, model);
  if (counted !== n) throw new Error(`exactTokens: expected ${n} tokens, tokenizer says ${counted}`);
  return text;
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface ChatRequest {
  model: string;
  messages: ChatTurn[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens?: number;
}

function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequest("Request body must be a JSON object.", null);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model.length === 0) {
    throw new BadRequest("you must provide a model parameter", "model");
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    throw new BadRequest("'messages' must be a non-empty array", "messages");
  }
  const messages = b.messages.map((m, i) => parseTurn(m, i));
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)) {
    throw new BadRequest("'max_tokens' must be a positive integer", "max_tokens");
  }
  const streamOptions = b.stream_options as { include_usage?: unknown } | undefined;
  return {
    model: b.model,
    messages,
    stream: b.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    maxTokens: maxTokens as number | undefined,
  };
}

function parseTurn(m: unknown, i: number): ChatTurn {
  const turn = m as { role?: unknown; content?: unknown };
  if (!turn || !["system", "user", "assistant", "developer"].includes(turn.role as string)) {
    throw new BadRequest(`messages[${i}].role must be system, user or assistant`, `messages[${i}].role`);
  }
  if (typeof turn.content !== "string") {
    throw new BadRequest(`messages[${i}].content must be a string`, `messages[${i}].content`);
  }
  const role = turn.role === "developer" ? "system" : (turn.role as ChatTurn["role"]);
  return { role, content: turn.content };
}

function usageFor(req: ChatRequest, answer: string, markers: Markers) {
  const prompt = markers.reportPrompt ?? countChatTokens(req.messages, req.model);
  const completion = markers.reportCompletion ?? countTextTokens(answer, req.model);
  const cached = Math.min(markers.cached ?? 0, prompt);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** Splits an answer into a few deltas so that streaming is visible. */
function chunksOf(answer: string): string[] {
  const words = answer.match(/\S*\s*/g)?.filter(Boolean) ?? [answer];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 4) out.push(words.slice(i, i + 4).join(""));
  return out.length ? out : [""];
}

let requestCount = 0;
let completionCount = 0;

function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  param: string | null,
  type = "invalid_request_error",
  code: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code } });
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const text = await readBody(req, MAX_BODY_BYTES, () => new BadRequest("Request body too large.", null, 413));
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("We could not parse the JSON body of your request.", null);
  }
}

async function handleCompletion(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chat = parseChatRequest(await readJson(req));
  completionCount++;
  const lastUser = [...chat.messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const markers = parseMarkers(lastUser);
  if (markers.sleepMs) await new Promise((r) => setTimeout(r, markers.sleepMs));
  if (markers.failStatus) {
    return sendError(res, markers.failStatus, `Local agent failed on request (${markers.failStatus}).`, null, "server_error");
  }
  // Like a real model, never more than max_tokens: the answer is cut and finish_reason says so.
  const full = answerFor(lastUser, markers, chat.model);
  const answer = chat.maxTokens ? truncateToTokens(full, chat.maxTokens, chat.model) : full;
  const finishReason = answer === full ? "stop" : "length";
  const usage = markers.noUsage ? undefined : usageFor(chat, answer, markers);
  const id = `chatcmpl-local-${completionCount}`;
  const created = Math.floor(Date.now() / 1000);
  if (!chat.stream) {
    const message = { role: "assistant", content: answer, refusal: null };
    return sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model: chat.model,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      ...(usage ? { usage } : {}),
    });
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const base = { id, object: "chat.completion.chunk", created, model: chat.model };
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const usageField = chat.includeUsage ? { usage: null } : {};
  const chunks = chunksOf(answer);
  // A cut drops the connection once what was sent is flushed, as a crashing server would.
  const cut = () => new Promise<void>((flushed) => res.write("", () => flushed())).then(() => void res.destroy());
  for (const [i, content] of chunks.entries()) {
    if (i === markers.cut) return cut();
    const delta = i === 0 ? { role: "assistant", content } : { content };
    send({ ...base, choices: [{ index: 0, delta, finish_reason: null }], ...usageField });
  }
  if (markers.cut !== undefined && markers.cut >= chunks.length) return cut();
  send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason }], ...usageField });
  if (chat.includeUsage && usage) send({ ...base, choices: [], usage });
  res.end("data: [DONE]\n\n");
}

function authorized(req: http.IncomingMessage, apiKey: string | undefined): boolean {
  return !apiKey || req.headers.authorization === `Bearer ${apiKey}`;
}

async function route(req: http.IncomingMessage, res: http.ServerResponse, apiKey?: string): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/_local/stats") return sendJson(res, 200, { requests: requestCount, completions: completionCount });
  if (path === "/_local/reset" && req.method === "POST") {
    requestCount = completionCount = 0;
    return sendJson(res, 200, { ok: true });
  }
  requestCount++;
  if (!authorized(req, apiKey)) return sendError(res, 401, "Incorrect API key provided.", null, "invalid_request_error", "invalid_api_key");
  if (path === "/v1/models" && req.method === "GET") {
    const data = MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "local-agent" }));
    return sendJson(res, 200, { object: "list", data });
  }
  if (path === "/v1/chat/completions" && req.method === "POST") return handleCompletion(req, res);
  return sendError(res, 404, `Unknown request URL: ${req.method} ${path}.`, null);
}

/** Starts the local agent; resolves once it listens. */
export function startLocalAgent(port = LOCAL_AGENT_PORT, apiKey?: string): Promise<http.Server> {
  return listenLocal(
    port,
    (req, res) => route(req, res, apiKey),
    (res, err) => {
      if (err instanceof BadRequest) return sendError(res, err.status, err.message, err.param);
      sendError(res, 500, "Local agent internal error.", null, "server_error");
    },
  );
}

if (require.main === module) {
  const port = Number(process.env.LOCAL_AGENT_PORT ?? LOCAL_AGENT_PORT);
  runAlone("local agent", port, () => startLocalAgent(port, process.env.LOCAL_AGENT_API_KEY || undefined), `http://127.0.0.1:${port}/v1`);
}
