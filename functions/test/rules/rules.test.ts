/**
 * `firestore.rules`, tested in the emulator: every collection × every operation × {the owner,
 * another signed-in user, signed out}, each case expected to be allowed or denied. Documents are
 * seeded with the rules disabled, as the backend's Admin SDK writes them.
 *
 * Throughout, alice owns the target documents; bob is another signed-in user with rows of his own.
 * Organisations have a matrix of their own: each role of a member, a member of another org, signed out.
 */
import { assertFails, assertSucceeds, type RulesTestEnvironment } from "@firebase/rules-unit-testing";
import {
  collection,
  collectionGroup,
  deleteDoc,
  deleteField,
  doc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  Timestamp,
  updateDoc,
  where,
  type DocumentData,
  type Firestore,
  type QuerySnapshot,
} from "firebase/firestore";
import { COVERAGE_FILE, clientDb, saveRulesCoverageReport, startRulesEnvironment } from "./rules-env";

const ALICE = "alice";
const BOB = "bob";

type Actor = "alice" | "bob" | "signed out";
type Outcome = "allowed" | "denied";

const UIDS: Record<Actor, string | null> = { alice: ALICE, bob: BOB, "signed out": null };

/** Written by the backend only, readable by the owner (DESIGN.md, "Collections"). */
const BILLING_COLLECTIONS = [
  "billable_conversations",
  "agent_billing_summary",
  "billing_sessions",
  "agent_usage_daily",
  "billing_account_daily",
  "billing_end_user_daily",
  "billing_alerts",
  "billing_failures",
  "billing_accounts",
  "billing_statements",
] as const;

/**
 * The shards of the sharded rollups (summary and daily bucket), read like their parent: each shard
 * carries its owner's `userId`, and the rule reads it from the shard itself, so both owners' shards
 * are seeded under one parent here to pair every allowed case with its denied one.
 */
const SHARD_COLLECTIONS = [
  "agent_billing_summary/alice-row/shards",
  "agent_usage_daily/alice-row/shards",
  "billing_account_daily/alice-row/shards",
] as const;

/**
 * Closed to clients altogether: the backend's private bookkeeping, the mail and SMS queues, a collection
 * the rules do not know, and a subcollection of a billing collection.
 */
const CLOSED_COLLECTIONS = [
  "billing_claims",
  "billing_rollup_markers",
  "billing_spend",
  "billing_alert_runs",
  "billing_rate_limits",
  "billing_outbox",
  "billing_dispatch_runs",
  // An agent API key's document holds its secret's hash: its owner lists it through listAgentApiKeys, never reads it.
  "agent_api_keys",
  "mail",
  "sms",
  "some_unknown_collection",
  "billable_conversations/alice-row/notes",
] as const;

const ROW_OF: Record<string, string> = { [ALICE]: "alice-row", [BOB]: "bob-row" };

/** A billing-shaped row; every one carries its owner's uid, as the backend writes them. */
const rowFor = (uid: string): DocumentData => ({
  userId: uid,
  agentId: `agent-${uid}`,
  costMicros: 1_200,
  createdAt: Timestamp.fromMillis(0),
});

let env: RulesTestEnvironment;
let dbs: Record<Actor, Firestore>;

beforeAll(async () => {
  env = await startRulesEnvironment();
  await env.clearFirestore();
  dbs = {
    alice: clientDb(env.authenticatedContext(ALICE)),
    bob: clientDb(env.authenticatedContext(BOB)),
    "signed out": clientDb(env.unauthenticatedContext()),
  };
  await seed(async (db) => {
    const paths = [...BILLING_COLLECTIONS, ...SHARD_COLLECTIONS, ...CLOSED_COLLECTIONS];
    await Promise.all(paths.flatMap((path) => [ALICE, BOB].map((uid) => setDoc(doc(db, path, ROW_OF[uid]), rowFor(uid)))));
  });
});

afterAll(async () => {
  await env?.cleanup();
});

/** Writes as the backend would: with the rules disabled. */
function seed(write: (db: Firestore) => Promise<void>): Promise<void> {
  return env.withSecurityRulesDisabled((context) => write(clientDb(context)));
}

/** Reads a document as the backend would, to check what a write did or did not change. */
async function readAsBackend(path: string): Promise<DocumentData | undefined> {
  let data: DocumentData | undefined;
  await seed(async (db) => {
    data = (await getDoc(doc(db, path))).data();
  });
  return data;
}

const ownersOf = (snap: QuerySnapshot) => snap.docs.map((row) => row.get("userId") as string);

/** A client request on one collection; reads resolve to the owners (`userId`) of the rows they saw. */
type ClientRequest = (db: Firestore, path: string, caller: string | null) => Promise<string[] | void>;

