/**
 * The metering pipeline of sendMessage and the agent API: claim the message, call the agent, price
 * the usage, write one ledger row.
 * Exactly one row per (agent, conversation, messageId): retries replay the stored result and
 * concurrent duplicates wait for the one request that holds the claim.
 *
 * The parts: context.ts (dependencies, the prepared message), claim.ts (claim, replay, the ledger
 * write), spend.ts (the caller's and the agent's limits), undo.ts (what every failure gives back).
 */
import { AgentFailure, type AgentReply } from "../../agent/agent-client";
import type { SendMessageRequest, SendMessageResponse, SessionFigures } from "../../contract/send-message";
import { DEFAULT_COMPLETION_TOKENS } from "../../contract/send-message";
import { isSafeModelName, ledgerId, sessionId } from "../../domain/ids";
import type { DocumentSnapshot } from "firebase-admin/firestore";
import type { LedgerRow, UsageSource } from "../../domain/ledger";
import { buildLedgerRow, type LedgerRowInput, type RowPrice } from "../../domain/ledger-row";
import { DEFAULT_MODEL, resolveAgentPrice } from "../../domain/pricing";
import { apiChatOf, chatOf } from "../../domain/message-quote";
import { countChatTokens, countTextTokens } from "../../domain/tokens";
import { hasUsage, normalizeUsage, type TokenUsage } from "../../domain/usage";
import { boundUsage, usageBound } from "../../domain/usage-bounds";
import { localDay, localMonth } from "../../base/periods";
import { BillingError, failedPrecondition, permissionDenied, unavailable } from "../../errors";
import { can, NO_BUDGETS, sameBudgets } from "../../domain/orgs";
import { budgetsOf, memberRef, orgRef, roleOf } from "../../store/orgs";
import { creditCandidates } from "../../domain/credits";
import { agentRef, agentTimezone, agentVersionOf, ownedBy, sameVersion, type AgentDoc, type AgentVersion } from "../../store/agents";
import { accountRef, accountVersionOf, NO_ACCOUNT, sameAccount, type AccountVersion } from "../../store/billing-accounts";
import { recordFailure } from "../../store/ledger";
import { readSessionFigures, sessionFiguresOf, sessionRef } from "../../store/sessions";
import { claimOrReplay, countRepeat, persistRow, storedReplay } from "./claim";
import {
  failureIds,
  ownerSender,
  senderFor,
  type MeteredRequest,
  type OrgPart,
  type PreparedMessage,
  type Sender,
  type SendMessageDeps,
} from "./context";
import { admissionOf, countInto, readAdmission, type Admission } from "./spend";
import { undo, undoOnError } from "./undo";

export { sendMessageDeps, type MeteredRequest, type Sender, type SendMessageDeps, type UserLimits } from "./context";

/** The failure recorded when a reply cannot become a row (usage past what can be priced, no signing key): nothing is billed. */
const UNBUILT_ROW = "the agent's reply could not be priced or signed";

/** A metered message: its row (new, or stored and replayed) and its session's figures. */
export interface Metered {
  row: LedgerRow;
  replayed: boolean;
  session: SessionFigures;
}

/** Handles one sendMessage call for the signed-in `uid` (the owner sends as themselves); `onDelta` receives streamed text. */
export async function handleSendMessage(
  deps: SendMessageDeps,
  uid: string,
  req: SendMessageRequest,
  onDelta?: (delta: string) => unknown,
): Promise<SendMessageResponse> {
  const { row, replayed, session } = await meterMessage(deps, ownerSender(uid), req, onDelta);
  return toResponse(row, replayed, session);
}

/**
 * The one metering pipeline, for sendMessage and the agent API alike: claim, limits, the agent
 * call, the signed row, and the undo of every failure, for a message of `caller` (the owner, a
 * member of the org that owns the agent, or an API key billed to the owner).
 *
 * Round trips before the agent is called: the claim batch, then one read (the counters, the
 * session's figures, the agent's version and, for a production message, the owner's account's
 * version; for an org agent, the org's budgets and the sender's membership). The claim is built
 * from this instance's last copy of the agent (deps.agents), of the owner's account (deps.accounts:
 * its credit grants, held in the claim batch) and of the org's budgets (deps.orgs), and the
 * message goes on only if that read finds the same versions; otherwise what was claimed is given
 * back and the message starts again from that read. So a copy is never trusted alone: a paused
 * agent, a lowered limit, a new model, a grant or a budget changed takes effect for every message
 * read after the change, as with no copy. With no usable copy (the first message on this
 * instance, another owner's agent, an agent that would refuse the message), the agent (and the
 * account) are read first, in one getAll, and the agent is read again after the claim all the same:
 * a limit set between the two reads must count this message, and only a read after its hold is
 * committed makes it (domain/admission.ts: the messages admitted under the limit then see the hold).
 */
