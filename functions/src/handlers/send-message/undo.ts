/**
 * The one undo of a claimed message that will not be billed: refused by a limit, failed at the
 * agent before any text reached the caller, or answered with a reply that cannot be priced.
 */
import { isFailedPrecondition } from "../../errors";
import { recordFailure, releaseClaimInto } from "../../store/ledger";
import { failureIds, type PreparedMessage, type SendMessageDeps } from "./context";
import { giveBackInto, type Admission, type GiveBack } from "./spend";

/**
 * Undoes a claimed message: records why when the agent was involved (`failureReason`, kept in
 * billing_failures for the alerts, `charged: false`), then gives back what its admission counted
 * (the spend hold, the development counts) and releases the claim in one batch, so a retry with
 * the same messageId starts afresh exactly when nothing of this one is left. Only the claim this
 * request wrote is released: one taken over meanwhile belongs to its new holder. `rate` gives back
 * the rate count too, for a message counted again at once (see {@link giveBackInto}).
 */
export async function undo(
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Admission,
  failureReason?: string,
  { rate = false }: Pick<GiveBack, "rate"> = {},
): Promise<void> {
  if (failureReason !== undefined) {
    const failure = { ...failureIds(message), stage: "agent-call" as const, reason: failureReason, charged: false };
    await recordFailure(deps.db, failure, deps.now());
  }
  const batch = deps.db.batch();
  giveBackInto(batch, deps, message, admission, { rate });
  if (admission.claimWrittenAt) releaseClaimInto(batch, deps.db, message.id, admission.claimWrittenAt);
  try {
    await batch.commit();
  } catch (err) {
    if (!isFailedPrecondition(err)) throw err;
    // The claim was taken over while this request ran: it and the hold are the new holder's.
    const giveBack = deps.db.batch();
    giveBackInto(giveBack, deps, message, admission, { hold: false, rate });
    await giveBack.commit();
  }
}

/** Runs `step` for a claimed message; when it throws, undoes the message (see {@link undo}) and rethrows. */
export async function undoOnError<T>(
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Admission,
  failureReason: string | undefined,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await undo(deps, message, admission, failureReason);
    throw err;
  }
}
