/**
 * The exactly-once part of sendMessage: the claim taken before the agent is called, the replay of
 * a stored row, and the ledger write that is retried and, failing that, kept to be recovered.
 */
import type { Timestamp } from "firebase-admin/firestore";
import type { LedgerRow } from "../../domain/ledger";
import { BillingError, invalidArgument, unavailable } from "../../errors";
import { logFailure } from "../../logs";
import * as ledger from "../../store/ledger";
import { enforceRateLimit } from "../../store/rate-limit";
import { failureIds, type MeteredRequest, type PreparedMessage, type SendMessageDeps } from "./context";
import { devUserOf, giveBackInto, type Admission } from "./spend";

/** A messageId is an idempotency key: reusing it for another message is a caller error. */
function sameRequest(row: LedgerRow, req: MeteredRequest): LedgerRow {
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

/** A duplicate waits for the request holding the claim, looking again after 200 ms, then twice as long each time, up to 3 s. */
const DUPLICATE_POLL_MS = 200;
const DUPLICATE_POLL_MAX_MS = 3_000;

/**
 * Counts a request that repeats a claimed message (a replay, or a duplicate of one still running)
 * against the caller's rate limit: it counts nothing else, but it costs reads, so a flood of
 * repeats is refused like any flood.
 */
export async function countRepeat(deps: SendMessageDeps, rateKey: string): Promise<void> {
  if (deps.userLimits) await enforceRateLimit(deps.db, rateKey, deps.userLimits, deps.now());
}

/** The stored row of a message, when this request repeats it (see {@link storedRow}); null when it was never billed. */
export async function storedReplay(deps: SendMessageDeps, id: string, req: MeteredRequest): Promise<LedgerRow | null> {
  const row = await storedRow(deps, id);
  return row ? sameRequest(row, req) : null;
}

/** A claimed message: new (its claim written at `claimWrittenAt`), or a replay of its stored row. */
export type Claimed = { kind: "new"; claimWrittenAt: Timestamp } | { kind: "replay"; row: LedgerRow };

/**
 * Claims the message, with `writes` committed in the same batch (what a new message counts, as
 * `admission` says: the claim records it for the sweeper), or
 * returns its stored row, having written nothing. A duplicate of a request still running waits for
 * it (bounded below the function timeout); a claim whose holder died is taken over, and `writes`
 * committed after.
 */
export async function claimOrReplay(
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Pick<Admission, "devUserDay" | "scopes" | "credits">,
  writes: ledger.ClaimWrites,
): Promise<Claimed> {
  const giveUpAt = deps.now() + deps.claimWaitMs;
  for (let attempt = 0; ; attempt++) {
    const at = deps.now();
    const claim: ledger.Claim = {
      userId: message.uid,
      agentId: message.req.agentId,
      conversationId: message.req.conversationId,
      messageId: message.messageId,
      at,
      mode: message.req.testMode,
      ...message.windows,
      devUserDay: admission.devUserDay,
      ...(admission.devUserDay && devUserOf(message) !== message.uid ? { devUserId: devUserOf(message) } : {}),
      // Every scope beside the agent's it holds in (API key, end user, credit grants), for the sweeper to give back.
      ...(admission.scopes.length || admission.credits.length
        ? { scopes: [...admission.scopes, ...admission.credits].map((scope) => scope.agentId) }
        : {}),
    };
    const claimWrittenAt = await ledger.claimMessage(deps.db, message.id, claim, writes);
    if (claimWrittenAt) return { kind: "new", claimWrittenAt };
    if (attempt === 0) await countRepeat(deps, message.sender.rateKey);
    const row = await storedReplay(deps, message.id, message.req);
    if (row) return { kind: "replay", row };
    const claimedAt = await ledger.claimTime(deps.db, message.id);
    if (claimedAt === null) continue;
    const staleBefore = at - deps.claimTtlMs;
    if (claimedAt < staleBefore) {
      const takenAt = await ledger.takeOverStaleClaim(deps.db, message.id, staleBefore, claim, writes);
      if (takenAt) return { kind: "new", claimWrittenAt: takenAt };
    }
    if (at > giveUpAt) throw unavailable("This message is still being processed; retry later with the same messageId.");
    await deps.sleep(Math.min(DUPLICATE_POLL_MS * 2 ** attempt, DUPLICATE_POLL_MAX_MS));
  }
}

const LEDGER_WRITE_ATTEMPTS = 3;

/** Whether two rows are one write (a request's rows differ in their instant and answer, which the signature leaves out). */
const sameRow = (a: LedgerRow, b: LedgerRow) => a.sig === b.sig && a.timestamp === b.timestamp && a.agentResponse === b.agentResponse;

/**
 * Another request for the same message held the claim too (one of the two took it over from the
 * other, which outlived twice the function timeout and still ran), and its row was written first:
 * that row is the message's, billed once. This answer is not billed; what this request counted beyond that row is given back (its development counts;
 * its hold has the row's key and ended with it), the answer is recorded for review (stage
 * "duplicate-answer", `charged: false`), and the caller gets the stored row as a replay.
 */
async function lostRace(deps: SendMessageDeps, message: PreparedMessage, admission: Admission, row: LedgerRow, stored: LedgerRow) {
  const batch = deps.db.batch();
  giveBackInto(batch, deps, message, admission, { hold: false });
  await batch.commit();
  const reason = "the claim was taken over while this request ran; the other request's row was written first";
  await ledger.recordFailure(
    deps.db,
    { ...failureIds(message), stage: "duplicate-answer", reason, charged: false, usage: row.tokens },
    deps.now(),
  );
  return stored;
}

/**
 * Writes the row, retrying, and returns the row that stands: this one, or the row of another
 * request that held the claim too and wrote first (see {@link lostRace}). A row that
 * cannot be written is kept whole in billing_failures (the claim stays), and the next request with
 * the same messageId writes it: billed once, never lost.
 */
export async function persistRow(
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Admission,
  row: LedgerRow,
): Promise<LedgerRow> {
  let last: unknown;
  for (let attempt = 1; attempt <= LEDGER_WRITE_ATTEMPTS; attempt++) {
    let outcome: ledger.LedgerWriteOutcome;
    try {
      // The grants it held in but that did not pay: their holds end with the row.
      const unpaid = admission.credits.filter((c) => c.grantId !== row.creditGrantId).map((c) => c.agentId);
      outcome = await ledger.writeLedgerRow(deps.db, message.id, row, unpaid);
    } catch (err) {
      last = err;
      if (attempt < LEDGER_WRITE_ATTEMPTS) await deps.sleep(100 * 2 ** attempt);
      continue;
    }
    if (outcome === "created") return row;
    const stored = await ledger.getLedgerRow(deps.db, message.id);
    // Our own row, written by an attempt whose answer was lost on the way back.
    if (!stored || sameRow(stored, row)) return row;
    return lostRace(deps, message, admission, row, stored);
  }
  const failure: ledger.BillingFailure = {
    ...failureIds(message),
    stage: "ledger-write",
    reason: `ledger write failed after ${LEDGER_WRITE_ATTEMPTS} attempts`,
    charged: false,
    usage: row.tokens,
    costMicros: row.costMicros,
    row,
    pendingRecovery: true,
  };
  logFailure("ledger-write", failure, last);
  await ledger.recordFailure(deps.db, failure, deps.now());
  throw new BillingError("internal", "The message could not be recorded.");
}