export async function meterMessage(deps: SendMessageDeps, caller: Sender, req: MeteredRequest, onDelta?: DeltaHandler): Promise<Metered> {
  // Development messages never use credits: their owner's account is neither held in nor read.
  const production = req.testMode === "production";
  let read: Copies | undefined;
  const known = deps.agents.get(req.agentId);
  const knownAccount = known && production ? deps.accounts.get(known.agent.userId) : NO_ACCOUNT;
  if (known && knownAccount && mayTry(known.agent, caller) && !(agentBilling(known.agent, req) instanceof BillingError)) {
    const sent = await sendWith(deps, caller, req, { agent: known, account: knownAccount }, onDelta);
    if (!(sent instanceof AgentChanged)) return sent;
    read = sent.read;
  }
  if (read === undefined) read = await readCopies(deps, req.agentId, caller.uid, production);
  for (let restarts = 0; ; restarts++) {
    // Only the reads of those who may use the agent are kept (and a missing agent forgotten): other callers cannot churn the copies.
    if (!read.agent || mayTry(read.agent.agent, caller)) deps.agents.set(req.agentId, read.agent);
    if (production && read.agent) deps.accounts.set(read.agent.agent.userId, read.account);
    const checked = { agent: usableBy(read.agent, req.agentId, caller), account: read.account };
    const sent = await sendWith(deps, caller, req, checked, onDelta, { checked: true });
    if (!(sent instanceof AgentChanged)) return sent;
    // It starts again from the read that found the change (the agent, or its org's budgets, which the copy now has).
    if (restarts >= MAX_RESTARTS)
      throw unavailable("The agent or its organisation's budgets kept changing while this message was admitted; retry.");
    read = sent.read;
  }
}

/** How many times a message starts again because its agent or its org's budgets changed under it, before it gives up. */
const MAX_RESTARTS = 3;

/**
 * Whether `caller` may try to send to `agent` before anything is read again: its owner, or anyone
 * through sendMessage for an org agent (their membership is read in the admission read, which
 * refuses a non-member before the agent is called).
 */
const mayTry = (agent: AgentDoc, caller: Sender) => agent.userId === caller.uid || (agent.orgId !== undefined && !caller.api);

/** The agent read, if `caller` may try to send to it: not-found, then permission-denied. */
function usableBy(read: AgentVersion | null, agentId: string, caller: Sender): AgentVersion {
  if (read && mayTry(read.agent, caller)) return read;
  return ownedBy(read, agentId, caller.uid);
}

/** The agent and the owner's account as a message is sent with them. */
interface Copies {
  agent: AgentVersion | null;
  account: AccountVersion;
}

/**
 * Reads the agent and, for a production message, its owner's account, in one getAll: the caller's,
 * who owns it unless it is an org's (then the owner's account is read after, once per instance).
 */
async function readCopies(deps: SendMessageDeps, agentId: string, uid: string, production: boolean): Promise<Copies> {
  const [agentSnap, accountSnap] = await deps.db.getAll(agentRef(deps.db, agentId), ...(production ? [accountRef(deps.db, uid)] : []));
  const agent = agentVersionOf(agentSnap);
  if (!production) return { agent, account: NO_ACCOUNT };
  const owner = agent?.agent.userId ?? uid;
  const ownerAccount = owner === uid ? accountSnap : await accountRef(deps.db, owner).get();
  return { agent, account: accountVersionOf(owner, ownerAccount) };
}

/** Receives each text delta of the agent's answer, with the model answering (a stream's chunks name it). */
export type DeltaHandler = (delta: string, model: string) => unknown;

/** The agent or the owner's account changed between this instance's copies and the read after the claim: start again from `read`. */
class AgentChanged {
  constructor(readonly read: Copies) {}
}

