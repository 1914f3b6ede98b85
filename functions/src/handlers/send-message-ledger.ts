/**
 * The exactly-once part of sendMessage: the claim taken before the agent is called, the replay of
 * a stored row, and the ledger write that is retried and, failing that, kept to be recovered.
 */
import type { SendMessageRequest } from "../contract/send-message";
import type { LedgerRow } from "../domain/ledger";
import { BillingError, invalidArgument, unavailable } from "../errors";
import { logFailure } from "../logs";
import * as ledger from "../store/ledger";
import { failureIds, sleeper, type Prepared, type SendMessageDeps } from "./send-message-context";

const DEFAULT_CLAIM_WAIT_MS = 90_000;

/** A messageId is an idempotency key: reusing it for another message is a caller error. */
function sameRequest(row: LedgerRow, req: SendMessageRequest): LedgerRow {
  if (row.userMessage !== req.message || row.mode !== req.testMode) {
    throw invalidArgument(`messageId: "${row.messageId}" was already used for a different message.`);
  }
  return row;
}

/**
 * The stored row of a claimed message: from the ledger, or recovered from the failure record of a
 * request whose agent call succeeded but whose ledger write did not (written now, so the message is
 * billed once and the agent is not called again).
 */
async function storedRow(deps: SendMessageDeps, id: string): Promise<LedgerRow | null> {
  const row = await ledger.getLedgerRow(deps.db, id);
  if (row) return row;
  const kept = await ledger.getUnwrittenRow(deps.db, id);
  if (!kept) return null;
  await ledger.writeLedgerRow(deps.db, id, kept);
  await ledger.markRecovered(deps.db, id, deps.now());
  return kept;
}

/**
 * Claims the message, or returns its stored row. A duplicate of a request still running waits for
 * it (bounded below the function timeout); a claim whose holder died is taken over.
 */
export async function claimOrReplay(deps: SendMessageDeps, p: Prepared): Promise<LedgerRow | null> {
  const giveUpAt = deps.now() + (deps.claimWaitMs ?? DEFAULT_CLAIM_WAIT_MS);
  for (;;) {
    const at = deps.now();
    if (await ledger.claimMessage(deps.db, p.id, { userId: p.uid, agentId: p.req.agentId, at })) return null;
    const row = await storedRow(deps, p.id);
    if (row) return sameRequest(row, p.req);
    const claimedAt = await ledger.claimTime(deps.db, p.id);
    if (claimedAt === null) continue;
    const staleBefore = at - deps.claimTtlMs;
    if (claimedAt < staleBefore && (await ledger.takeOverStaleClaim(deps.db, p.id, staleBefore, at))) return null;
    if (at > giveUpAt) throw unavailable("This message is still being processed; retry later with the same messageId.");
    await sleeper(deps)(200);
  }
}

/** Runs `step` while holding the claim; releases the claim when it fails, so the caller may retry. */
export async function releasingClaimOnError<T>(deps: SendMessageDeps, p: Prepared, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await ledger.releaseClaim(deps.db, p.id);
    throw err;
  }
}

const LEDGER_WRITE_ATTEMPTS = 3;

/**
 * Writes the row, retrying. A row that cannot be written is kept whole in billing_failures (the
 * claim stays), and the next request with the same messageId writes it: billed once, never lost.
 */
export async function persistRow(deps: SendMessageDeps, p: Prepared, row: LedgerRow): Promise<void> {
  let last: unknown;
  for (let attempt = 1; attempt <= LEDGER_WRITE_ATTEMPTS; attempt++) {
    try {
      return await ledger.writeLedgerRow(deps.db, p.id, row);
    } catch (err) {
      last = err;
      if (attempt < LEDGER_WRITE_ATTEMPTS) await sleeper(deps)(100 * 2 ** attempt);
    }
  }
  const failure: ledger.BillingFailure = {
    ...failureIds(p),
    stage: "ledger-write",
    reason: `ledger write failed after ${LEDGER_WRITE_ATTEMPTS} attempts`,
    charged: false,
    usage: row.tokens,
    costMicros: row.costMicros,
    row,
  };
  logFailure("ledger-write", failure, last);
  await ledger.recordFailure(deps.db, failure, deps.now());
  throw new BillingError("internal", "The message could not be recorded.");
}
