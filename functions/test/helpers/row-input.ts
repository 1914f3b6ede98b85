/** A ledger row builder's input with test defaults (a gpt-4 production exchange at `at`), for the unit tests of rows. */
import type { LedgerRowInput } from "../../src/domain/ledger-row";
import { resolvePrice } from "../../src/domain/pricing";

export function rowInput(at: number, overrides: Partial<LedgerRowInput> = {}): LedgerRowInput {
  return {
    agentId: "agent-1",
    conversationId: "conv-1",
    messageId: "msg-1",
    userId: "owner-1",
    mode: "production",
    model: "gpt-4",
    userMessage: "hello",
    agentResponse: "hi",
    usage: { prompt: 100, completion: 50, total: 150, cached: 0 },
    usageSource: "provider",
    price: resolvePrice("gpt-4"),
    at,
    timezone: "UTC",
    latencyMs: 12,
    ...overrides,
  };
}
