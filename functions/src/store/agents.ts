/** Agents and the ownership check every callable makes. */
import type { DocumentReference, DocumentSnapshot, Firestore, Timestamp, Transaction } from "firebase-admin/firestore";
import type { ModelPrice } from "../domain/pricing";
import { effectiveTimezone, type TimezoneSettings } from "../domain/agent-timezone";
import { notFound, permissionDenied } from "../errors";
import { COLLECTIONS } from "../base/collections";
import { can, type OrgAction } from "../domain/orgs";
import { memberRef, roleOf } from "./orgs";

/** Billing settings of an agent; money in micro-USD. Written only by setAgentBillingSettings. */
export interface BillingSettings extends TimezoneSettings {
  dailyLimitMicros?: number | null;
  monthlyLimitMicros?: number | null;
  dailyAlertMicros?: number | null;
  alertEmail?: string | null;
  /** E.164 phone number alert SMS go to. */
  alertPhone?: string | null;
  webhookUrl?: string | null;
}

/** A document of `alchemist_agents`. */
export interface AgentDoc {
  userId: string;
  name?: string;
  model?: string;
  systemPrompt?: string;
  status?: "active" | "paused";
  billing?: BillingSettings;
  /**
   * The organisation that owns the agent (issue #18), set when it is created and never changed:
   * its members use it by role (domain/orgs.ts). Its messages are billed to `userId`, the owner or
   * admin of the org who created it.
   */
  orgId?: string;
  /**
   * The agent's own price (set by the backend only), overriding the price book for `model` only:
   * if the agent's model changes, the price book applies again.
   */
  pricing?: ModelPrice & { model: string };
}

export { DEFAULT_TIMEZONE } from "../domain/agent-timezone";

/** The timezone the agent's local days and months are counted in at `now` (see domain/agent-timezone.ts). */
export const agentTimezone = (agent: AgentDoc, now: number) => effectiveTimezone(agent.billing, now);

/** An agent as read, with its version (the document's update time): equal versions are equal agents. */
export interface AgentVersion {
  agent: AgentDoc;
  version: Timestamp;
}

export const agentRef = (db: Firestore, agentId: string): DocumentReference => db.doc(`${COLLECTIONS.agents}/${agentId}`);

/** The agent read as `snap`, with its version; null when there is none. */
export const agentVersionOf = (snap: DocumentSnapshot): AgentVersion | null =>
  snap.exists && snap.updateTime ? { agent: snap.data() as AgentDoc, version: snap.updateTime } : null;

/** Reads an agent with its version; null when there is none. */
export async function readAgent(db: Firestore, agentId: string): Promise<AgentVersion | null> {
  return agentVersionOf(await agentRef(db, agentId).get());
}

/** Checks that `uid` owns the agent read: not-found, then permission-denied. */
export function ownedBy(read: AgentVersion | null, agentId: string, uid: string): AgentVersion {
  if (!read) throw notFound(`Agent "${agentId}"`);
  if (read.agent.userId !== uid) throw permissionDenied();
  return read;
}

/** Loads an agent and checks that `uid` owns it: not-found, then permission-denied. */
export async function loadOwnedAgent(db: Firestore, agentId: string, uid: string): Promise<AgentDoc> {
  return ownedBy(await readAgent(db, agentId), agentId, uid).agent;
}

/**
 * Loads an agent for `uid` to take `action` on: its owner may take every action on an agent of
 * their own; on an agent an org owns, the org's roles decide for everyone, its creator too
 * (domain/orgs.ts PERMISSIONS), from the membership document read now. Not-found, then
 * permission-denied. The agent's `userId` (whose account it bills, whose documents hold its
 * figures) never changes, so callers query by it.
 */
export async function loadAgentFor(db: Firestore, agentId: string, uid: string, action: OrgAction): Promise<AgentDoc> {
  const read = await readAgent(db, agentId);
  if (!read) throw notFound(`Agent "${agentId}"`);
  const { agent } = read;
  if (agent.orgId === undefined) return ownedBy(read, agentId, uid).agent;
  const role = roleOf(await memberRef(db, agent.orgId, uid).get());
  if (role === null) throw permissionDenied("You are not a member of the organisation that owns this agent.");
  if (!can(role, action)) throw permissionDenied(`A ${role} member of the organisation cannot do this (${ACTION_WORDS[action]}).`);
  return agent;
}

/** What each action is, in a refusal's words. */
const ACTION_WORDS: Record<OrgAction, string> = {
  manageMembers: "manage members",
  manageAgents: "create or edit the org's agents",
  changeAgentSettings: "change an agent's settings",
  sendMessages: "send messages",
  readConversations: "read conversations",
  seeCosts: "see costs",
};

/** Loads an agent in a transaction and checks that `uid` owns it (see {@link ownedBy}). */
export async function loadOwnedAgentIn(tx: Transaction, db: Firestore, agentId: string, uid: string): Promise<AgentDoc> {
  return ownedBy(agentVersionOf(await tx.get(agentRef(db, agentId))), agentId, uid).agent;
}

/**
 * The agents this instance read last, so that sendMessage can claim a message before it reads its
 * agent again, in the read it makes anyway (handlers/send-message). A copy is never trusted alone:
 * the message goes on only if that read finds the same version, so a copy needs no expiry.
 * Bounded: past `capacity` agents the one read longest ago is dropped.
 */
export class AgentCache {
  private readonly entries = new Map<string, AgentVersion>();

  constructor(private readonly capacity = 1_000) {}

  get(agentId: string): AgentVersion | undefined {
    return this.entries.get(agentId);
  }

  /** Keeps the agent's latest version (a read that answers late does not replace a newer one); null (no such agent) forgets it. */
  set(agentId: string, read: AgentVersion | null): void {
    const kept = this.entries.get(agentId);
    this.entries.delete(agentId);
    if (!read) return;
    this.entries.set(agentId, kept && kept.version.valueOf() > read.version.valueOf() ? kept : read);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** Whether two reads of an agent found the same version of it. */
export const sameVersion = (a: AgentVersion | null, b: AgentVersion | null): boolean =>
  a !== null && b !== null && a.version.isEqual(b.version);
