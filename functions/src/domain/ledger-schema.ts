/**
 * The shape a ledger row must have before the rollup counts it. A row that fails here (or whose
 * signature does not verify) was not written by the backend and is refused.
 */
import { z } from "zod";
import { idSchema } from "../contract/common";
import { endUserHashOf, MAX_END_USER_CHARS } from "./api-keys";
import { isSafeModelName, ledgerId, sessionId } from "./ids";
import { LEDGER_WRITER, type LedgerRow } from "./ledger";
import { verifyRow } from "./ledger-signature";

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const id = idSchema;

export const ledgerRowSchema = z.object({
  agentId: id,
  conversationId: id,
  messageId: id,
  userId: z.string().min(1).max(128),
  sessionId: z.string(),
  userMessage: z.string(),
  agentResponse: z.string(),
  tokens: z.object({ prompt: count, completion: count, total: count, cached: count }),
  cost: z.number().nonnegative(),
  timestamp: z.iso.datetime(),
  billable: z.boolean(),
  testMode: z.boolean(),
  mode: z.enum(["production", "development"]),
  // It becomes a key of the daily bucket's byModel map: the rollup refuses a row it could not count.
  model: z.string().refine(isSafeModelName, { error: "is not a model name the rollups can key by" }),
  costMicros: count,
  shadowCostMicros: count,
  usageSource: z.enum(["provider", "estimated"]),
  priceVersion: z.string().min(1),
  localDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  latencyMs: count,
  partial: z.literal(true).optional(),
  apiKeyId: z
    .string()
    .regex(/^[a-z0-9]{20}$/)
    .optional(),
  endUser: z.string().min(1).max(MAX_END_USER_CHARS).optional(),
  endUserHash: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  creditGrantId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  orgId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional(),
  senderUid: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional(),
  writer: z.literal(LEDGER_WRITER),
  kid: z
    .string()
    .regex(/^[0-9a-f]{8}$/)
    .optional(),
  sig: z.string().min(1),
});

/** Why a stored document is not a countable ledger row, or null when it is one. */
export function rowProblem(docId: string, data: unknown, signingKey: string): string | null {
  const parsed = ledgerRowSchema.safeParse(data);
  if (!parsed.success) return `shape: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`;
  const row = parsed.data as LedgerRow;
  if (docId !== ledgerId(row.agentId, row.conversationId, row.messageId)) return "document id does not match the row's ids";
  if (row.sessionId !== sessionId(row.agentId, row.conversationId)) return "sessionId does not match the row's ids";
  if (row.tokens.total !== row.tokens.prompt + row.tokens.completion || row.tokens.cached > row.tokens.prompt) return "inconsistent tokens";
  if (row.billable !== (row.mode === "production") || row.testMode === row.billable) return "inconsistent mode";
  if (!row.billable && row.costMicros !== 0) return "development row with a cost";
  if (!row.billable && row.creditGrantId !== undefined) return "development row paid by a credit grant";
  if ((row.endUser === undefined) !== (row.endUserHash === undefined)) return "end user without its hash, or a hash without its end user";
  if (row.endUser !== undefined && (row.apiKeyId === undefined || row.endUserHash !== endUserHashOf(row.agentId, row.endUser))) {
    return "end user does not match its hash or has no key";
  }
  if (row.senderUid !== undefined && row.orgId === undefined) return "sender without an organisation";
  if (!verifyRow(row, signingKey)) return "signature does not verify";
  return null;
}
