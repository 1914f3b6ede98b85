/**
 * The seed's debug switch: `localStorage.setItem('DEBUG_BILLING', 'true')` in a browser,
 * `DEBUG_BILLING=true` in Node, or the client's `debug` option. When on, every call logs its name,
 * latency, attempts and billing figures: never an ID token, a message or an answer.
 */
import type { CallableName } from "functions/src/contract/callables";

/** Receives one line per call when debugging is on. */
export type DebugLogger = (line: string, fields: Record<string, unknown>) => void;

const consoleLogger: DebugLogger = (line, fields) => console.debug(`[billing] ${line}`, fields);

function fromLocalStorage(): boolean {
  try {
    const storage = (globalThis as { localStorage?: { getItem(key: string): string | null } }).localStorage;
    return storage?.getItem("DEBUG_BILLING") === "true";
  } catch {
    // Storage can be present but forbidden (sandboxed iframes, privacy modes): treat as off.
    return false;
  }
}

function fromEnvironment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.DEBUG_BILLING === "true";
}

/**
 * Whether debug logging is on. Read at every call, so flipping the localStorage flag takes effect
 * without a reload (as in the seed). `option` true forces it on; false leaves it to the flags.
 */
export function billingDebugEnabled(option?: boolean): boolean {
  return option === true || fromLocalStorage() || fromEnvironment();
}

/** What a call is logged as: a callable's name, or one of the export's two forms. */
export type CallName = CallableName | "exportBillingReport" | "openBillingReport";

type Figures = Record<string, unknown>;
const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined), value);

/** Billing figures worth logging for each call: numbers and flags only, picked by name. */
const FIGURES: { readonly [N in CallName]?: (result: unknown) => Figures } = {
  sendMessage: (r) => ({
    messageId: get(r, "messageId"),
    testMode: get(r, "testMode"),
    billable: get(r, "billable"),
    replayed: get(r, "replayed"),
    tokens: get(r, "tokens", "total"),
    costMicros: get(r, "costMicros"),
    shadowCostMicros: get(r, "shadowCostMicros"),
    sessionCostMicros: get(r, "session", "totalCostMicros"),
  }),
  saveBillingSession: (r) => ({
    messageCount: get(r, "session", "messageCount"),
    totalCostMicros: get(r, "session", "totalCostMicros"),
    mismatches: (get(r, "mismatches") as unknown[] | undefined)?.length,
  }),
  getBillingInfo: (r) => ({
    totalMessages: get(r, "summary", "totalMessages"),
    totalCostMicros: get(r, "summary", "totalCostMicros"),
    dailyRemainingMicros: get(r, "limits", "daily", "remainingMicros"),
  }),
  getUsageAnalytics: (r) => ({
    messages: get(r, "totals", "messages"),
    costMicros: get(r, "totals", "costMicros"),
    documentsRead: get(r, "documentsRead"),
  }),
  listBillableConversations: (r) => ({ items: (get(r, "items") as unknown[] | undefined)?.length, more: get(r, "nextPageToken") !== null }),
  setAgentBillingSettings: (r) => ({ dailyLimitMicros: get(r, "dailyLimitMicros"), monthlyLimitMicros: get(r, "monthlyLimitMicros") }),
  setAgentStatus: (r) => ({ status: get(r, "status"), previousStatus: get(r, "previousStatus") }),
  quoteMessage: (r) => ({ worstCaseMicros: get(r, "worstCaseMicros"), dailyRemainingMicros: get(r, "daily", "remainingMicros") }),
  listBillingAlerts: (r) => ({ items: (get(r, "items") as unknown[] | undefined)?.length, more: get(r, "nextPageToken") !== null }),
  getAccountOverview: (r) => ({
    costMicros: get(r, "totals", "costMicros"),
    agents: (get(r, "agents") as unknown[] | undefined)?.length,
    documentsRead: get(r, "documentsRead"),
  }),
  getStatement: (r) => ({
    status: get(r, "status"),
    totalMicros: get(r, "totalMicros"),
    lines: (get(r, "lines") as unknown[] | undefined)?.length,
  }),
  listStatements: (r) => ({ items: (get(r, "items") as unknown[] | undefined)?.length }),
  exportBillingReport: (r) => ({ characters: typeof r === "string" ? r.length : undefined }),
};

/** What one finished call reports. */
export interface CallRecord {
  name: CallName;
  startedAt: number;
  attempts: number;
  result?: unknown;
  errorCode?: string;
}

/** Logs a finished call when debugging is on. */
export function logCall(enabled: boolean, logger: DebugLogger | undefined, call: CallRecord, now = Date.now()): void {
  if (!enabled) return;
  const latencyMs = now - call.startedAt;
  const outcome = call.errorCode ? `failed (${call.errorCode})` : "ok";
  const figures = call.errorCode ? {} : (FIGURES[call.name]?.(call.result) ?? {});
  (logger ?? consoleLogger)(`${call.name} ${outcome} in ${latencyMs} ms`, {
    call: call.name,
    latencyMs,
    attempts: call.attempts,
    ...figures,
  });
}