const REQUESTS = {
  "get alice's document": async (db, path) => [(await getDoc(doc(db, path, ROW_OF[ALICE]))).get("userId")],
  'list where userId == "alice"': async (db, path) => ownersOf(await getDocs(query(collection(db, path), where("userId", "==", ALICE)))),
  'list where userId == "bob"': async (db, path) => ownersOf(await getDocs(query(collection(db, path), where("userId", "==", BOB)))),
  "list without a filter": async (db, path) => ownersOf(await getDocs(collection(db, path))),
  'list where agentId == "agent-alice" (no userId filter)': async (db, path) =>
    ownersOf(await getDocs(query(collection(db, path), where("agentId", "==", `agent-${ALICE}`)))),
  "create a document owned by the caller": (db, path, caller) => setDoc(doc(db, path, "new-row"), rowFor(caller ?? ALICE)),
  "update alice's document": (db, path) => updateDoc(doc(db, path, ROW_OF[ALICE]), { costMicros: 0 }),
  "overwrite alice's document": (db, path) => setDoc(doc(db, path, ROW_OF[ALICE]), { ...rowFor(ALICE), costMicros: 0 }),
  "delete alice's document": (db, path) => deleteDoc(doc(db, path, ROW_OF[ALICE])),
} satisfies Record<string, ClientRequest>;

type RequestName = keyof typeof REQUESTS;

/** One row per request: the outcome for alice, bob and a signed-out client. */
type ExpectationRow = [request: RequestName, alice: Outcome, bob: Outcome, signedOut: Outcome];

interface Case {
  request: RequestName;
  actor: Actor;
  outcome: Outcome;
}

/** Spreads a table of expectations into one test case per request and actor. */
function cases(rows: ExpectationRow[]): Case[] {
  return rows.flatMap(([request, alice, bob, signedOut]) => [
    { request, actor: "alice" as const, outcome: alice },
    { request, actor: "bob" as const, outcome: bob },
    { request, actor: "signed out" as const, outcome: signedOut },
  ]);
}

const DENIED_TO_ALL: ExpectationRow[] = (Object.keys(REQUESTS) as RequestName[]).map((request) => [request, "denied", "denied", "denied"]);

/**
 * Runs `attempt` as `actor` and checks the outcome; an allowed read must have returned rows, and
 * only the caller's.
 */
async function expectOutcome(actor: Actor, outcome: Outcome, attempt: () => Promise<string[] | void>): Promise<void> {
  if (outcome === "denied") {
    await assertFails(attempt());
    return;
  }
  const seen = await assertSucceeds(attempt());
  if (Array.isArray(seen)) {
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((owner) => owner !== UIDS[actor])).toEqual([]);
  }
}

describe.each([...BILLING_COLLECTIONS, ...SHARD_COLLECTIONS])("%s: backend-written, owner-readable", (path) => {
  it.each(
    // prettier-ignore
    cases([
      // request                                                 alice      bob        signed out
      ["get alice's document",                                   "allowed", "denied",  "denied"],
      ['list where userId == "alice"',                           "allowed", "denied",  "denied"],
      ['list where userId == "bob"',                             "denied",  "allowed", "denied"],
      ["list without a filter",                                  "denied",  "denied",  "denied"],
      ['list where agentId == "agent-alice" (no userId filter)', "denied",  "denied",  "denied"],
      ["create a document owned by the caller",                  "denied",  "denied",  "denied"],
      ["update alice's document",                                "denied",  "denied",  "denied"],
      ["overwrite alice's document",                             "denied",  "denied",  "denied"],
      ["delete alice's document",                                "denied",  "denied",  "denied"],
    ]),
  )("$request as $actor: $outcome", async ({ request, actor, outcome }) => {
    await expectOutcome(actor, outcome, () => REQUESTS[request](dbs[actor], path, UIDS[actor]));
  });

  it("still holds alice's row as the backend wrote it after every denied write", async () => {
    await expect(readAsBackend(`${path}/${ROW_OF[ALICE]}`)).resolves.toEqual(rowFor(ALICE));
    await expect(readAsBackend(`${path}/new-row`)).resolves.toBeUndefined();
  });
});

describe.each(CLOSED_COLLECTIONS)("%s: closed to clients", (path) => {
  it.each(cases(DENIED_TO_ALL))("$request as $actor: $outcome", async ({ request, actor, outcome }) => {
    await expectOutcome(actor, outcome, () => REQUESTS[request](dbs[actor], path, UIDS[actor]));
  });
});

describe("collection-group queries: closed (every billing collection is top-level)", () => {
  it.each(BILLING_COLLECTIONS.flatMap((group) => (["alice", "bob"] as const).map((actor) => ({ group, actor }))))(
    "group query on $group where userId == own uid as $actor: denied",
    async ({ group, actor }) => {
      await assertFails(getDocs(query(collectionGroup(dbs[actor], group), where("userId", "==", UIDS[actor]))));
    },
  );

  it.each(["alice", "bob"] as const)(
    "group query on shards where userId == own uid as %s: denied (read them under their parent)",
    async (actor) => {
      await assertFails(getDocs(query(collectionGroup(dbs[actor], "shards"), where("userId", "==", UIDS[actor]))));
    },
  );
});

// ---- billing_plans: a price list every signed-in user may read --------------------------------

