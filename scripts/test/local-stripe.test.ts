/**
 * The local Stripe's contract, exercised through the real `stripe` SDK (functions/src/stripe/client.ts,
 * host/port/protocol options) and plain `fetch` for its test controls. It runs in-process on an
 * ephemeral port with a clock the tests move, like the emulator harness runs it on 12111.
 */
import type * as http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { stripeClient } from "../../functions/src/stripe/client";
import { ensureUsageMeter } from "../../functions/src/stripe/meter";
import { IDENTIFIER_WINDOW_MS, parseForm, startLocalStripe, type ReceivedMeterEvent } from "../local-stripe";

let server: http.Server;
let origin: string;
let stripe: Stripe;
let clock = Date.parse("2026-05-10T12:00:00Z");
const seconds = (ms: number) => Math.floor(ms / 1000);

interface ReadBack {
  received: ReceivedMeterEvent[];
  deduplicated: ReceivedMeterEvent[];
  faulted: number;
}

const control = async (path: string, body?: unknown) => {
  const res = await fetch(`${origin}/_control/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  return (await res.json()) as ReadBack & Record<string, unknown>;
};

beforeAll(async () => {
  server = await startLocalStripe({ port: 0, now: () => clock });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stripe = stripeClient({ apiKey: "sk_test_local", baseUrl: origin });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

let customer: Stripe.Customer;
const EVENT = "agent_billing_micros";

beforeEach(async () => {
  await control("reset", {});
  customer = await stripe.customers.create({ email: "owner@example.com", metadata: { uid: "owner-1" } });
  // The meter the dispatcher reports to, made as functions/src/stripe/meter.ts makes it.
  await ensureUsageMeter(stripe, EVENT);
});

const meterEvent = (identifier: string, value: string | number = 5_970, timestamp = seconds(clock)) =>
  stripe.billing.meterEvents.create({
    event_name: EVENT,
    identifier,
    timestamp,
    payload: { stripe_customer_id: customer.id, value: String(value) },
  });

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (err) {
    return err as Stripe.errors.StripeError;
  }
  throw new Error("expected the call to fail");
}

describe("customers and meters", () => {
  it("creates a customer and reads it back by id; an unknown id is Stripe's resource_missing", async () => {
    expect(customer).toMatchObject({ object: "customer", email: "owner@example.com", metadata: { uid: "owner-1" }, livemode: false });
    expect(customer.id).toMatch(/^cus_/);
    await expect(stripe.customers.retrieve(customer.id)).resolves.toMatchObject({ id: customer.id });
    const err = await rejection(stripe.customers.retrieve("cus_nobody"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: "resource_missing", param: "id" });
  });

  it("lists the meters and refuses a second active meter for the same event name", async () => {
    const list = await stripe.billing.meters.list();
    expect(list.data.map((m) => [m.event_name, m.status, m.default_aggregation.formula])).toEqual([[EVENT, "active", "sum"]]);
    const err = await rejection(
      stripe.billing.meters.create({ display_name: "Again", event_name: EVENT, default_aggregation: { formula: "sum" } }),
    );
    expect(err).toMatchObject({ type: "StripeInvalidRequestError", statusCode: 400, param: "event_name" });
  });

  it("ensureUsageMeter finds the meter it made instead of making another", async () => {
    const [first] = (await stripe.billing.meters.list()).data;
    const again = await ensureUsageMeter(stripe, EVENT);
    expect(again.id).toBe(first.id);
    expect([again.customer_mapping.event_payload_key, again.value_settings.event_payload_key]).toEqual(["stripe_customer_id", "value"]);
    expect((await stripe.billing.meters.list()).data).toHaveLength(1);
  });
});

describe("meter events", () => {
  it("accepts a meter event, sent form-encoded by the SDK, and keeps it for read-back", async () => {
    const event = await meterEvent("ledger:agent-1:conv-1:msg-1");
    expect(event).toMatchObject({
      object: "billing.meter_event",
      event_name: EVENT,
      identifier: "ledger:agent-1:conv-1:msg-1",
      payload: { stripe_customer_id: customer.id, value: "5970" },
      timestamp: seconds(clock),
    });
    const back = await control("meter_events");
    expect(back.received).toEqual([
      {
        identifier: "ledger:agent-1:conv-1:msg-1",
        event_name: EVENT,
        customer: customer.id,
        value: 5_970,
        timestamp: seconds(clock),
        receivedAt: clock,
      },
    ]);
    expect(back.deduplicated).toEqual([]);
  });

  it("refuses a duplicate identifier within 24 hours as Stripe does (400, not retryable), counted as deduplicated", async () => {
    await meterEvent("dup-1");
    clock += IDENTIFIER_WINDOW_MS - 1;
    const err = await rejection(meterEvent("dup-1", 1, seconds(clock)));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, param: "identifier", message: "An event already exists with identifier dup-1." });
    expect(err.headers?.["stripe-should-retry"]).toBe("false");
    let back = await control("meter_events");
    expect([back.received.length, back.deduplicated.map((d) => d.identifier)]).toEqual([1, ["dup-1"]]);
    // After the window Stripe no longer knows the identifier: the same one counts again (why identifiers alone are not enough past 24 h).
    clock += 1;
    await meterEvent("dup-1", 1, seconds(clock));
    back = await control("meter_events");
    expect(back.received.map((r) => r.identifier)).toEqual(["dup-1", "dup-1"]);
  });

  it.each([
    { what: "a fractional value", value: "12.5", param: "payload[value]", code: "parameter_invalid_integer" },
    { what: "a value that is not a number", value: "lots", param: "payload[value]", code: "parameter_invalid_integer" },
    { what: "a timestamp more than 35 days back", timestampOffset: -(35 * 86_400 + 1), param: "timestamp", code: "timestamp_out_of_range" },
    { what: "a timestamp more than 5 minutes ahead", timestampOffset: 301, param: "timestamp", code: "timestamp_out_of_range" },
    { what: "an unknown customer", customerId: "cus_nobody", param: "payload[stripe_customer_id]", code: "resource_missing" },
    { what: "an unknown event name", eventName: "no_such_meter", param: "event_name", code: "resource_missing" },
  ])("refuses $what with Stripe's error shape (StripeInvalidRequestError), recording nothing", async (c) => {
    const err = await rejection(
      stripe.billing.meterEvents.create({
        event_name: c.eventName ?? EVENT,
        identifier: "bad-1",
        timestamp: seconds(clock) + (c.timestampOffset ?? 0),
        payload: { stripe_customer_id: c.customerId ?? customer.id, value: c.value ?? "1" },
      }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, param: c.param, code: c.code, rawType: "invalid_request_error" });
    expect((await control("meter_events")).received).toEqual([]);
  });

  it("accepts the window's edges: 35 days back and 5 minutes ahead exactly, and a negative whole number", async () => {
    await meterEvent("edge-past", 1, seconds(clock) - 35 * 86_400);
    await meterEvent("edge-future", 1, seconds(clock) + 300);
    await meterEvent("negative", -3);
    expect((await control("meter_events")).received.map((r) => r.value)).toEqual([1, 1, -3]);
  });

  it("answers a storm of 429s with StripeRateLimitError, then accepts the same event once", async () => {
    await control("faults", { status: 429, count: 3 });
    for (let i = 0; i < 3; i++) {
      const err = await rejection(meterEvent("storm-1"));
      expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(err).toMatchObject({ statusCode: 429, code: "rate_limit" });
    }
    await expect(meterEvent("storm-1")).resolves.toMatchObject({ identifier: "storm-1" });
    const back = await control("meter_events");
    expect([back.received.map((r) => r.identifier), back.deduplicated, back.faulted]).toEqual([["storm-1"], [], 3]);
  });

  it("answers a 5xx fault with StripeAPIError", async () => {
    await control("faults", { status: 503, count: 1 });
    const err = await rejection(meterEvent("five-1"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(503);
    await expect(meterEvent("five-1")).resolves.toBeDefined();
  });

  it("allows one call in flight per customer and meter (a concurrent one gets 429)", async () => {
    await control("latency", { ms: 200 });
    const [first, second] = await Promise.allSettled([meterEvent("c-1"), meterEvent("c-2")]);
    await control("latency", { ms: 0 });
    expect(first.status).toBe("fulfilled");
    expect(second.status === "rejected" && second.reason).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    const back = await control("meter_events");
    expect(back.received.map((r) => r.identifier)).toEqual(["c-1"]);
    expect(back.concurrentRefused).toBe(1);
  });

  it("replays the first answer for a repeated Idempotency-Key, and refuses it with other parameters", async () => {
    const params = { event_name: EVENT, identifier: "idem-1", payload: { stripe_customer_id: customer.id, value: "7" } };
    const first = await stripe.billing.meterEvents.create(params, { idempotencyKey: "key-1" });
    const again = await stripe.billing.meterEvents.create(params, { idempotencyKey: "key-1" });
    expect(again).toEqual(first);
    const err = await rejection(stripe.billing.meterEvents.create({ ...params, identifier: "idem-2" }, { idempotencyKey: "key-1" }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    const back = await control("meter_events");
    expect([back.received.length, back.deduplicated.length]).toEqual([1, 0]);
  });

  it("refuses a live key and a missing key with 401", async () => {
    const live = stripeClient({ apiKey: "sk_live_nope", baseUrl: origin });
    await expect(rejection(live.customers.create({}))).resolves.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const res = await fetch(`${origin}/v1/customers`, { method: "POST" });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", message: "You did not provide an API key." } });
  });
});

describe("the parts", () => {
  it("reads Stripe's bracketed form fields as nested maps", () => {
    expect(parseForm("event_name=e&payload%5Bvalue%5D=5&payload%5Bstripe_customer_id%5D=cus_1&a%5Bb%5D%5Bc%5D=d")).toEqual({
      event_name: "e",
      payload: { value: "5", stripe_customer_id: "cus_1" },
      a: { b: { c: "d" } },
    });
  });

  it("points the SDK at the local server through host, port and protocol, at api.stripe.com without a base URL, and refuses a base URL that is not an origin", () => {
    expect(() => stripeClient({ apiKey: "sk_test_x", baseUrl: "ftp://127.0.0.1:1" })).toThrow(/must be http\(s\):\/\/host\[:port\]/);
    expect(() => stripeClient({ apiKey: "sk_test_x", baseUrl: "http://127.0.0.1:1/v1" })).toThrow(RangeError);
    const real = stripeClient({ apiKey: "sk_test_x" });
    expect([real.getApiField("host"), real.getApiField("protocol")]).toEqual(["api.stripe.com", "https"]);
    const local = stripeClient({ apiKey: "sk_test_x", baseUrl: "http://127.0.0.1:12111" });
    expect([local.getApiField("host"), Number(local.getApiField("port")), local.getApiField("protocol")]).toEqual([
      "127.0.0.1",
      12111,
      "http",
    ]);
  });
});