/**
 * Sends the message as `known`: an agent just read and its owner checked (`checked`), or a copy;
 * either way the agent is read again after the claim and compared by version. A replay is
 * answered from either: a stored row is its owner's, whatever happened to the agent since. An API
 * sender's key is read again in the same read, and a key revoked meanwhile refuses the message; so
 * is an org member's membership, and a role that may not send messages refuses it.
 */
async function sendWith(
  deps: SendMessageDeps,
  caller: Sender,
  req: MeteredRequest,
  copies: { agent: AgentVersion; account: AccountVersion },
  onDelta: DeltaHandler | undefined,
  { checked = false } = {},
): Promise<Metered | AgentChanged> {
  const known = copies.agent;
  const sender = senderFor(caller, known.agent);
  const billedWith = agentBilling(known.agent, req);
  if (billedWith instanceof BillingError) return replayOrRefuse(deps, sender, req, billedWith);
  const message = prepare(deps, sender, req, known.agent, billedWith, copies.account);
  const counted = admissionOf(deps, message);
  // Counted in the batch that claims the message: a replay or a duplicate counts against the rate limit only (claim.ts).
  const claimed = await claimOrReplay(deps, message, counted, (batch) => countInto(batch, deps, message, counted));
  if (claimed.kind === "replay") return replayFor(deps, sender, claimed.row);
  const admission = { ...counted, claimWrittenAt: claimed.claimWrittenAt };
  // The session is read before the row exists, so its figures cannot already include this message.
  // A copy of the owner's account is read again for a production message only (development never uses credits).
  const readAccount = !checked && req.testMode === "production";
  const alongside = [
    sessionRef(deps.db, sessionId(req.agentId, req.conversationId)),
    ...(sender.api ? [sender.api.confirm.ref] : []),
    // The agent again, even just read: a limit set before this message's hold was committed must be seen (see meterMessage).
    agentRef(deps.db, req.agentId),
    ...(readAccount ? [accountRef(deps.db, message.uid)] : []),
    ...orgReads(deps, message),
  ];
  const read = await undoOnError(deps, message, admission, undefined, () => readAdmission(deps, message, admission, alongside));
  const [session, ...rest] = read.alongside;
  const keyRefusal = sender.api ? sender.api.confirm.check(rest.shift()!) : null;
  const current = agentVersionOf(rest.shift()!);
  const accountSnap = readAccount ? rest.shift() : undefined;
  const currentAccount = accountSnap ? accountVersionOf(message.uid, accountSnap) : copies.account;
  const org = message.org ? checkOrg(deps, message, message.org, rest) : null;
  const refusal = keyRefusal ?? (org instanceof BillingError ? org : null);
  if (refusal) {
    await undo(deps, message, admission);
    throw refusal;
  }
  if (!sameVersion(known, current) || !sameAccount(copies.account, currentAccount) || org === "changed") {
    // Counted again from the new read at once: the rate count goes back too.
    await undo(deps, message, admission, undefined, { rate: true });
    return new AgentChanged({ agent: current, account: currentAccount });
  }
  if (read.refusal) {
    await undo(deps, message, admission);
    throw read.refusal;
  }
  const reply = await callAgent(deps, message, admission, onDelta);
  const row = await undoOnError(deps, message, admission, UNBUILT_ROW, () => rowOf(deps, message, reply, read.creditGrantId));
  // The write ends the hold too (store/ledger.ts): spend and ledger change together.
  const stored = await persistRow(deps, message, admission, row);
  if (stored !== row) return replayOf(deps, stored);
  return { row, replayed: false, session: addRow(sessionFiguresOf(session), row) };
}

/** What an org agent's message reads alongside its counters: the org (its budgets) and the sending member's membership. */
function orgReads(deps: SendMessageDeps, message: PreparedMessage) {
  if (!message.org) return [];
  const { orgId, senderUid } = message.org;
  return [orgRef(deps.db, orgId), ...(senderUid === undefined ? [] : [memberRef(deps.db, orgId, senderUid)])];
}

/**
 * Checks an org agent's message against what the admission read found of its org (`snaps`, as
 * {@link orgReads} asked): refused when the org is gone or the sender's role may not send messages;
 * "changed" when the budgets it was admitted under are not the org's (the copy is updated, and the
 * message starts again); null when it may go on.
 */
