/**
 * The local Stripe: a Stripe-compatible HTTP server on 127.0.0.1:12111 (stripe-mock's port) for
 * `npm start` and the tests, reached by the real `stripe` SDK through its `host`, `port` and
 * `protocol` options. Unlike stripe-mock it keeps state: the customers, meters and meter events it
 * received, so tests can compare what reached "Stripe" with the ledger.
 *
 * The endpoints the dispatcher calls, form-encoded as the SDK sends them, with Stripe's error shape
 * (`{error: {type, message, param, code}}`):
 *   POST /v1/customers, GET /v1/customers/:id
 *   POST /v1/billing/meters, GET /v1/billing/meters
 *   POST /v1/billing/meter_events   validated as Stripe does: a known meter and customer, a
 *       whole-number value, a timestamp within the past 35 days and at most 5 minutes ahead; an
 *       `identifier` seen in the last 24 hours is refused with 400 "An event already exists with
 *       identifier …" and `Stripe-Should-Retry: false` (Stripe's answer: a duplicate is an error,
 *       not the same event again), and counted as deduplicated; one call in flight per customer
 *       and meter (a second gets 429 `rate_limit`).
 * An `Idempotency-Key` replays the first answer for the same parameters (what the SDK's own retries
 * rely on), and refuses other parameters with `idempotency_error`. A live key (`sk_live_…`) is refused.
 *
 * Test controls (JSON, no auth):
 *   GET  /_control/meter_events   {received, deduplicated, faulted, concurrentRefused}: what it accepted, refused
 *                                 as duplicates, faulted, and refused as a second call in flight for a customer and meter
 *   POST /_control/faults         {status, count}: answer the next `count` /v1 calls with `status` (429 storm, 5xx)
 *   POST /_control/latency        {ms}: hold every /v1 answer this long (to observe concurrency)
 *   POST /_control/reset          forget everything
 *
 * Run alone with `npm run stripe`; the emulator harness starts it beside the local agent.
 */
import * as http from "node:http";
import { listenLocal, readBody, runAlone, sendJson as sendJsonWith } from "./local-http";

export const LOCAL_STRIPE_PORT = 12111;
const MAX_BODY_BYTES = 1024 * 1024;
const DAY_MS = 86_400_000;
/** Stripe keeps a meter event's identifier unique for at least this long. */
export const IDENTIFIER_WINDOW_MS = DAY_MS;
export const TIMESTAMP_PAST_MS = 35 * DAY_MS;
export const TIMESTAMP_FUTURE_MS = 5 * 60_000;

interface LocalStripeOptions {
  port?: number;
  /** The clock (epoch ms): tests move it to cross the 24-hour and 35-day windows. */
  now?: () => number;
}

type Form = { [key: string]: string | Form };

export interface ReceivedMeterEvent {
  identifier: string;
  event_name: string;
  customer: string;
  value: number;
  timestamp: number;
  receivedAt: number;
}

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const invalid = (message: string, param: string | null, code: string | null = null, headers: Record<string, string> = {}) =>
  new StripeApiError(400, message, "invalid_request_error", param, code, headers);

/** `a[b][c]=v` form fields as nested maps, as Stripe reads them. */
export function parseForm(body: string): Form {
  const out: Form = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/\[|\]\[|\]/).filter((p) => p !== "");
    let at = out;
    for (const part of path.slice(0, -1)) at = (typeof at[part] === "object" ? at[part] : (at[part] = {})) as Form;
    at[path[path.length - 1]] = value;
  }
  return out;
}

const text = (form: Form, key: string): string | undefined => (typeof form[key] === "string" ? (form[key] as string) : undefined);
const map = (form: Form, key: string): Form => (typeof form[key] === "object" ? (form[key] as Form) : {});

interface Meter {
  id: string;
  event_name: string;
  customerKey: string;
  valueKey: string;
  object: Record<string, unknown>;
}