describe("billing_plans: readable by any signed-in user, written by the backend only", () => {
  const PLANS = "billing_plans";
  const planDoc = { name: "Pro", version: 2, monthlyFeeMicros: 20_000_000 };
  beforeAll(() => seed((db) => setDoc(doc(db, PLANS, "pro"), planDoc)));

  type PlanRequest = (db: Firestore) => Promise<unknown>;
  const requests: [string, PlanRequest, Outcome, Outcome, Outcome][] = [
    // request                       alice      bob        signed out
    ["get a plan", (db) => getDoc(doc(db, PLANS, "pro")), "allowed", "allowed", "denied"],
    ["list the plans", (db) => getDocs(collection(db, PLANS)), "allowed", "allowed", "denied"],
    ["create a plan", (db) => setDoc(doc(db, PLANS, "free-for-me"), { ...planDoc, monthlyFeeMicros: 0 }), "denied", "denied", "denied"],
    ["update a plan", (db) => updateDoc(doc(db, PLANS, "pro"), { monthlyFeeMicros: 0 }), "denied", "denied", "denied"],
    ["delete a plan", (db) => deleteDoc(doc(db, PLANS, "pro")), "denied", "denied", "denied"],
  ];
  const planCases = requests.flatMap(([request, run, ...outcomes]) =>
    (["alice", "bob", "signed out"] as const).map((actor, i) => ({ request, run, actor, outcome: outcomes[i] })),
  );

  it.each(planCases)("$request as $actor: $outcome", async ({ run, actor, outcome }) => {
    if (outcome === "denied") await assertFails(run(dbs[actor]));
    else await assertSucceeds(run(dbs[actor]));
  });

  it("still holds the plan as the backend wrote it after every denied write", async () => {
    await expect(readAsBackend(`${PLANS}/pro`)).resolves.toEqual(planDoc);
    await expect(readAsBackend(`${PLANS}/free-for-me`)).resolves.toBeUndefined();
  });
});

// ---- alchemist_agents ------------------------------------------------------------------------

const AGENTS = "alchemist_agents";
const ALICE_AGENT = "agent-alice";
const BOB_AGENT = "agent-bob";

/** An agent as the backend keeps it: with the billing settings and custom price only it writes. */
const backendAgent = (uid: string, overrides: DocumentData = {}): DocumentData => ({
  userId: uid,
  name: "Support bot",
  model: "gpt-4",
  systemPrompt: "Answer briefly.",
  status: "active",
  billing: { dailyLimitMicros: 5_000_000, monthlyLimitMicros: 50_000_000, timezone: "Europe/Paris" },
  pricing: { inputMicrosPerMTok: 1_000_000, outputMicrosPerMTok: 2_000_000 },
  ...overrides,
});

let nextAgent = 0;
/** A fresh agent id per test, so writes in one test cannot change what another sees. */
const freshAgentId = () => `agent-${++nextAgent}`;

async function seedAgent(uid: string, overrides: DocumentData = {}): Promise<string> {
  const agentId = freshAgentId();
  await seed((db) => setDoc(doc(db, AGENTS, agentId), backendAgent(uid, overrides)));
  return agentId;
}

const AGENT_READS = {
  "get alice's agent": async (db: Firestore) => [(await getDoc(doc(db, AGENTS, ALICE_AGENT))).get("userId") as string],
  'list where userId == "alice"': async (db: Firestore) =>
    ownersOf(await getDocs(query(collection(db, AGENTS), where("userId", "==", ALICE)))),
  'list where userId == "bob"': async (db: Firestore) => ownersOf(await getDocs(query(collection(db, AGENTS), where("userId", "==", BOB)))),
  "list without a filter": async (db: Firestore) => ownersOf(await getDocs(collection(db, AGENTS))),
  'list where status == "active" (no userId filter)': async (db: Firestore) =>
    ownersOf(await getDocs(query(collection(db, AGENTS), where("status", "==", "active")))),
};

describe("alchemist_agents: reads", () => {
  beforeAll(() =>
    seed(async (db) => {
      await setDoc(doc(db, AGENTS, ALICE_AGENT), backendAgent(ALICE));
      await setDoc(doc(db, AGENTS, BOB_AGENT), backendAgent(BOB));
    }),
  );

  type ReadRow = [request: keyof typeof AGENT_READS, alice: Outcome, bob: Outcome, signedOut: Outcome];
  // prettier-ignore
  const rows: ReadRow[] = [
    // request                                            alice      bob        signed out
    ["get alice's agent",                                 "allowed", "denied",  "denied"],
    ['list where userId == "alice"',                      "allowed", "denied",  "denied"],
    ['list where userId == "bob"',                        "denied",  "allowed", "denied"],
    ["list without a filter",                             "denied",  "denied",  "denied"],
    ['list where status == "active" (no userId filter)',  "denied",  "denied",  "denied"],
  ];
  const readCases = rows.flatMap(([request, ...outcomes]) =>
    (["alice", "bob", "signed out"] as const).map((actor, i) => ({ request, actor, outcome: outcomes[i] })),
  );

  it.each(readCases)("$request as $actor: $outcome", async ({ request, actor, outcome }) => {
    await expectOutcome(actor, outcome, () => AGENT_READS[request](dbs[actor]));
  });
});

const longText = (size: number) => "x".repeat(size);

/** A new agent with every field a client may set. */
const newAgent = (overrides: DocumentData = {}): DocumentData => ({
  userId: ALICE,
  name: "Research helper",
  model: "gpt-4",
  systemPrompt: "Cite your sources.",
  description: "Finds papers",
  status: "active",
  createdAt: serverTimestamp(),
  ...overrides,
});

/** Drops fields from a document (to test required ones). */
function without(data: DocumentData, ...fields: string[]): DocumentData {
  const copy = { ...data };
  for (const field of fields) delete copy[field];
  return copy;
}

