/**
 * The agent API (issue #19) through the real `openai` SDK, as an agent's users' apps call it:
 * `new OpenAI({ baseURL, apiKey })` against the Functions emulator, the local agent behind it.
 * Keys are made and revoked with the owner's callables over HTTP.
 */
import { createHash } from "node:crypto";
import OpenAI from "openai";
import type { CreateAgentApiKeyResponse, EndUserUsageResponse, ListAgentApiKeysResponse } from "../../src/contract/agent-api";
import { endUserHashOf, parseKey } from "../../src/domain/api-keys";
import { resolvePrice, worstCaseCostMicros } from "../../src/domain/pricing";
import { countChatTokens } from "../../src/domain/tokens";
import { usageBound } from "../../src/domain/usage-bounds";
import { openAiAgentClient } from "../../src/agent/agent-client";
import { handleAgentApi, type AgentApiDeps, type ApiResponse } from "../../src/handlers/agent-api";
import { KeyCache } from "../../src/handlers/agent-api/auth";
import { sendMessageDeps } from "../../src/handlers/send-message";
import { readSpend } from "../../src/store/spend";
import { reconcile } from "../../../scripts/reconcile";
import {
  adminDb,
  agentCompletions,
  call,
  createUser,
  functionUrl,
  LOCAL_AGENT,
  seedAgent,
  signingKey,
  waitFor,
  type TestUser,
} from "../helpers/emulator";
import { summaryTotals } from "../helpers/rollups";

jest.setTimeout(180_000);

const BASE_URL = `${functionUrl("agentApi")}/v1`;
const GPT4 = resolvePrice("gpt-4")!.price;

let owner: TestUser;
let stranger: TestUser;
beforeAll(async () => {
  [owner, stranger] = await Promise.all([createUser("api-owner"), createUser("api-stranger")]);
  // Load the function's worker before the tests time anything (an unauthenticated call bills nothing).
  await fetch(`${BASE_URL}/models`);
});

/** A client of the agent API, as an app builds it; no retries, so a refusal is seen as it is. */
const client = (apiKey: string) => new OpenAI({ baseURL: BASE_URL, apiKey, maxRetries: 0 });

async function createKey(agentId: string, extra: Record<string, unknown> = {}) {
  return call<CreateAgentApiKeyResponse>("createAgentApiKey", { agentId, name: "test app", ...extra }, owner.idToken);
}

async function newKey(agentId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await createKey(agentId, extra);
  expect(res.error).toBeUndefined();
  return res.result!.key;
}

const promptOf = (content: string) => countChatTokens([{ role: "user", content }], "gpt-4");
/** What a gpt-4 message costs with `completion` tokens answered (no system prompt). */
const costOf = (content: string, completion: number) => promptOf(content) * 30 + completion * 60;
/** What its hold reserves: the bounded prompt and `maxTokens`. */
const worstOf = (content: string, maxTokens: number) => {
  const bound = usageBound(promptOf(content), maxTokens);
  return worstCaseCostMicros(bound.promptTokens, bound.completionTokens, GPT4);
};

async function ledgerRows(agentId: string) {
  return (await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get()).docs.map((d) => d.data());
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Waits until every row of the agent is rolled up (its summary counts them all). */
async function rolledUp(agentId: string): Promise<void> {
  const rows = (await ledgerRows(agentId)).filter((r) => r.billable).length;
  await waitFor(async () => (await summaryTotals(adminDb(), agentId)).totalMessages === rows, `rollup of ${rows} rows`, 60_000);
}

/** The status and code of a refused call. */
async function refusal(
  promise: Promise<unknown>,
): Promise<{ status: number | undefined; code: string | null | undefined; headers?: Headers }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return { status: err.status, code: err.code, headers: err.headers };
    throw err;
  }
  throw new Error("the call was not refused");
}