/** The server's memory. */
class State {
  customers = new Map<string, Record<string, unknown>>();
  meters = new Map<string, Meter>();
  received: ReceivedMeterEvent[] = [];
  deduplicated: (ReceivedMeterEvent & { firstReceivedAt: number })[] = [];
  /** identifier -> when it was first accepted (kept IDENTIFIER_WINDOW_MS). */
  identifiers = new Map<string, number>();
  idempotency = new Map<string, { at: number; request: string; status: number; body: unknown }>();
  inFlight = new Set<string>();
  faults = { status: 0, count: 0 };
  faulted = 0;
  concurrentRefused = 0;
  latencyMs = 0;
  ids = 0;
  nextId = (prefix: string) => `${prefix}_local${String(++this.ids).padStart(6, "0")}`;
}

function createCustomer(state: State, form: Form, now: number) {
  const id = state.nextId("cus");
  const customer = {
    id,
    object: "customer",
    created: Math.floor(now / 1000),
    email: text(form, "email") ?? null,
    name: text(form, "name") ?? null,
    metadata: map(form, "metadata"),
    livemode: false,
  };
  state.customers.set(id, customer);
  return customer;
}

function createMeter(state: State, form: Form, now: number) {
  const eventName = text(form, "event_name");
  if (!eventName) throw invalid("Missing required param: event_name.", "event_name", "parameter_missing");
  const displayName = text(form, "display_name");
  if (!displayName) throw invalid("Missing required param: display_name.", "display_name", "parameter_missing");
  if ([...state.meters.values()].some((m) => m.event_name === eventName)) {
    throw invalid(`An active meter with event_name '${eventName}' already exists.`, "event_name");
  }
  const formula = text(map(form, "default_aggregation"), "formula") ?? "sum";
  const customerKey = text(map(form, "customer_mapping"), "event_payload_key") ?? "stripe_customer_id";
  const valueKey = text(map(form, "value_settings"), "event_payload_key") ?? "value";
  const id = state.nextId("mtr");
  const object = {
    id,
    object: "billing.meter",
    created: Math.floor(now / 1000),
    display_name: displayName,
    event_name: eventName,
    status: "active",
    default_aggregation: { formula },
    customer_mapping: { event_payload_key: customerKey, type: "by_id" },
    value_settings: { event_payload_key: valueKey },
    event_time_window: null,
    livemode: false,
  };
  state.meters.set(id, { id, event_name: eventName, customerKey, valueKey, object });
  return object;
}

/** Validates a meter event as Stripe does; returns what it would record. */
function readMeterEvent(state: State, form: Form, now: number): { meter: Meter; event: ReceivedMeterEvent; payload: Form } {
  const eventName = text(form, "event_name");
  if (!eventName) throw invalid("Missing required param: event_name.", "event_name", "parameter_missing");
  const meter = [...state.meters.values()].find((m) => m.event_name === eventName);
  if (!meter) throw invalid(`No active meter found with event_name '${eventName}'.`, "event_name", "resource_missing");
  const payload = map(form, "payload");
  const customer = text(payload, meter.customerKey);
  if (!customer)
    throw invalid(`Missing required param: payload[${meter.customerKey}].`, `payload[${meter.customerKey}]`, "parameter_missing");
  if (!state.customers.has(customer)) throw invalid(`No such customer: '${customer}'`, `payload[${meter.customerKey}]`, "resource_missing");
  const rawValue = text(payload, meter.valueKey);
  if (rawValue === undefined)
    throw invalid(`Missing required param: payload[${meter.valueKey}].`, `payload[${meter.valueKey}]`, "parameter_missing");
  if (!/^-?\d{1,15}$/.test(rawValue)) {
    throw invalid(
      `Invalid payload[${meter.valueKey}]: must be a whole number, got '${rawValue}'.`,
      `payload[${meter.valueKey}]`,
      "parameter_invalid_integer",
    );
  }
  const rawTimestamp = text(form, "timestamp");
  if (rawTimestamp !== undefined && !/^\d{1,12}$/.test(rawTimestamp))
    throw invalid("Invalid integer: timestamp", "timestamp", "parameter_invalid_integer");
  const timestamp = rawTimestamp === undefined ? Math.floor(now / 1000) : Number(rawTimestamp);
  if (timestamp * 1000 < now - TIMESTAMP_PAST_MS || timestamp * 1000 > now + TIMESTAMP_FUTURE_MS) {
    throw invalid(
      "Timestamp must be within the past 35 calendar days and at most 5 minutes in the future.",
      "timestamp",
      "timestamp_out_of_range",
    );
  }
  const identifier = text(form, "identifier") ?? state.nextId("mev");
  if (identifier.length > 100) throw invalid("Invalid identifier: must be at most 100 characters.", "identifier", "string_too_long");
  return { meter, payload, event: { identifier, event_name: eventName, customer, value: Number(rawValue), timestamp, receivedAt: now } };
}