function checkOrg(
  deps: SendMessageDeps,
  message: PreparedMessage,
  org: OrgPart,
  snaps: DocumentSnapshot[],
): BillingError | "changed" | null {
  const [orgSnap, memberSnap] = snaps;
  const budgets = budgetsOf(orgSnap);
  if (budgets === null) return failedPrecondition(`The organisation that owns agent "${message.req.agentId}" no longer exists.`);
  deps.orgs.set(org.orgId, budgets);
  if (org.senderUid !== undefined) {
    const role = roleOf(memberSnap);
    if (role === null) return permissionDenied("You are not a member of the organisation that owns this agent.");
    if (!can(role, "sendMessages")) return permissionDenied(`A ${role} member cannot send messages to the organisation's agents.`);
  }
  return sameBudgets(org.budgets, budgets) ? null : "changed";
}

/** A stored row answered again, with its session as rolled up now. */
const replayOf = async (deps: SendMessageDeps, row: LedgerRow): Promise<Metered> => ({
  row,
  replayed: true,
  session: await readSessionFigures(deps.db, row.sessionId),
});

/**
 * A stored row answered to `sender`: an org agent's row sent by another member is answered only to
 * a member whose role may read conversations (its text is the other member's), read now.
 */
async function replayFor(deps: SendMessageDeps, sender: Sender, row: LedgerRow): Promise<Metered> {
  const member = sender.member;
  if (member && row.senderUid !== member.uid) {
    const role = roleOf(await memberRef(deps.db, member.orgId, member.uid).get());
    if (!can(role, "readConversations")) throw permissionDenied("This message was sent by someone else, and your role cannot read it.");
  }
  return replayOf(deps, row);
}

/** The model and price the agent takes the message with now, or why it cannot take it. */
function agentBilling(agent: AgentDoc, req: MeteredRequest): { model: string; price: RowPrice | null } | BillingError {
  if (agent.status === "paused") return failedPrecondition(`Agent "${req.agentId}" is paused.`);
  const model = agent.model || DEFAULT_MODEL;
  if (!isSafeModelName(model)) return failedPrecondition(`Agent "${req.agentId}" names no valid model.`);
  const price = resolveAgentPrice(model, agent.pricing);
  if (!price && req.testMode === "production") {
    return failedPrecondition(`Model "${model}" has no price, so production messages cannot be billed.`);
  }
  return { model, price };
}

/**
 * A message the agent cannot take now may be the retry of one it took before it was paused or its
 * model changed: that one's stored row is replayed, whatever happened to the agent since.
 */
async function replayOrRefuse(deps: SendMessageDeps, sender: Sender, req: MeteredRequest, refusal: BillingError): Promise<Metered> {
  if (!req.messageId) throw refusal;
  await countRepeat(deps, sender.rateKey);
  const row = await storedReplay(deps, ledgerId(req.agentId, req.conversationId, req.messageId), req);
  if (!row) throw refusal;
  return replayFor(deps, sender, row);
}

function prepare(
  deps: SendMessageDeps,
  sender: Sender,
  req: MeteredRequest,
  agent: AgentDoc,
  { model, price }: { model: string; price: RowPrice | null },
  account: AccountVersion,
): PreparedMessage {
  const messageId = req.messageId ?? deps.newMessageId();
  // The chat the console's quote counts too (domain/message-quote.ts): one home for its shape.
  const messages = req.chat ? apiChatOf(agent, req.chat) : chatOf(agent, req.message);
  const maxTokens = req.maxTokens ?? DEFAULT_COMPLETION_TOKENS;
  const at = deps.now();
  const timezone = agentTimezone(agent, at);
  const windows = { day: localDay(at, timezone), month: localMonth(at, timezone) };
  const bound = usageBound(countChatTokens(messages, model), maxTokens);
  const id = ledgerId(req.agentId, req.conversationId, messageId);
  // The grants it holds in: none for development, whose worst case is 0 and which is never billed.
  const credits = req.testMode === "production" ? creditCandidates(account.grants, at) : [];
  const org =
    agent.orgId === undefined
      ? null
      : { orgId: agent.orgId, senderUid: sender.member?.uid, budgets: deps.orgs.get(agent.orgId) ?? NO_BUDGETS };
  return {
    req,
    sender,
    uid: sender.uid,
    agent,
    model,
    price,
    messageId,
    id,
    messages,
    maxTokens,
    at,
    timezone,
    windows,
    bound,
    credits,
    org,
  };
}

/**
 * Calls the agent. A failure before any text reached the caller bills nothing (the message is
 * undone); a stream that broke after text was delivered is billed for what was delivered (counted
 * locally), never free.
 */