describe("agent API keys", () => {
  it("shows the key once and stores only its hash; the owner lists it, nobody else can", async () => {
    const agentId = await seedAgent(owner.uid);
    const created = await createKey(agentId, { dailyLimitUsd: 1.5 });
    expect(created.error).toBeUndefined();
    const { keyId, key } = created.result!;
    expect(key).toMatch(new RegExp(`^ak_${keyId}_[A-Za-z0-9_-]{43}$`));
    expect(created.result).toMatchObject({
      agentId,
      name: "test app",
      dailyLimitMicros: 1_500_000,
      endUserDailyLimitMicros: null,
      revokedAt: null,
    });
    const stored = (await adminDb().doc(`agent_api_keys/${keyId}`).get()).data()!;
    const secret = key.slice(`ak_${keyId}_`.length);
    expect(stored.secretHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(secret);

    const listed = await call<ListAgentApiKeysResponse>("listAgentApiKeys", { agentId }, owner.idToken);
    expect(listed.result!.items).toEqual([expect.objectContaining({ keyId, prefix: `ak_${keyId}_`, lastUsedAt: null })]);
    expect(JSON.stringify(listed.result)).not.toContain(stored.secretHash);
    expect(JSON.stringify(listed.result)).not.toContain(secret);

    for (const [name, data] of [
      ["listAgentApiKeys", { agentId }],
      ["revokeAgentApiKey", { agentId, keyId }],
      ["createAgentApiKey", { agentId, name: "mine now" }],
    ] as const) {
      expect((await call(name, data, stranger.idToken)).error?.status).toBe("PERMISSION_DENIED");
    }
    expect((await call("revokeAgentApiKey", { agentId, keyId: "a".repeat(20) }, owner.idToken)).error?.status).toBe("NOT_FOUND");
    expect((await call("createAgentApiKey", { agentId, name: "", dailyLimitUsd: -1 }, owner.idToken)).error?.status).toBe(
      "INVALID_ARGUMENT",
    );
    expect((await adminDb().collection("agent_api_keys").where("agentId", "==", agentId).get()).size).toBe(1);
  });
});

describe("chat completions through the openai SDK", () => {
  it("answers, bills the owner as production and says what it cost, in the body and the headers", async () => {
    const agentId = await seedAgent(owner.uid);
    const key = await newKey(agentId);
    const content = "Hello from an app [[tokens:20]]";
    const { data, response } = await client(key)
      .chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content }], user: "alice" })
      .withResponse();
    const expected = costOf(content, 20);
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("gpt-4");
    expect(data.choices[0].message.content).toBeTruthy();
    expect(data.choices[0].finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({ prompt_tokens: promptOf(content), completion_tokens: 20, total_tokens: promptOf(content) + 20 });
    const billing = (data as unknown as { billing: { cost_micros: number; ledger_id: string; replayed: boolean } }).billing;
    expect(billing).toMatchObject({ cost_micros: expected, replayed: false });
    expect(response.headers.get("x-billing-cost-micros")).toBe(String(expected));
    expect(response.headers.get("x-billing-ledger-id")).toBe(billing.ledger_id);

    const row = (await adminDb().doc(`billable_conversations/${billing.ledger_id}`).get()).data()!;
    expect(row).toMatchObject({
      agentId,
      userId: owner.uid,
      mode: "production",
      billable: true,
      costMicros: expected,
      userMessage: content,
      agentResponse: data.choices[0].message.content,
      apiKeyId: parseKey(key)!.keyId,
      endUser: "alice",
      endUserHash: endUserHashOf(agentId, "alice"),
    });
    // The owner's figures include it.
    await rolledUp(agentId);
    expect((await summaryTotals(adminDb(), agentId)).totalCostMicros).toBe(expected);
    const listed = await call<ListAgentApiKeysResponse>("listAgentApiKeys", { agentId }, owner.idToken);
    expect(listed.result!.items[0].lastUsedAt).not.toBeNull();
  });

  it("streams chunks, then the usage (include_usage) and the bill in the last chunk", async () => {
    const agentId = await seedAgent(owner.uid, { systemPrompt: "You are terse." });
    const key = await newKey(agentId);
    const content = "Stream this [[tokens:30]]";
    const stream = await client(key).chat.completions.create({
      model: "gpt-4",
      messages: [{ role: "user", content }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 30,
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    const last = chunks[chunks.length - 1] as (typeof chunks)[number] & { billing: { cost_micros: number; ledger_id: string } };
    const prompt = countChatTokens(
      [
        { role: "system", content: "You are terse." },
        { role: "user", content },
      ],
      "gpt-4",
    );
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id)).toBe(true);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("length");
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 30 });
    expect(last.billing.cost_micros).toBe(prompt * 30 + 30 * 60);
    const row = (await adminDb().doc(`billable_conversations/${last.billing.ledger_id}`).get()).data()!;
    expect(row).toMatchObject({
      agentResponse: text,
      costMicros: last.billing.cost_micros,
      userId: owner.uid,
      apiKeyId: parseKey(key)!.keyId,
    });
    expect(row.endUser).toBeUndefined();
  });

  it("lists the agent's model, and answers unknown routes and methods in OpenAI's error shape", async () => {
    const agentId = await seedAgent(owner.uid, { model: "gpt-4o" });
    const key = await newKey(agentId);
    const models = await client(key).models.list();
    expect(models.data).toEqual([expect.objectContaining({ id: "gpt-4o", object: "model", owned_by: `agent:${agentId}` })]);
    expect((await client(key).models.retrieve("gpt-4o")).id).toBe("gpt-4o");
    expect(await refusal(client(key).models.retrieve("gpt-3"))).toMatchObject({ status: 404, code: "model_not_found" });
    const auth = { authorization: `Bearer ${key}` };
    const unknown = await fetch(`${BASE_URL}/embeddings`, { method: "POST", headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.objectContaining({ type: "invalid_request_error", code: "unknown_url" }) });
    const wrongMethod = await fetch(`${BASE_URL}/chat/completions`, { headers: auth });
    expect(wrongMethod.status).toBe(405);
  });
});

