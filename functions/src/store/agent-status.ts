/** An agent's `status`, written by the backend only (the rules keep it from clients). */
import type { Firestore } from "firebase-admin/firestore";
import type { AgentStatus } from "../contract/console";
import { COLLECTIONS } from "../base/collections";
import { notFound, permissionDenied } from "../errors";
import type { AgentDoc } from "./agents";

/**
 * Sets the status of `uid`'s agent in a transaction that checks the owner again, so an agent that
 * changed hands or disappeared is never written; returns the status it had.
 */
export async function writeAgentStatus(db: Firestore, agentId: string, uid: string, status: AgentStatus): Promise<AgentStatus> {
  const ref = db.doc(`${COLLECTIONS.agents}/${agentId}`);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) throw notFound(`Agent "${agentId}"`);
    const agent = snap.data() as AgentDoc;
    if (agent.userId !== uid) throw permissionDenied();
    const previous: AgentStatus = agent.status === "paused" ? "paused" : "active";
    if (previous !== status || agent.status !== status) tx.update(ref, { status });
    return previous;
  });
}