describe("alchemist_agents: create", () => {
  it.each<{ what: string; actor: Actor; data: DocumentData; outcome: Outcome }>([
    { what: "a complete agent of her own", actor: "alice", data: newAgent(), outcome: "allowed" },
    {
      what: "a minimal agent (userId, name, model)",
      actor: "alice",
      data: { userId: ALICE, name: "Tiny", model: "gpt-4" },
      outcome: "allowed",
    },
    {
      what: "an agent at every size limit (name 200, model 100, systemPrompt 20000, description 2000)",
      actor: "alice",
      data: newAgent({ name: longText(200), model: longText(100), systemPrompt: longText(20_000), description: longText(2_000) }),
      outcome: "allowed",
    },
    { what: "an agent with an empty systemPrompt", actor: "alice", data: newAgent({ systemPrompt: "" }), outcome: "allowed" },
    { what: "an agent owned by bob", actor: "alice", data: newAgent({ userId: BOB }), outcome: "denied" },
    { what: "an agent owned by alice", actor: "bob", data: newAgent(), outcome: "denied" },
    { what: "an agent owned by alice", actor: "signed out", data: newAgent(), outcome: "denied" },
    { what: "an agent with no userId", actor: "alice", data: without(newAgent(), "userId"), outcome: "denied" },
    { what: "an agent with billing settings", actor: "alice", data: newAgent({ billing: { dailyLimitMicros: 1 } }), outcome: "denied" },
    {
      what: "an agent with its own pricing",
      actor: "alice",
      data: newAgent({ pricing: { inputMicrosPerMTok: 0, outputMicrosPerMTok: 0 } }),
      outcome: "denied",
    },
    { what: 'an agent with status "paused"', actor: "alice", data: newAgent({ status: "paused" }), outcome: "denied" },
    { what: "an agent with a field outside the allow-list", actor: "alice", data: newAgent({ plan: "enterprise" }), outcome: "denied" },
    { what: "an agent with no name", actor: "alice", data: without(newAgent(), "name"), outcome: "denied" },
    { what: "an agent with no model", actor: "alice", data: without(newAgent(), "model"), outcome: "denied" },
    { what: "an agent with an empty name", actor: "alice", data: newAgent({ name: "" }), outcome: "denied" },
    { what: "an agent whose name is a number", actor: "alice", data: newAgent({ name: 42 }), outcome: "denied" },
    { what: "an agent with a 201-character name", actor: "alice", data: newAgent({ name: longText(201) }), outcome: "denied" },
    { what: "an agent with a 101-character model", actor: "alice", data: newAgent({ model: longText(101) }), outcome: "denied" },
    {
      what: "an agent with a 20001-character systemPrompt",
      actor: "alice",
      data: newAgent({ systemPrompt: longText(20_001) }),
      outcome: "denied",
    },
    {
      what: "an agent with a 2001-character description",
      actor: "alice",
      data: newAgent({ description: longText(2_001) }),
      outcome: "denied",
    },
    { what: "an agent whose systemPrompt is a list", actor: "alice", data: newAgent({ systemPrompt: ["a", "b"] }), outcome: "denied" },
    {
      what: "a backdated agent (createdAt is not the server's time)",
      actor: "alice",
      data: newAgent({ createdAt: Timestamp.fromMillis(0) }),
      outcome: "denied",
    },
  ])("$actor creates $what: $outcome", async ({ actor, data, outcome }) => {
    const agentId = freshAgentId();
    await expectOutcome(actor, outcome, () => setDoc(doc(dbs[actor], AGENTS, agentId), data));
    const stored = await readAsBackend(`${AGENTS}/${agentId}`);
    if (outcome === "allowed") expect(stored).toMatchObject({ userId: ALICE });
    else expect(stored).toBeUndefined();
  });
});

