/**
 * The local agent's contract, exercised from outside through the real `openai` SDK (and plain
 * `fetch` where the SDK would refuse to send a malformed request). The agent runs in-process on an
 * ephemeral port with an API key, like the emulator harness runs it on 4010.
 */
import type * as http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { startLocalAgent } from "../local-agent";
import { countChatTokens, countTextTokens, type ChatTurn } from "../../functions/src/domain/tokens";

type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;
type ChatCompletionChunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type CompletionUsage = OpenAI.CompletionUsage;

const API_KEY = "test-key";

let server: http.Server;
let baseUrl: string;
let client: OpenAI;

beforeAll(async () => {
  server = await startLocalAgent(0, API_KEY);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: API_KEY, maxRetries: 0 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

const user = (content: string): ChatTurn[] => [{ role: "user", content }];

const CONVERSATION: ChatTurn[] = [
  { role: "system", content: "You are a terse assistant." },
  { role: "user", content: "What is the capital of France?" },
  { role: "assistant", content: "Paris." },
  { role: "user", content: "And of Italy? Answer with one word, please." },
];

function complete(messages: ChatTurn[], model = "gpt-4o"): Promise<ChatCompletion> {
  return client.chat.completions.create({ model, messages });
}

interface Streamed {
  chunks: ChatCompletionChunk[];
  deltas: string[];
  text: string;
}

async function streamed(messages: ChatTurn[], model = "gpt-4o", includeUsage = true): Promise<Streamed> {
  const stream = await client.chat.completions.create({
    model,
    messages,
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? "")).filter((d) => d !== "");
  return { chunks, deltas, text: deltas.join("") };
}

const contentOf = (completion: ChatCompletion): string => completion.choices[0]?.message.content ?? "";

function expectedUsage(messages: ChatTurn[], answer: string, model: string) {
  const prompt = countChatTokens(messages, model);
  const completion = countTextTokens(answer, model);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Posts a raw body to the chat endpoint, bypassing the SDK's own validation. */
async function rawPost(body: string | object, path = "/v1/chat/completions", method = "POST") {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get("content-type"), body: (await res.json()) as unknown };
}

async function stats(): Promise<{ requests: number; completions: number }> {
  const res = await fetch(`${baseUrl}/_local/stats`);
  expect(res.status).toBe(200);
  return (await res.json()) as { requests: number; completions: number };
}

async function reset(): Promise<void> {
  const res = await fetch(`${baseUrl}/_local/reset`, { method: "POST" });
  expect(res.status).toBe(200);
}

describe("GET /v1/models", () => {
  it("lists the local models through the SDK", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.length).toBeGreaterThan(0);
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(["gpt-4", "gpt-4o"]));
    for (const model of models) {
      expect(model).toEqual(expect.objectContaining({ object: "model", id: expect.any(String) }));
    }
  });
});

describe("non-streaming chat completions", () => {
  it("answers deterministically: the same request twice gives the same content", async () => {
    const first = await complete(user("Tell me about deterministic agents."));
    const second = await complete(user("Tell me about deterministic agents."));
    expect(contentOf(first)).toContain("Tell me about deterministic agents.");
    expect(contentOf(second)).toBe(contentOf(first));
    expect(first.object).toBe("chat.completion");
    expect(first.model).toBe("gpt-4o");
    expect(first.choices[0]?.finish_reason).toBe("stop");
    expect(first.choices[0]?.message.role).toBe("assistant");
  });

  it("answers differently for a different message", async () => {
    const a = await complete(user("first question"));
    const b = await complete(user("second question"));
    expect(contentOf(a)).not.toBe(contentOf(b));
  });

  it.each([
    ["gpt-4", "a single user message", user("How many tokens is this?")],
    ["gpt-4o", "a single user message", user("How many tokens is this?")],
    ["gpt-4o-mini", "a single user message", user("How many tokens is this?")],
    ["gpt-4", "a multi-turn conversation", CONVERSATION],
    ["gpt-4o", "a multi-turn conversation", CONVERSATION],
  ])("reports real token counts in usage (%s, %s)", async (model, _label, messages) => {
    const completion = await complete(messages, model);
    const answer = contentOf(completion);
    expect(answer.length).toBeGreaterThan(0);
    expect(completion.usage).toEqual(expect.objectContaining(expectedUsage(messages, answer, model)));
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it("uses the model's own encoding (cl100k for gpt-4, o200k for gpt-4o)", async () => {
    // Text chosen so that the two encodings disagree; proves usage follows the request's model.
    const messages = user("Привет, как дела? 你好世界 — tokenizers differ here.");
    expect(countChatTokens(messages, "gpt-4")).not.toBe(countChatTokens(messages, "gpt-4o"));
    const gpt4 = await complete(messages, "gpt-4");
    const gpt4o = await complete(messages, "gpt-4o");
    expect(gpt4.usage?.prompt_tokens).toBe(countChatTokens(messages, "gpt-4"));
    expect(gpt4o.usage?.prompt_tokens).toBe(countChatTokens(messages, "gpt-4o"));
  });

  it("accepts a developer message and counts it like a system message", async () => {
    const messages: ChatTurn[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "hello" },
    ];
    const completion = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: "hello" },
      ],
    });
    expect(completion.usage?.prompt_tokens).toBe(countChatTokens(messages, "gpt-4o"));
  });
});