async function callAgent(
  deps: SendMessageDeps,
  message: PreparedMessage,
  admission: Admission,
  onDelta?: DeltaHandler,
): Promise<AgentReply> {
  try {
    const relay = onDelta && ((delta: string) => onDelta(delta, message.model));
    return await deps.agent.complete({ model: message.model, messages: message.messages, maxTokens: message.maxTokens, onDelta: relay });
  } catch (err) {
    const failure = err instanceof AgentFailure ? err : undefined;
    const reason = failure?.message ?? "agent call failed";
    const partial = failure?.partialText ?? "";
    if (!partial) {
      await undo(deps, message, admission, reason);
      throw unavailable(`The agent service failed (${reason}); nothing was billed.`);
    }
    await recordFailure(deps.db, { ...failureIds(message), stage: "agent-call", reason, charged: true }, deps.now());
    return { text: partial, usage: null, latencyMs: failure?.latencyMs ?? 0, partial: true };
  }
}

/** Provider usage when the agent reported it, else counted locally with the model's tokenizer. */
function measureUsage(message: PreparedMessage, reply: AgentReply): { usage: TokenUsage; usageSource: UsageSource } {
  if (reply.usage && hasUsage(reply.usage)) return { usage: normalizeUsage(reply.usage), usageSource: "provider" };
  const prompt = countChatTokens(message.messages, message.model);
  const completion = countTextTokens(reply.text, message.model);
  return { usage: { prompt, completion, total: prompt + completion, cached: 0 }, usageSource: "estimated" };
}

/**
 * The usage to bill: measured, clamped to the message's bound. Usage past the bound is billed up to
 * it and recorded for review (stage "usage-bound"), never billed silently.
 */
async function billedUsage(deps: SendMessageDeps, message: PreparedMessage, reply: AgentReply) {
  const measured = measureUsage(message, reply);
  const { usage, reported } = boundUsage(measured.usage, message.bound);
  if (reported) {
    const reason = `usage past the bound: reported ${reported.prompt} prompt + ${reported.completion} completion tokens, billed ${usage.prompt} + ${usage.completion}`;
    await recordFailure(deps.db, { ...failureIds(message), stage: "usage-bound", reason, charged: true, usage: reported }, deps.now());
  }
  return { usage, usageSource: measured.usageSource };
}

/** The signed row of the message and the agent's reply, priced now, dated when it was admitted. */
async function rowOf(deps: SendMessageDeps, message: PreparedMessage, reply: AgentReply, creditGrantId: string | null): Promise<LedgerRow> {
  const input: LedgerRowInput = {
    agentId: message.req.agentId,
    conversationId: message.req.conversationId,
    messageId: message.messageId,
    userId: message.uid,
    mode: message.req.testMode,
    model: message.model,
    userMessage: message.req.message,
    agentResponse: reply.text,
    ...(await billedUsage(deps, message, reply)),
    price: message.price,
    at: message.at,
    timezone: message.timezone,
    latencyMs: reply.latencyMs,
    partial: reply.partial,
    ...(message.sender.api ? { attribution: { apiKeyId: message.sender.api.keyId, endUser: message.sender.api.endUser } } : {}),
    ...(creditGrantId === null ? {} : { creditGrantId }),
    ...(message.org
      ? { org: { orgId: message.org.orgId, ...(message.org.senderUid === undefined ? {} : { senderUid: message.org.senderUid }) } }
      : {}),
  };
  return buildLedgerRow(input, deps.signingKey);
}

function addRow(before: SessionFigures, row: LedgerRow): SessionFigures {
  return {
    messageCount: before.messageCount + 1,
    totalTokens: before.totalTokens + row.tokens.total,
    totalCostMicros: before.totalCostMicros + row.costMicros,
  };
}

/** The callable's answer for a stored or new row. */
export function toResponse(row: LedgerRow, replayed: boolean, session: SessionFigures): SendMessageResponse {
  return {
    messageId: row.messageId,
    conversationId: row.conversationId,
    response: row.agentResponse,
    tokens: { ...row.tokens },
    cost: row.cost,
    costMicros: row.costMicros,
    shadowCostMicros: row.shadowCostMicros,
    billable: row.billable,
    testMode: row.mode,
    model: row.model,
    usageSource: row.usageSource,
    priceVersion: row.priceVersion,
    partial: row.partial === true,
    replayed,
    session,
  };
}