async function createMeterEvent(state: State, form: Form, now: () => number) {
  const { meter, event, payload } = readMeterEvent(state, form, now());
  const lock = `${event.customer}|${meter.id}`;
  if (state.inFlight.has(lock)) {
    state.concurrentRefused++;
    throw new StripeApiError(
      429,
      "Too many concurrent requests for this customer and meter: send one at a time.",
      "invalid_request_error",
      null,
      "rate_limit",
    );
  }
  state.inFlight.add(lock);
  try {
    if (state.latencyMs) await new Promise((r) => setTimeout(r, state.latencyMs));
    const first = state.identifiers.get(event.identifier);
    if (first !== undefined && now() - first < IDENTIFIER_WINDOW_MS) {
      state.deduplicated.push({ ...event, receivedAt: now(), firstReceivedAt: first });
      throw invalid(`An event already exists with identifier ${event.identifier}.`, "identifier", "resource_already_exists", {
        "Stripe-Should-Retry": "false",
      });
    }
    state.identifiers.set(event.identifier, now());
    state.received.push({ ...event, receivedAt: now() });
    return {
      object: "billing.meter_event",
      created: Math.floor(now() / 1000),
      event_name: event.event_name,
      identifier: event.identifier,
      livemode: false,
      payload,
      timestamp: event.timestamp,
    };
  } finally {
    state.inFlight.delete(lock);
  }
}

/** Every answer carries a `request-id`, as Stripe's do. */
const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  sendJsonWith(res, status, body, { "request-id": `req_local_${Date.now()}`, ...headers });

const sendError = (res: http.ServerResponse, err: StripeApiError) =>
  sendJson(res, err.status, { error: { type: err.type, message: err.message, param: err.param, code: err.code } }, err.headers);

const readRequestBody = (req: http.IncomingMessage) =>
  readBody(req, MAX_BODY_BYTES, () => new StripeApiError(413, "Request body too large."));

function checkKey(req: http.IncomingMessage): void {
  const key = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!key) throw new StripeApiError(401, "You did not provide an API key.");
  if (!/^(sk|rk)_test_/.test(key))
    throw new StripeApiError(401, "The local Stripe takes test-mode keys only (sk_test_…): a live key never belongs here.");
}

async function api(state: State, req: http.IncomingMessage, path: string, body: string, now: () => number): Promise<unknown> {
  const form = parseForm(body);
  if (req.method === "POST" && path === "/v1/customers") return createCustomer(state, form, now());
  const customer = /^\/v1\/customers\/([A-Za-z0-9_]+)$/.exec(path);
  if (req.method === "GET" && customer) {
    const found = state.customers.get(customer[1]);
    if (!found) throw new StripeApiError(404, `No such customer: '${customer[1]}'`, "invalid_request_error", "id", "resource_missing");
    return found;
  }
  if (req.method === "POST" && path === "/v1/billing/meters") return createMeter(state, form, now());
  if (req.method === "GET" && path === "/v1/billing/meters") {
    return { object: "list", data: [...state.meters.values()].map((m) => m.object), has_more: false, url: "/v1/billing/meters" };
  }
  if (req.method === "POST" && path === "/v1/billing/meter_events") return createMeterEvent(state, form, now);
  throw new StripeApiError(404, `Unrecognized request URL (${req.method}: ${path}).`);
}

