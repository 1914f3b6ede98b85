/**
 * getOrgBillingInfo's figures, pure: an org's days (the registry's `org` rollup, shards added in)
 * summed exactly, by agent and by member, and the shared cost (the agent API's messages, which no
 * member sent) allocated to the members by largest remainder (domain/allocation.ts).
 */
import type { OrgBillingInfoResponse, OrgFigures } from "../contract/orgs";
import type { OrgRole } from "../contract/orgs";
import { allocateShared } from "./allocation";
import { addDeltas, SHARED_SENDER, type Deltas } from "./rollups";

/** A member as listed: uid, email and role. */
export interface OrgMemberInfo {
  uid: string;
  email: string | null;
  role: OrgRole;
}

const num = (d: Deltas | undefined, key: string) => (typeof d?.[key] === "number" ? (d[key] as number) : 0);
const sub = (d: Deltas | undefined, key: string) => (d?.[key] && typeof d[key] === "object" ? (d[key] as Deltas) : undefined);

/** The figures of one `{production, development}` map of the rollup. */
export function orgFiguresOf(d: Deltas | undefined): OrgFigures {
  const p = sub(d, "production");
  const dev = sub(d, "development");
  return {
    costMicros: num(p, "costMicros"),
    messages: num(p, "messages"),
    tokens: num(p, "totalTokens"),
    devMessages: num(dev, "messages"),
    devShadowCostMicros: num(dev, "shadowCostMicros"),
  };
}

/** Dearest first, then by key: a stable order for the same figures. */
const dearest =
  <T extends { costMicros: number }>(key: (t: T) => string) =>
  (a: T, b: T) =>
    b.costMicros - a.costMicros || key(a).localeCompare(key(b));

/**
 * The org's totals, agents and members over `days` (each a day's counters, as the store read
 * them). Members who sent nothing are listed with zeros; a sender who is no longer a member is
 * listed with role null, so every figure still adds up to the totals.
 */
export function buildOrgBilling(input: {
  days: readonly Deltas[];
  members: readonly OrgMemberInfo[];
  agentNames: ReadonlyMap<string, string | null>;
}): Pick<OrgBillingInfoResponse, "totals" | "byAgent" | "byMember" | "shared"> {
  const sum: Deltas = {};
  for (const day of input.days) addDeltas(sum, day);
  const byAgentSums = sub(sum, "byAgent") ?? {};
  const byMemberSums = sub(sum, "byMember") ?? {};
  const byAgent = Object.keys(byAgentSums)
    .map((agentId) => ({ agentId, name: input.agentNames.get(agentId) ?? null, ...orgFiguresOf(sub(byAgentSums, agentId)) }))
    .sort(dearest((a) => a.agentId));
  const known = new Map(input.members.map((m) => [m.uid, m]));
  const senders = Object.keys(byMemberSums).filter((uid) => uid !== SHARED_SENDER);
  const people = [...input.members.map((m) => m.uid), ...senders.filter((uid) => !known.has(uid))];
  const figures = people.map((uid) => orgFiguresOf(sub(byMemberSums, uid)));
  const shared = orgFiguresOf(sub(byMemberSums, SHARED_SENDER));
  const allocation = allocateShared(figures, shared.costMicros);
  const byMember = people
    .map((uid, i) => ({
      uid,
      email: known.get(uid)?.email ?? null,
      role: known.get(uid)?.role ?? null,
      ...figures[i],
      sharedCostMicros: allocation[i].sharedMicros,
      allocatedCostMicros: allocation[i].allocatedMicros,
    }))
    .sort((a, b) => b.allocatedCostMicros - a.allocatedCostMicros || a.uid.localeCompare(b.uid));
  return { totals: orgFiguresOf(sum), byAgent, byMember, shared };
}
