/**
 * setAgentStatus: the owner pauses or resumes an agent. A paused agent takes no new message
 * (sendMessage answers failed-precondition); a retry of a message billed before is still replayed.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { SetAgentStatusRequest, SetAgentStatusResponse } from "../contract/console";
import { loadAgentFor } from "../store/agents";
import { writeAgentStatus } from "../store/agent-status";

export async function handleSetAgentStatus(db: Firestore, uid: string, req: SetAgentStatusRequest): Promise<SetAgentStatusResponse> {
  const { userId: owner } = await loadAgentFor(db, req.agentId, uid, "changeAgentSettings");
  const previousStatus = await writeAgentStatus(db, req.agentId, owner, req.status);
  return { agentId: req.agentId, status: req.status, previousStatus };
}