describe("alchemist_agents: update", () => {
  it.each<{ what: string; actor: Actor; seeded?: DocumentData; changes: DocumentData; outcome: Outcome }>([
    { what: "renames her agent", actor: "alice", changes: { name: "Renamed" }, outcome: "allowed" },
    {
      what: "edits model, systemPrompt and description",
      actor: "alice",
      changes: { model: "gpt-4o", systemPrompt: "Be thorough.", description: "Now thorough" },
      outcome: "allowed",
    },
    { what: "removes the systemPrompt", actor: "alice", changes: { systemPrompt: deleteField() }, outcome: "allowed" },
    { what: "gives her agent to bob (userId)", actor: "alice", changes: { userId: BOB }, outcome: "denied" },
    { what: "pauses her agent (status)", actor: "alice", changes: { status: "paused" }, outcome: "denied" },
    {
      what: "reactivates an agent the backend paused",
      actor: "alice",
      seeded: { status: "paused" },
      changes: { status: "active" },
      outcome: "denied",
    },
    { what: "raises her daily limit (billing)", actor: "alice", changes: { "billing.dailyLimitMicros": 999_000_000 }, outcome: "denied" },
    { what: "replaces the billing settings", actor: "alice", changes: { billing: {} }, outcome: "denied" },
    {
      what: "sets a custom price (pricing)",
      actor: "alice",
      changes: { pricing: { inputMicrosPerMTok: 0, outputMicrosPerMTok: 0 } },
      outcome: "denied",
    },
    { what: "removes the custom price", actor: "alice", changes: { pricing: deleteField() }, outcome: "denied" },
    { what: "adds a field outside the allow-list", actor: "alice", changes: { plan: "enterprise" }, outcome: "denied" },
    { what: "removes the name", actor: "alice", changes: { name: deleteField() }, outcome: "denied" },
    { what: "sets a 201-character name", actor: "alice", changes: { name: longText(201) }, outcome: "denied" },
    { what: "sets a 20001-character systemPrompt", actor: "alice", changes: { systemPrompt: longText(20_001) }, outcome: "denied" },
    { what: "sets a model that is not a string", actor: "alice", changes: { model: 4 }, outcome: "denied" },
    { what: "renames alice's agent", actor: "bob", changes: { name: "Mine now" }, outcome: "denied" },
    { what: "renames alice's agent", actor: "signed out", changes: { name: "Anonymous" }, outcome: "denied" },
  ])("$actor $what: $outcome", async ({ actor, seeded, changes, outcome }) => {
    const agentId = await seedAgent(ALICE, seeded);
    const before = await readAsBackend(`${AGENTS}/${agentId}`);
    await expectOutcome(actor, outcome, () => updateDoc(doc(dbs[actor], AGENTS, agentId), changes));
    const after = await readAsBackend(`${AGENTS}/${agentId}`);
    if (outcome === "denied") {
      expect(after).toEqual(before);
    } else {
      // The owner's edit never touches what only the backend writes.
      expect(after).toMatchObject({ userId: ALICE, status: before?.status, billing: before?.billing, pricing: before?.pricing });
      expect(after).not.toEqual(before);
    }
  });

  it("alice cannot strip billing by overwriting her agent with set()", async () => {
    const agentId = await seedAgent(ALICE);
    const profileOnly = without(backendAgent(ALICE, { name: "Renamed" }), "billing", "pricing");
    await assertFails(setDoc(doc(dbs.alice, AGENTS, agentId), profileOnly));
    await expect(readAsBackend(`${AGENTS}/${agentId}`)).resolves.toEqual(backendAgent(ALICE));
  });

  it("alice can overwrite her agent with set() when only the profile changes", async () => {
    const agentId = await seedAgent(ALICE);
    await assertSucceeds(setDoc(doc(dbs.alice, AGENTS, agentId), backendAgent(ALICE, { name: "Renamed" })));
    await expect(readAsBackend(`${AGENTS}/${agentId}`)).resolves.toEqual(backendAgent(ALICE, { name: "Renamed" }));
  });
});

describe("alchemist_agents: delete (billing history refers to the agent)", () => {
  it.each<Actor>(["alice", "bob", "signed out"])("%s deletes alice's agent: denied", async (actor) => {
    const agentId = await seedAgent(ALICE);
    await assertFails(deleteDoc(doc(dbs[actor], AGENTS, agentId)));
    await expect(readAsBackend(`${AGENTS}/${agentId}`)).resolves.toEqual(backendAgent(ALICE));
  });
});

// ---- billing_orgs and their members: readable by every member, written by the backend only ----