describe("keys that do not work", () => {
  it("refuses a missing, malformed, unknown or wrong key with the same 401, and calls nothing", async () => {
    const agentId = await seedAgent(owner.uid);
    const key = await newKey(agentId);
    const before = await agentCompletions();
    const wrongSecret = `${key.slice(0, -4)}AAAA` === key ? `${key.slice(0, -4)}BBBB` : `${key.slice(0, -4)}AAAA`;
    const unknownId = `ak_${"z".repeat(20)}_${parseKey(key)!.secret}`;
    const bodies = [];
    for (const bad of ["sk-not-ours", "ak_short", unknownId, wrongSecret]) {
      const res = await fetch(`${BASE_URL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${bad}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(401);
      bodies.push(await res.text());
    }
    const missing = await fetch(`${BASE_URL}/models`);
    expect(missing.status).toBe(401);
    expect(new Set([...bodies, await missing.text()]).size).toBe(1);
    expect(JSON.parse(bodies[0])).toEqual({ error: expect.objectContaining({ code: "invalid_api_key", type: "invalid_request_error" }) });
    expect(
      await refusal(client(wrongSecret).chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] })),
    ).toMatchObject({
      status: 401,
      code: "invalid_api_key",
    });
    expect(await agentCompletions()).toBe(before);
    expect(await ledgerRows(agentId)).toEqual([]);
  });

  it("stops a revoked key at its next request, on the instance that just served it", async () => {
    const agentId = await seedAgent(owner.uid);
    const created = (await createKey(agentId)).result!;
    const api = client(created.key);
    const ask = () => api.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "still there? [[tokens:3]]" }] });
    await ask();
    const revoked = await call("revokeAgentApiKey", { agentId, keyId: created.keyId }, owner.idToken);
    expect(revoked.result).toMatchObject({ revoked: true });
    const before = await agentCompletions();
    expect(await refusal(ask())).toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(await refusal(api.models.list())).toMatchObject({ status: 401 });
    expect(await agentCompletions()).toBe(before);
    expect(await ledgerRows(agentId)).toHaveLength(1);
    // Revoking again changes nothing; the key stays listed as revoked.
    expect((await call("revokeAgentApiKey", { agentId, keyId: created.keyId }, owner.idToken)).result).toEqual(revoked.result);
    const listed = await call<ListAgentApiKeysResponse>("listAgentApiKeys", { agentId }, owner.idToken);
    expect(listed.result!.items[0].revokedAt).not.toBeNull();
  });

  it("stops every key of an agent that is gone", async () => {
    const agentId = await seedAgent(owner.uid);
    const key = await newKey(agentId);
    await client(key).chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "first [[tokens:2]]" }] });
    await adminDb().doc(`alchemist_agents/${agentId}`).delete();
    expect(
      await refusal(client(key).chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "again" }] })),
    ).toMatchObject({
      status: 401,
      code: "invalid_api_key",
    });
  });
});

describe("bad input", () => {
  it("answers 400 naming the field, and writes nothing", async () => {
    const agentId = await seedAgent(owner.uid);
    const key = await newKey(agentId);
    const before = await agentCompletions();
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "gpt-4", messages: [] }, "messages"],
      [{ model: "gpt-4", messages: [{ role: "user", content: "hi" }], max_tokens: 100_000 }, "max_tokens"],
      [{ model: "gpt-4", messages: [{ role: "tool", content: "hi" }] }, "messages.0.role"],
      [{ model: "gpt-4", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }, "messages.0.content"],
      [{ model: "gpt-4", messages: [{ role: "assistant", content: "only me" }] }, "messages"],
      [{ model: "gpt-4", messages: [{ role: "user", content: "hi" }], user: "u".repeat(257) }, "user"],
      [{ model: "gpt-4", messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
      [{ model: "gpt-4", messages: [{ role: "user", content: "hi" }], n: 2 }, "n"],
    ];
    for (const [body, param] of cases) {
      const res = await fetch(`${BASE_URL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const error = ((await res.json()) as { error: { param: string; type: string; message: string } }).error;
      expect([res.status, error.param, error.type]).toEqual([400, param, "invalid_request_error"]);
      expect(error.message).toContain(param);
    }
    const longKey = await fetch(`${BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": "k".repeat(300) },
      body: JSON.stringify({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(longKey.status).toBe(400);
    expect(await agentCompletions()).toBe(before);
    expect(await ledgerRows(agentId)).toEqual([]);
    const claims = await adminDb().collection("billing_claims").where("agentId", "==", agentId).get();
    expect(claims.size).toBe(0);
  });
});

describe("idempotency", () => {
  it("replays a retry with the same Idempotency-Key: the same completion, billed once, the agent called once", async () => {
    const agentId = await seedAgent(owner.uid);
    const api = client(await newKey(agentId));
    const body = { model: "gpt-4", messages: [{ role: "user" as const, content: "Once only [[tokens:8]]" }], user: "carol" };
    const headers = { "Idempotency-Key": "order-1042-attempt" };
    const before = await agentCompletions();
    const first = await api.chat.completions.create(body, { headers }).withResponse();
    const again = await api.chat.completions.create(body, { headers }).withResponse();
    const streamed = await api.chat.completions.create({ ...body, stream: true }, { headers });
    let streamedText = "";
    for await (const chunk of streamed) streamedText += chunk.choices[0]?.delta?.content ?? "";
    expect(again.data.id).toBe(first.data.id);
    expect(again.data.created).toBe(first.data.created);
    expect(again.data.choices[0].message.content).toBe(first.data.choices[0].message.content);
    expect(streamedText).toBe(first.data.choices[0].message.content);
    expect(again.data.usage).toEqual(first.data.usage);
    expect([first.response.headers.get("x-billing-replayed"), again.response.headers.get("x-billing-replayed")]).toEqual(["false", "true"]);
    expect(await agentCompletions()).toBe(before + 1);
    expect(await ledgerRows(agentId)).toHaveLength(1);
    const reused = refusal(api.chat.completions.create({ ...body, messages: [{ role: "user", content: "Something else" }] }, { headers }));
    expect(await reused).toMatchObject({ status: 400, code: "idempotency_key_reused" });
  });
});

describe("limits", () => {
  const content = "Within budget? [[tokens:10]]";
  const ask = (api: OpenAI, user?: string) =>
    api.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content }], max_tokens: 20, ...(user ? { user } : {}) });

  it("holds a key's daily limit, refusing with 429 key_daily_limit before the agent is called", async () => {
    const agentId = await seedAgent(owner.uid);
    const limitMicros = 2 * costOf(content, 10) + worstOf(content, 20) - 1;
    const api = client(await newKey(agentId, { dailyLimitUsd: limitMicros / 1e6 }));
    await ask(api);
    await ask(api);
    const before = await agentCompletions();
    const refused = await refusal(ask(api));
    expect(refused).toMatchObject({ status: 429, code: "key_daily_limit" });
    expect(refused.headers?.get("x-should-retry")).toBe("false");
    expect(await agentCompletions()).toBe(before);
    // Another key of the same agent has its own budget.
    await ask(client(await newKey(agentId)));
    expect(await ledgerRows(agentId)).toHaveLength(3);
  });

  it("holds each end user's daily limit apart, and the agent's own limit over every key", async () => {
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: 3 * costOf(content, 10) + worstOf(content, 20) - 1 } });
    const api = client(await newKey(agentId, { endUserDailyLimitUsd: (costOf(content, 10) + worstOf(content, 20) - 1) / 1e6 }));
    await ask(api, "dave");
    expect(await refusal(ask(api, "dave"))).toMatchObject({ status: 429, code: "end_user_daily_limit" });
    await ask(api, "erin");
    await ask(api, "frank");
    expect(await refusal(ask(api, "grace"))).toMatchObject({ status: 429, code: "agent_daily_limit" });
    const rows = await ledgerRows(agentId);
    expect(rows.map((r) => r.endUser).sort()).toEqual(["dave", "erin", "frank"]);
  });

  it("refuses past the key's rate with 429 rate_limit and Retry-After, before the agent is called", async () => {
    // In process, with a burst of 3 (the deployed figures are the API_RATE_LIMIT_* params: 600 a minute, 100 a burst).
    const agentId = await seedAgent(owner.uid);
    const key = (await createKey(agentId)).result!.key;
    const agent = openAiAgentClient({ baseURL: LOCAL_AGENT, apiKey: process.env.AGENT_API_KEY ?? "", timeoutMs: 20_000, maxRetries: 0 });
    const meter = sendMessageDeps({
      db: adminDb(),
      agent,
      signingKey: signingKey(),
      devDailyMessageCap: 500,
      userLimits: { perMinute: 100, burst: 3, devDailyUserCap: 100 },
    });
    // All in one 5-second slot of the burst limit: start at the beginning of a slot.
    await new Promise((resolve) => setTimeout(resolve, 5_000 - (Date.now() % 5_000)));
    const before = await agentCompletions();
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(
        await inProcess({ meter, keys: new KeyCache() }, key, { model: "gpt-4", messages: [{ role: "user", content }], max_tokens: 20 }),
      );
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers[3].body).toEqual({ error: expect.objectContaining({ code: "rate_limit", type: "rate_limit_error" }) });
    expect(Number(answers[3].headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((await agentCompletions()) - before).toBe(3);
  });
});

/** Calls the agent API's handler in process, as the deployed function does, and records its JSON answer. */
async function inProcess(deps: AgentApiDeps, key: string, body: unknown) {
  const answer = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res: ApiResponse = {
    json: (status, headers, json) => Object.assign(answer, { status, headers, body: json }),
    startStream: () => {
      throw new Error("not streaming");
    },
    write: () => undefined,
    end: () => undefined,
  };
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  await handleAgentApi(deps, { method: "POST", path: "/v1/chat/completions", header: (name) => headers[name.toLowerCase()], body }, res);
  return answer;
}

describe("end users", () => {
  it("attributes every message to its end user: rows, per-end-user totals equal to the ledger, and no drift", async () => {
    const agentId = await seedAgent(owner.uid);
    const api = client(await newKey(agentId));
    const plan = [
      ["heidi", "one [[tokens:5]]"],
      ["heidi", "two [[tokens:7]]"],
      ["ivan", "three [[tokens:9]]"],
      ["heidi", "four [[tokens:11]]"],
    ];
    for (const [user, content] of plan) await api.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content }], user });
    await api.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "nobody [[tokens:2]]" }] });
    await rolledUp(agentId);
    const rows = await ledgerRows(agentId);
    const ledgerOf = (user: string) => rows.filter((r) => r.endUser === user);
    const settled = await waitFor(async () => {
      const now = (await call<EndUserUsageResponse>("getEndUserUsage", { agentId }, owner.idToken)).result!;
      return now.totals.messages === 4 && now;
    }, "end-user rollups");
    expect(settled.truncated).toBe(false);
    expect(settled.items.map((i) => i.endUser).sort()).toEqual(["heidi", "ivan"]);
    for (const item of settled.items) {
      expect(item).toMatchObject({
        endUserHash: endUserHashOf(agentId, item.endUser),
        messages: ledgerOf(item.endUser).length,
        costMicros: sum(ledgerOf(item.endUser).map((r) => r.costMicros)),
        totalTokens: sum(ledgerOf(item.endUser).map((r) => r.tokens.total)),
      });
    }
    // One conversation per end user: heidi's three messages are one session.
    expect(new Set(ledgerOf("heidi").map((r) => r.conversationId)).size).toBe(1);
    expect((await call("getEndUserUsage", { agentId }, stranger.idToken)).error?.status).toBe("PERMISSION_DENIED");
    const { drifts } = await reconcile(adminDb(), { signingKey: signingKey(), agentId, pageSize: 100 });
    expect(drifts).toEqual([]);
  });
});

describe("a burst of 64 concurrent end-user requests to one agent", () => {
  it("bills each request or refuses it with 429, never past the limits, totals equal to the ledger, no drift", async () => {
    const content = "Burst [[tokens:40]] [[sleep:100]]";
    const worst = worstOf(content, 50);
    const agentLimit = Math.floor(20.5 * worst);
    const agentId = await seedAgent(owner.uid, { billing: { dailyLimitMicros: agentLimit } });
    const endUserLimit = Math.floor(3.5 * worst);
    const api = new OpenAI({
      baseURL: BASE_URL,
      apiKey: await newKey(agentId, { endUserDailyLimitUsd: endUserLimit / 1e6 }),
      maxRetries: 0,
      timeout: 170_000,
    });
    // Warm the function's workers first (the emulator starts one per concurrent request).
    await Promise.all(Array.from({ length: 16 }, () => fetch(`${BASE_URL}/models`)));
    const before = await agentCompletions();
    const users = Array.from({ length: 8 }, (_, i) => `burst-user-${i}`);
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        api.chat.completions
          .create({ model: "gpt-4", messages: [{ role: "user", content }], max_tokens: 50, user: users[i % users.length] })
          .then(
            () => "billed",
            (err: unknown) => (err instanceof OpenAI.APIError ? `${err.status} ${err.code}` : `unexpected ${String(err)}`),
          ),
      ),
    );
    const counts = results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }), {});
    for (const outcome of Object.keys(counts)) expect(["billed", "429 agent_daily_limit", "429 end_user_daily_limit"]).toContain(outcome);
    const rows = await ledgerRows(agentId);
    expect(rows).toHaveLength(counts.billed);
    // 20 worst cases fit the agent's limit; refused holds still in flight may refuse a few more than needed, never fewer.
    expect(counts.billed).toBeGreaterThanOrEqual(16);
    expect((await agentCompletions()) - before).toBe(counts.billed);
    const spent = sum(rows.map((r) => r.costMicros));
    expect(spent).toBeLessThanOrEqual(agentLimit);
    for (const user of users)
      expect(sum(rows.filter((r) => r.endUser === user).map((r) => r.costMicros))).toBeLessThanOrEqual(endUserLimit);
    const day = rows[0].localDay as string;
    const spend = await readSpend(adminDb(), agentId, { day, month: day.slice(0, 7) });
    expect(spend).toMatchObject({ daySpentMicros: spent, dayReservedMicros: 0 });
    await rolledUp(agentId);
    const markers = async () =>
      (await adminDb().collection("billing_rollup_markers").where("agentId", "==", agentId).count().get()).data().count;
    await waitFor(async () => (await markers()) === rows.length, "every row rolled up", 60_000);
    const { drifts } = await reconcile(adminDb(), { signingKey: signingKey(), agentId, pageSize: 1000 });
    expect(drifts).toEqual([]);
  });
});
