/**
 * setAgentStatus: the owner pauses or resumes an agent. A paused agent takes no new message
 * (sendMessage answers failed-precondition); a retry of a message billed before is still replayed.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { SetAgentStatusRequest, SetAgentStatusResponse } from "../contract/console";
import { loadOwnedAgent } from "../store/agents";
import { writeAgentStatus } from "../store/agent-status";

export async function handleSetAgentStatus(db: Firestore, uid: string, req: SetAgentStatusRequest): Promise<SetAgentStatusResponse> {
  await loadOwnedAgent(db, req.agentId, uid);
  const previousStatus = await writeAgentStatus(db, req.agentId, uid, req.status);
  return { agentId: req.agentId, status: req.status, previousStatus };
}