describe("billing_orgs/{orgId} and members/{uid}: member-readable, backend-written", () => {
  const ORGS = "billing_orgs";
  const ORG = "org-acme";
  const OTHER_ORG = "org-other";
  const ROLES = ["owner", "admin", "billing", "developer", "viewer"] as const;
  /** Every role of the org, a member of another org (its owner), and a signed-out client. */
  const ORG_ACTORS = [...ROLES, "member of another org", "signed out"] as const;
  type OrgActor = (typeof ORG_ACTORS)[number];
  const uidOf = (actor: OrgActor): string | null => (actor === "signed out" ? null : `org-${actor.replace(/ /g, "-")}`);

  const orgDoc = (orgId: string) => ({ orgId, name: "Acme", createdBy: uidOf("owner"), ownerCount: 1, memberCount: ROLES.length });
  const memberDoc = (orgId: string, uid: string, role: string) => ({ orgId, userId: uid, role, email: `${uid}@example.com` });
  const members = `${ORGS}/${ORG}/members`;

  let orgDbs: Record<OrgActor, Firestore>;
  beforeAll(async () => {
    orgDbs = Object.fromEntries(
      ORG_ACTORS.map((actor) => {
        const uid = uidOf(actor);
        return [actor, clientDb(uid === null ? env.unauthenticatedContext() : env.authenticatedContext(uid))];
      }),
    ) as Record<OrgActor, Firestore>;
    await seed(async (db) => {
      await setDoc(doc(db, ORGS, ORG), orgDoc(ORG));
      for (const role of ROLES) await setDoc(doc(db, members, uidOf(role)!), memberDoc(ORG, uidOf(role)!, role));
      const outsider = uidOf("member of another org")!;
      await setDoc(doc(db, ORGS, OTHER_ORG), { ...orgDoc(OTHER_ORG), createdBy: outsider });
      await setDoc(doc(db, ORGS, OTHER_ORG, "members", outsider), memberDoc(OTHER_ORG, outsider, "owner"));
    });
  });

  /** A read resolves to how many documents it saw; a write to nothing. */
  type OrgRequest = (db: Firestore, caller: string | null) => Promise<number | void>;
  const one = async (read: Promise<{ exists(): boolean }>) => ((await read).exists() ? 1 : 0);
  const size = async (read: Promise<QuerySnapshot>) => (await read).size;
  const ORG_REQUESTS = {
    "get the org": (db) => one(getDoc(doc(db, ORGS, ORG))),
    "list every org": (db) => size(getDocs(collection(db, ORGS))),
    "list the orgs created by the owner": (db) => size(getDocs(query(collection(db, ORGS), where("createdBy", "==", uidOf("owner"))))),
    "create an org": (db, caller) => setDoc(doc(db, ORGS, "org-new"), { ...orgDoc("org-new"), createdBy: caller }),
    "rename the org": (db) => updateDoc(doc(db, ORGS, ORG), { name: "Mine now" }),
    "delete the org": (db) => deleteDoc(doc(db, ORGS, ORG)),
    "get the viewer's membership": (db) => one(getDoc(doc(db, members, uidOf("viewer")!))),
    "list the members": (db) => size(getDocs(collection(db, members))),
    "list the owners": (db) => size(getDocs(query(collection(db, members), where("role", "==", "owner")))),
    "list the other org's members": (db) => size(getDocs(collection(db, ORGS, OTHER_ORG, "members"))),
    "add themself as an owner": (db, caller) =>
      setDoc(doc(db, members, caller ?? "anonymous"), memberDoc(ORG, caller ?? "anonymous", "owner")),
    "make the viewer an owner": (db) => updateDoc(doc(db, members, uidOf("viewer")!), { role: "owner" }),
    "remove the owner": (db) => deleteDoc(doc(db, members, uidOf("owner")!)),
    "group query on members where userId == own uid": (db, caller) =>
      size(getDocs(query(collectionGroup(db, "members"), where("userId", "==", caller ?? "anonymous")))),
  } satisfies Record<string, OrgRequest>;

  const A = "allowed";
  const D = "denied";
  // prettier-ignore
  const rows: [keyof typeof ORG_REQUESTS, ...Outcome[]][] = [
    // request                                            owner admin billing developer viewer other-org signed-out
    ["get the org",                                       A,    A,    A,      A,        A,     D,        D],
    ["list every org",                                    D,    D,    D,      D,        D,     D,        D],
    ["list the orgs created by the owner",                D,    D,    D,      D,        D,     D,        D],
    ["create an org",                                     D,    D,    D,      D,        D,     D,        D],
    ["rename the org",                                    D,    D,    D,      D,        D,     D,        D],
    ["delete the org",                                    D,    D,    D,      D,        D,     D,        D],
    ["get the viewer's membership",                       A,    A,    A,      A,        A,     D,        D],
    ["list the members",                                  A,    A,    A,      A,        A,     D,        D],
    ["list the owners",                                   A,    A,    A,      A,        A,     D,        D],
    ["list the other org's members",                      D,    D,    D,      D,        D,     A,        D],
    ["add themself as an owner",                          D,    D,    D,      D,        D,     D,        D],
    ["make the viewer an owner",                          D,    D,    D,      D,        D,     D,        D],
    ["remove the owner",                                  D,    D,    D,      D,        D,     D,        D],
    ["group query on members where userId == own uid",    D,    D,    D,      D,        D,     D,        D],
  ];
  const orgCases = rows.flatMap(([request, ...outcomes]) => ORG_ACTORS.map((actor, i) => ({ request, actor, outcome: outcomes[i] })));

  /** Runs an org request's attempt; an allowed read must have seen what it asked for (a count above 0). */
  async function expectOrgOutcome(outcome: Outcome, attempt: Promise<number | void>): Promise<void> {
    if (outcome === "denied") {
      await assertFails(attempt);
      return;
    }
    const seen = await assertSucceeds<number | void>(attempt);
    if (typeof seen === "number") expect(seen).toBeGreaterThan(0);
  }

  it.each(orgCases)("$request as $actor: $outcome", async ({ request, actor, outcome }) => {
    await expectOrgOutcome(outcome, ORG_REQUESTS[request](orgDbs[actor], uidOf(actor)));
  });

  it("still holds the org and its members as the backend wrote them after every denied write", async () => {
    await expect(readAsBackend(`${ORGS}/${ORG}`)).resolves.toEqual(orgDoc(ORG));
    await expect(readAsBackend(`${ORGS}/org-new`)).resolves.toBeUndefined();
    for (const role of ROLES) await expect(readAsBackend(`${members}/${uidOf(role)}`)).resolves.toEqual(memberDoc(ORG, uidOf(role)!, role));
    await expect(readAsBackend(`${members}/${uidOf("member of another org")}`)).resolves.toBeUndefined();
  });

  describe("the org's agents and their rows: members read them by role, managers create and edit agents", () => {
    const AGENTS = "alchemist_agents";
    const ROWS = "billable_conversations";
    const ORG_AGENT = "org-agent";
    const OTHER_ORG_AGENT = "other-org-agent";
    const owner = uidOf("owner")!;
    const outsider = uidOf("member of another org")!;
    const agentDoc = (userId: string, orgId: string) => ({ userId, orgId, name: "Team agent", model: "gpt-4", status: "active" });
    const rowDoc = (userId: string, orgId: string, agentId: string, senderUid?: string) => ({
      userId,
      orgId,
      agentId,
      ...(senderUid === undefined ? {} : { senderUid }),
      costMicros: 1_200,
      createdAt: Timestamp.fromMillis(0),
    });
    const orgDay = `${ORG}_2026-12-01`;

    beforeAll(async () => {
      await seed(async (db) => {
        // The org agent bills its creator, the org's owner; a developer sent one row, the agent API the other.
        await setDoc(doc(db, AGENTS, ORG_AGENT), agentDoc(owner, ORG));
        await setDoc(doc(db, AGENTS, OTHER_ORG_AGENT), agentDoc(outsider, OTHER_ORG));
        await setDoc(doc(db, ROWS, "org-row-member"), rowDoc(owner, ORG, ORG_AGENT, uidOf("developer")!));
        await setDoc(doc(db, ROWS, "org-row-shared"), rowDoc(owner, ORG, ORG_AGENT));
        await setDoc(doc(db, ROWS, "other-org-row"), rowDoc(outsider, OTHER_ORG, OTHER_ORG_AGENT, outsider));
        await setDoc(doc(db, "billing_org_daily", orgDay), { orgId: ORG, day: "2026-12-01", production: { costMicros: 2_400 } });
        await setDoc(doc(db, "billing_org_daily", orgDay, "shards", "0"), { orgId: ORG, day: "2026-12-01" });
      });
    });

    const newAgent = (db: Firestore, id: string, userId: string | null, orgId: string) =>
      setDoc(doc(db, AGENTS, id), { userId, orgId, name: "New team agent", model: "gpt-4", createdAt: serverTimestamp() });
    const AGENT_REQUESTS = {
      "get the org agent": (db) => one(getDoc(doc(db, AGENTS, ORG_AGENT))),
      "list agents where orgId == the org": (db) => size(getDocs(query(collection(db, AGENTS), where("orgId", "==", ORG)))),
      "list agents where orgId == the other org": (db) => size(getDocs(query(collection(db, AGENTS), where("orgId", "==", OTHER_ORG)))),
      "list agents without a filter": (db) => size(getDocs(collection(db, AGENTS))),
      "create an org agent billed to themself": (db, caller) => newAgent(db, `new-self-${caller}`, caller, ORG),
      "create an org agent billed to the owner": (db, caller) => newAgent(db, `new-owners-${caller}`, owner, ORG),
      "create an agent of the other org billed to themself": (db, caller) => newAgent(db, `new-other-${caller}`, caller, OTHER_ORG),
      "rename the org agent": (db) => updateDoc(doc(db, AGENTS, ORG_AGENT), { name: "Renamed" }),
      "move the org agent to the other org": (db) => updateDoc(doc(db, AGENTS, ORG_AGENT), { orgId: OTHER_ORG }),
      "take the org agent out of the org": (db) => updateDoc(doc(db, AGENTS, ORG_AGENT), { orgId: deleteField() }),
      "delete the org agent": (db) => deleteDoc(doc(db, AGENTS, ORG_AGENT)),
      "get a member's row": (db) => one(getDoc(doc(db, ROWS, "org-row-member"))),
      "get the agent API's row (shared)": (db) => one(getDoc(doc(db, ROWS, "org-row-shared"))),
      "list rows where orgId == the org": (db) => size(getDocs(query(collection(db, ROWS), where("orgId", "==", ORG)))),
      "list the developer's rows (orgId and senderUid)": (db) =>
        size(getDocs(query(collection(db, ROWS), where("orgId", "==", ORG), where("senderUid", "==", uidOf("developer"))))),
      "list rows where orgId == the other org": (db) => size(getDocs(query(collection(db, ROWS), where("orgId", "==", OTHER_ORG)))),
      "list rows where agentId == the org agent (no orgId filter)": (db) =>
        size(getDocs(query(collection(db, ROWS), where("agentId", "==", ORG_AGENT)))),
      "write a row of the org": (db) => setDoc(doc(db, ROWS, "org-row-forged"), rowDoc(owner, ORG, ORG_AGENT)),
      "change a member's row's sender": (db) => updateDoc(doc(db, ROWS, "org-row-member"), { senderUid: uidOf("viewer") }),
      "get the org's day": (db) => one(getDoc(doc(db, "billing_org_daily", orgDay))),
      "list the org's days where orgId == the org": (db) =>
        size(getDocs(query(collection(db, "billing_org_daily"), where("orgId", "==", ORG)))),
      "list the org's day's shards": (db) => size(getDocs(collection(db, "billing_org_daily", orgDay, "shards"))),
    } satisfies Record<string, OrgRequest>;

    // prettier-ignore
    const agentRows: [keyof typeof AGENT_REQUESTS, ...Outcome[]][] = [
      // request                                                   owner admin billing developer viewer other-org signed-out
      ["get the org agent",                                        A,    A,    A,      A,        A,     D,        D],
      ["list agents where orgId == the org",                       A,    A,    A,      A,        A,     D,        D],
      ["list agents where orgId == the other org",                 D,    D,    D,      D,        D,     A,        D],
      ["list agents without a filter",                             D,    D,    D,      D,        D,     D,        D],
      ["create an org agent billed to themself",                   A,    A,    D,      D,        D,     D,        D],
      ["create an org agent billed to the owner",                  A,    D,    D,      D,        D,     D,        D],
      ["create an agent of the other org billed to themself",      D,    D,    D,      D,        D,     A,        D],
      ["rename the org agent",                                     A,    A,    D,      D,        D,     D,        D],
      ["move the org agent to the other org",                      D,    D,    D,      D,        D,     D,        D],
      ["take the org agent out of the org",                        D,    D,    D,      D,        D,     D,        D],
      ["delete the org agent",                                     D,    D,    D,      D,        D,     D,        D],
      ["get a member's row",                                       A,    A,    D,      A,        D,     D,        D],
      ["get the agent API's row (shared)",                         A,    A,    D,      A,        D,     D,        D],
      ["list rows where orgId == the org",                         A,    A,    D,      A,        D,     D,        D],
      ["list the developer's rows (orgId and senderUid)",          A,    A,    D,      A,        D,     D,        D],
      ["list rows where orgId == the other org",                   D,    D,    D,      D,        D,     A,        D],
      ["list rows where agentId == the org agent (no orgId filter)", D,  D,    D,      D,        D,     D,        D],
      ["write a row of the org",                                   D,    D,    D,      D,        D,     D,        D],
      ["change a member's row's sender",                           D,    D,    D,      D,        D,     D,        D],
      ["get the org's day",                                        D,    D,    D,      D,        D,     D,        D],
      ["list the org's days where orgId == the org",               D,    D,    D,      D,        D,     D,        D],
      ["list the org's day's shards",                              D,    D,    D,      D,        D,     D,        D],
    ];
    const agentCases = agentRows.flatMap(([request, ...outcomes]) =>
      ORG_ACTORS.map((actor, i) => ({ request, actor, outcome: outcomes[i] })),
    );

    it.each(agentCases)("$request as $actor: $outcome", async ({ request, actor, outcome }) => {
      await expectOrgOutcome(outcome, AGENT_REQUESTS[request](orgDbs[actor], uidOf(actor)));
    });

    it("still holds the org agent, its rows and its day as the backend wrote them after every denied write", async () => {
      await expect(readAsBackend(`${AGENTS}/${ORG_AGENT}`)).resolves.toEqual({ ...agentDoc(owner, ORG), name: "Renamed" });
      await expect(readAsBackend(`${ROWS}/org-row-member`)).resolves.toEqual(rowDoc(owner, ORG, ORG_AGENT, uidOf("developer")!));
      await expect(readAsBackend(`${ROWS}/org-row-forged`)).resolves.toBeUndefined();
      await expect(readAsBackend(`${AGENTS}/new-self-${uidOf("billing")}`)).resolves.toBeUndefined();
      await expect(readAsBackend(`${AGENTS}/new-owners-${uidOf("admin")}`)).resolves.toBeUndefined();
    });

    it("an agent's creator demoted to viewer edits it no more, and still reads what their account is billed for", async () => {
      const maker = "org-agent-maker";
      await seed((db) => setDoc(doc(db, members, maker), memberDoc(ORG, maker, "admin")));
      const db = clientDb(env.authenticatedContext(maker));
      await assertSucceeds(newAgent(db, "made-by-maker", maker, ORG));
      await seed(async (admin) => {
        await setDoc(doc(admin, ROWS, "maker-row"), rowDoc(maker, ORG, "made-by-maker", uidOf("developer")!));
        await updateDoc(doc(admin, members, maker), { role: "viewer" });
      });
      await assertFails(updateDoc(doc(db, AGENTS, "made-by-maker"), { name: "Mine" }));
      await assertFails(getDocs(query(collection(db, ROWS), where("orgId", "==", ORG))));
      await assertSucceeds(getDoc(doc(db, AGENTS, "made-by-maker")));
      expect((await assertSucceeds(getDocs(query(collection(db, ROWS), where("userId", "==", maker))))).size).toBe(1);
    });

    it("a developer removed from the org reads its agents and rows no more", async () => {
      const leaver = "org-leaving-developer";
      await seed((db) => setDoc(doc(db, members, leaver), memberDoc(ORG, leaver, "developer")));
      const db = clientDb(env.authenticatedContext(leaver));
      await assertSucceeds(getDocs(query(collection(db, ROWS), where("orgId", "==", ORG))));
      await assertSucceeds(getDoc(doc(db, AGENTS, ORG_AGENT)));
      await seed((admin) => deleteDoc(doc(admin, members, leaver)));
      await assertFails(getDocs(query(collection(db, ROWS), where("orgId", "==", ORG))));
      await assertFails(getDoc(doc(db, AGENTS, ORG_AGENT)));
      await assertFails(getDocs(query(collection(db, AGENTS), where("orgId", "==", ORG))));
    });
  });

  it("a removed member reads nothing more (the membership document decides, no cached claim)", async () => {
    const leaver = "org-leaver";
    await seed((db) => setDoc(doc(db, members, leaver), memberDoc(ORG, leaver, "developer")));
    const db = clientDb(env.authenticatedContext(leaver));
    await assertSucceeds(getDoc(doc(db, ORGS, ORG)));
    await seed((admin) => deleteDoc(doc(admin, members, leaver)));
    await assertFails(getDoc(doc(db, ORGS, ORG)));
    await assertFails(getDocs(collection(db, members)));
  });
});

// Last, so that the report covers every request above (Jest runs a file's tests in order).
describe("rules coverage report", () => {
  it(`is saved to ${COVERAGE_FILE}`, async () => {
    const report = await saveRulesCoverageReport();
    expect(report).toMatchObject({ ok: true, status: 200 });
    expect(report.html).toContain("billable_conversations");
    expect(report.html).toContain("alchemist_agents");
    expect(report.html).toContain("billing_orgs");
  });
});