/** A /v1 call: faults first, then auth, then the idempotency key's replay, then the endpoint. */
async function handleApi(
  state: State,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  now: () => number,
): Promise<void> {
  const body = await readRequestBody(req);
  if (state.faults.count > 0) {
    state.faults.count--;
    state.faulted++;
    const status = state.faults.status;
    const rateLimited = status === 429;
    const message = rateLimited
      ? "Request rate limit exceeded. Retry after a short wait."
      : "An error occurred with our connection to Stripe.";
    throw new StripeApiError(status, message, rateLimited ? "invalid_request_error" : "api_error", null, rateLimited ? "rate_limit" : null);
  }
  checkKey(req);
  const key = req.headers["idempotency-key"];
  const request = `${req.method} ${path} ${body}`;
  const seen = typeof key === "string" ? state.idempotency.get(key) : undefined;
  if (seen && now() - seen.at < DAY_MS) {
    if (seen.request !== request) {
      throw new StripeApiError(
        400,
        `Keys for idempotent requests can only be used with the same parameters they were first used with.`,
        "idempotency_error",
      );
    }
    return sendJson(res, seen.status, seen.body, { "idempotent-replayed": "true" });
  }
  let status = 200;
  let answer: unknown;
  try {
    answer = await api(state, req, path, body, now);
  } catch (err) {
    if (!(err instanceof StripeApiError) || err.status === 429 || err.status >= 500) throw err;
    status = err.status;
    answer = { error: { type: err.type, message: err.message, param: err.param, code: err.code } };
    if (typeof key === "string") state.idempotency.set(key, { at: now(), request, status, body: answer });
    return sendJson(res, status, answer, err.headers);
  }
  if (typeof key === "string") state.idempotency.set(key, { at: now(), request, status, body: answer });
  sendJson(res, status, answer);
}

async function control(state: State, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
  if (req.method === "GET" && path === "/_control/meter_events") {
    return sendJson(res, 200, {
      received: state.received,
      deduplicated: state.deduplicated,
      faulted: state.faulted,
      concurrentRefused: state.concurrentRefused,
    });
  }
  const body = req.method === "POST" ? (JSON.parse((await readRequestBody(req)) || "{}") as Record<string, unknown>) : {};
  if (req.method === "POST" && path === "/_control/faults") {
    const status = Number(body.status);
    const count = Number(body.count);
    if (!(status === 429 || (status >= 500 && status <= 599)) || !Number.isInteger(count) || count < 0) {
      throw new StripeApiError(400, "faults: {status: 429 or 5xx, count: a whole number}");
    }
    state.faults = { status, count };
    return sendJson(res, 200, { ok: true, faults: state.faults });
  }
  if (req.method === "POST" && path === "/_control/latency") {
    state.latencyMs = Math.max(0, Math.min(Number(body.ms) || 0, 10_000));
    return sendJson(res, 200, { ok: true, latencyMs: state.latencyMs });
  }
  if (req.method === "POST" && path === "/_control/reset") {
    Object.assign(state, new State());
    return sendJson(res, 200, { ok: true });
  }
  throw new StripeApiError(404, `Unknown control: ${req.method} ${path}`);
}

/** Starts the local Stripe; resolves once it listens. */
export function startLocalStripe(options: LocalStripeOptions = {}): Promise<http.Server> {
  const state = new State();
  const now = options.now ?? Date.now;
  return listenLocal(
    options.port ?? LOCAL_STRIPE_PORT,
    (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      return path.startsWith("/_control/") ? control(state, req, res, path) : handleApi(state, req, res, path, now);
    },
    (res, err) => {
      if (err instanceof StripeApiError) return sendError(res, err);
      if (err instanceof SyntaxError) return sendError(res, new StripeApiError(400, "Control bodies are JSON."));
      sendError(res, new StripeApiError(500, "Local Stripe internal error.", "api_error"));
    },
  );
}

if (require.main === module) {
  const port = Number(process.env.LOCAL_STRIPE_PORT ?? LOCAL_STRIPE_PORT);
  runAlone(
    "local Stripe",
    port,
    () => startLocalStripe({ port }),
    `http://127.0.0.1:${port} (stripe SDK: host 127.0.0.1, port ${port}, protocol http)`,
  );
}