describe("streaming chat completions", () => {
  it("streams several deltas that concatenate to the non-streaming answer, with usage last", async () => {
    const messages = user("Please stream this rather long answer back to me in several pieces, thank you.");
    const plain = await complete(messages);
    const { chunks, deltas, text } = await streamed(messages);

    expect(deltas.length).toBeGreaterThan(1);
    expect(text).toBe(contentOf(plain));

    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(plain.usage);
    expect(last.usage).toEqual(expect.objectContaining(expectedUsage(messages, text, "gpt-4o")));
    // Only the final chunk carries usage; the others carry `usage: null` as OpenAI does.
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage ?? null).toBeNull();
    // The stream ends with finish_reason "stop" before the usage chunk.
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
  });

  it("sends no usage at all without stream_options.include_usage", async () => {
    const messages = user("Stream me an answer without any usage please, in several pieces.");
    const plain = await complete(messages);
    const { chunks, deltas, text } = await streamed(messages, "gpt-4o", false);
    expect(deltas.length).toBeGreaterThan(1);
    expect(text).toBe(contentOf(plain));
    for (const chunk of chunks) expect(chunk).not.toHaveProperty("usage");
  });
});

describe("markers", () => {
  describe("[[fail:STATUS]]", () => {
    it.each([
      [500, OpenAI.InternalServerError],
      [503, OpenAI.InternalServerError],
      [429, OpenAI.RateLimitError],
    ])("[[fail:%i]] makes the SDK throw an APIError with that status", async (status, errorClass) => {
      const error = await complete(user(`please fail [[fail:${status}]]`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toBeInstanceOf(errorClass);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    });

    it("fails a streaming request before any chunk is sent", async () => {
      const error = await streamed(user("[[fail:500]]")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    });

    it("answers with an OpenAI-shaped error body", async () => {
      const { status, body } = await rawPost({ model: "gpt-4o", messages: user("[[fail:502]]") });
      expect(status).toBe(502);
      expect(body).toEqual({
        error: { message: expect.stringMatching(/.+/), type: expect.stringMatching(/.+/), param: null, code: null },
      });
    });
  });

  it.each([false, true])("[[sleep:300]] delays the answer by at least 300 ms (stream: %s)", async (stream) => {
    const messages = user("slowly [[sleep:300]]");
    const started = Date.now();
    const content = stream ? (await streamed(messages)).text : contentOf(await complete(messages));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(content).toContain("slowly");
    expect(content).not.toContain("[[sleep");
  });

  describe("[[no-usage]]", () => {
    it("omits usage from a non-streaming answer", async () => {
      const completion = await complete(user("no usage for me [[no-usage]]"));
      expect(contentOf(completion)).toContain("no usage for me");
      expect(completion).not.toHaveProperty("usage");
    });

    it("omits usage from a stream even when include_usage is asked", async () => {
      const messages = user("no usage for me either, even while streaming [[no-usage]]");
      const { chunks, text } = await streamed(messages, "gpt-4o", true);
      expect(text).toContain("no usage for me either");
      expect(chunks.length).toBeGreaterThan(0);
      for (const chunk of chunks) expect(chunk.usage ?? null).toBeNull();
    });
  });

  describe("[[tokens:N]]", () => {
    const cases = [0, 1, 7, 250].flatMap((n) => ["gpt-4", "gpt-4o"].map((model) => [n, model] as const));

    it.each(cases)("answers with exactly %i completion tokens for %s", async (n, model) => {
      const completion = await complete(user(`[[tokens:${n}]]`), model);
      const content = contentOf(completion);
      expect(completion.usage?.completion_tokens).toBe(n);
      expect(countTextTokens(content, model)).toBe(n);
    });

    it.each(cases)("streams exactly %i completion tokens for %s", async (n, model) => {
      const { chunks, text } = await streamed(user(`[[tokens:${n}]]`), model);
      expect(countTextTokens(text, model)).toBe(n);
      expect(chunks[chunks.length - 1]!.usage?.completion_tokens).toBe(n);
    });
  });

  describe("[[cached:N]]", () => {
    const messages = user("cache me please [[cached:5]]");

    it.each([0, 5, 12, 1_000_000])("reports min(%i, prompt_tokens) cached prompt tokens", async (n) => {
      const msgs = user(`cache me please [[cached:${n}]]`);
      const completion = await complete(msgs);
      const prompt = countChatTokens(msgs, "gpt-4o");
      expect(completion.usage?.prompt_tokens).toBe(prompt);
      expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(Math.min(n, prompt));
    });

    it("reports cached tokens in the final streaming chunk too", async () => {
      const { chunks } = await streamed(messages);
      const usage = chunks[chunks.length - 1]!.usage as CompletionUsage;
      expect(usage.prompt_tokens_details?.cached_tokens).toBe(Math.min(5, usage.prompt_tokens));
      expect(usage.prompt_tokens_details?.cached_tokens).toBe(5);
    });
  });

  describe("[[report-prompt:N]] and [[report-completion:N]]", () => {
    it("reports the given usage whatever was sent, streaming and not, as a glitching provider would", async () => {
      const msgs = user("glitch [[report-prompt:7]] [[report-completion:999999999]]");
      const completion = await complete(msgs);
      expect(completion.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 999_999_999, total_tokens: 1_000_000_006 });
      expect(contentOf(completion)).toBe("Local agent (gpt-4o) received: glitch");
      const { chunks } = await streamed(msgs);
      expect(chunks[chunks.length - 1]!.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 999_999_999 });
    });
  });

  it.each(["[[fail:200]]", "[[fail:302]]", "[[fail:600]]", "[[fail:abc]]"])("ignores %s, which is not an error status", async (marker) => {
    const completion = await complete(user(`answer anyway ${marker}`));
    expect(contentOf(completion)).toContain("answer anyway");
    expect(completion.usage).toBeDefined();
  });

  it("reads markers from the last user message only", async () => {
    const completion = await complete([
      { role: "user", content: "[[fail:500]]" },
      { role: "assistant", content: "I failed." },
      { role: "user", content: "now answer normally" },
    ]);
    expect(contentOf(completion)).toContain("now answer normally");
  });
});

describe("auth", () => {
  it("rejects a wrong API key with AuthenticationError (401)", async () => {
    const wrong = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: "wrong-key", maxRetries: 0 });
    const error = await wrong.chat.completions.create({ model: "gpt-4o", messages: user("hi") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(401);
    // OpenAI's shape for a bad key: type invalid_request_error, code invalid_api_key.
    expect(apiError.type).toBe("invalid_request_error");
    expect(apiError.code).toBe("invalid_api_key");
  });

  it("rejects a wrong API key on a streaming request too", async () => {
    const wrong = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: "wrong-key", maxRetries: 0 });
    const error = await wrong.chat.completions
      .create({ model: "gpt-4o", messages: user("hi"), stream: true, stream_options: { include_usage: true } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("rejects a request without an Authorization header (401)", async () => {
    const res = await fetch(`${baseUrl}/v1/models`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/.+/);
  });
});

describe("malformed requests", () => {
  const valid = { model: "gpt-4o", messages: user("hi") };

  // [label, body, expected param (undefined: not checked)]; all of them are 400s.
  it.each<[string, string | object, string | null | undefined]>([
    ["a non-JSON body", "{this is not json", null],
    ["an empty body", "", null],
    ["a JSON array body", "[]", null],
    ["a JSON string body", '"hello"', null],
    ["a JSON null body", "null", null],
    ["a missing model", { messages: user("hi") }, "model"],
    ["an empty model", { ...valid, model: "" }, "model"],
    ["missing messages", { model: "gpt-4o" }, "messages"],
    ["empty messages", { ...valid, messages: [] }, "messages"],
    ["a non-string content", { ...valid, messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
    ["a missing content", { ...valid, messages: [{ role: "user" }] }, "messages[0].content"],
    ["a bad role", { ...valid, messages: [{ role: "robot", content: "hi" }] }, "messages[0].role"],
    ["a bad role in a later message", { ...valid, messages: [...user("hi"), { role: "tool", content: "x" }] }, "messages[1].role"],
    ["a null message", { ...valid, messages: [null] }, "messages[0].role"],
    ["max_tokens: -1", { ...valid, max_tokens: -1 }, "max_tokens"],
    ["max_tokens: 0", { ...valid, max_tokens: 0 }, "max_tokens"],
    ["max_tokens: 1.5", { ...valid, max_tokens: 1.5 }, "max_tokens"],
    ['max_completion_tokens: "10"', { ...valid, max_completion_tokens: "10" }, "max_tokens"],
  ])("answers %s with 400 and an OpenAI error body", async (_label, body, param) => {
    const status = 400;
    const res = await rawPost(body);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/json/);
    const { error } = res.body as { error: Record<string, unknown> };
    expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(typeof error.message).toBe("string");
    expect((error.message as string).length).toBeGreaterThan(0);
    expect(error.type).toEqual(expect.stringMatching(/.+/));
    if (param !== undefined) expect(error.param).toBe(param);
  });

  it.each([
    ["GET", "/v1/nope"],
    ["POST", "/v1/completions"],
    ["GET", "/v1/chat/completions"],
    ["DELETE", "/v1/models"],
  ])("answers %s %s with 404 and an OpenAI error body", async (method, path) => {
    const res = await rawPost(valid, path, method);
    expect(res.status).toBe(404);
    const { error } = res.body as { error: { message: unknown; type: unknown } };
    expect(error.message).toEqual(expect.stringMatching(/.+/));
    expect(error.type).toEqual(expect.stringMatching(/.+/));
  });

  const MiB = 1024 * 1024;
  it.each([
    ["just over 2 MiB", 2 * MiB + 1],
    ["3 MiB", 3 * MiB],
    ["5 MiB", 5 * MiB],
    ["8 MiB", 8 * MiB],
  ])("answers a body of %s with 413 and an OpenAI error body, reliably", async (_label, size) => {
    const huge = JSON.stringify({ ...valid, messages: user("x".repeat(size)) });
    // Repeated: the 413 must arrive every time, never a reset connection instead.
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = await rawPost(huge);
      expect(res.status).toBe(413);
      const { error } = res.body as { error: { message: unknown; type: unknown } };
      expect(error.message).toEqual(expect.stringMatching(/.+/));
      expect(error.type).toEqual(expect.stringMatching(/.+/));
    }
  });

  it("still serves requests after a refused oversized body", async () => {
    const completion = await complete(user("still alive?"));
    expect(contentOf(completion)).toContain("still alive?");
  });

  it("accepts a large body under the limit", async () => {
    const big = "word ".repeat(40_000); // ~200 KB, under the 2 MiB limit
    const completion = await complete(user(big.trim()));
    expect(completion.usage?.prompt_tokens).toBe(countChatTokens(user(big.trim()), "gpt-4o"));
  });
});

describe("/_local/stats and /_local/reset", () => {
  it("counts completions that reached the agent and resets them", async () => {
    await reset();
    expect(await stats()).toEqual({ requests: 0, completions: 0 });

    await complete(user("one"));
    await streamed(user("two"));
    await complete(user("three [[fail:500]]")).catch(() => undefined); // reached the agent
    await rawPost({ model: "gpt-4o", messages: [] }); // refused before reaching it
    for await (const _model of client.models.list()) break;

    expect(await stats()).toEqual({ requests: 5, completions: 3 });

    await reset();
    expect(await stats()).toEqual({ requests: 0, completions: 0 });
    await complete(user("after reset"));
    expect((await stats()).completions).toBe(1);
  });

  it("does not count its own stats and reset calls as requests", async () => {
    await reset();
    await stats();
    await stats();
    expect(await stats()).toEqual({ requests: 0, completions: 0 });
  });
});

describe("max_tokens", () => {
  it.each([
    ["[[tokens:50]]", 8],
    ["a long echo that runs well past three tokens", 3],
  ])("cuts %s at max_tokens with finish_reason length, as a real model", async (message, maxTokens) => {
    const res = await client.chat.completions.create({ model: "gpt-4", messages: user(message), max_tokens: maxTokens });
    expect(res.usage?.completion_tokens).toBe(maxTokens);
    expect(countTextTokens(res.choices[0].message.content ?? "", "gpt-4")).toBe(maxTokens);
    expect(res.choices[0].finish_reason).toBe("length");
  });

  it("answers in full with finish_reason stop when under max_tokens", async () => {
    const res = await client.chat.completions.create({ model: "gpt-4", messages: user("[[tokens:5]]"), max_tokens: 5 });
    expect(res.usage?.completion_tokens).toBe(5);
    expect(res.choices[0].finish_reason).toBe("stop");
  });
});

describe("[[cut:N]]", () => {
  it("streams N chunks, then drops the connection: the SDK sees an error after the deltas", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4",
      messages: user("[[tokens:40]] [[cut:2]]"),
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta?.content ?? "");
      })(),
    ).rejects.toThrow();
    expect(deltas.filter(Boolean)).toHaveLength(2);
  });
});
