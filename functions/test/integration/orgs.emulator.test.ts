/**
 * Organisations through the real callables (createOrg, addOrgMember, setOrgMemberRole,
 * removeOrgMember, listOrgMembers) over HTTP with Auth-emulator users: each role's allows and
 * denies, the last owner under concurrent demotions, duplicate adds, and bad input writing nothing.
 */
import type { OrgRole } from "../../src/contract/orgs";
import { adminDb, call, createUser, type CallResult, type TestUser } from "../helpers/emulator";

type Role = OrgRole;
const ROLES: Role[] = ["owner", "admin", "billing", "developer", "viewer"];
type Actor = Role | "outsider";
const ACTORS: Actor[] = [...ROLES, "outsider"];

const orgDoc = async (orgId: string) => (await adminDb().doc(`billing_orgs/${orgId}`).get()).data();
const memberDoc = async (orgId: string, uid: string) => (await adminDb().doc(`billing_orgs/${orgId}/members/${uid}`).get()).data();
const memberIds = async (orgId: string) => (await adminDb().collection(`billing_orgs/${orgId}/members`).get()).docs.map((d) => d.id).sort();

/** What an org looks like to the backend: its counts and every membership. */
async function orgState(orgId: string) {
  const snap = await adminDb().collection(`billing_orgs/${orgId}/members`).get();
  const org = await orgDoc(orgId);
  return {
    ownerCount: org?.ownerCount,
    memberCount: org?.memberCount,
    members: Object.fromEntries(snap.docs.map((d) => [d.id, d.get("role")])),
  };
}

/** The error's status ("PERMISSION_DENIED"), or "OK". */
const statusOf = (res: CallResult) => res.error?.status ?? "OK";

function expectOk<T>(res: CallResult<T>): T {
  expect(res.error).toBeUndefined();
  return res.result as T;
}

async function newOrg(owner: TestUser, name = "Acme"): Promise<string> {
  return expectOk(await call<{ orgId: string }>("createOrg", { name }, owner.idToken)).orgId;
}

async function addMember(orgId: string, by: TestUser, user: TestUser, role: Exclude<Role, "owner">) {
  return expectOk(await call<{ uid: string; role: Role }>("addOrgMember", { orgId, email: user.email, role }, by.idToken));
}

/** An org with one member of every role (the owner created it), and a signed-in user outside it. */
async function orgWithEveryRole(): Promise<{ orgId: string; users: Record<Actor, TestUser> }> {
  const list = await Promise.all(ACTORS.map((actor) => createUser(actor)));
  const users = Object.fromEntries(ACTORS.map((actor, i) => [actor, list[i]])) as Record<Actor, TestUser>;
  const orgId = await newOrg(users.owner);
  for (const role of ["admin", "billing", "developer", "viewer"] as const) await addMember(orgId, users.owner, users[role], role);
  return { orgId, users };
}

describe("createOrg", () => {
  it("makes the caller its owner: the org and the owner's membership", async () => {
    const owner = await createUser("founder");
    const orgId = await newOrg(owner, "  Acme Robotics ");
    expect(orgId).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(await orgDoc(orgId)).toMatchObject({ orgId, name: "Acme Robotics", createdBy: owner.uid, ownerCount: 1, memberCount: 1 });
    expect(await memberDoc(orgId, owner.uid)).toMatchObject({ orgId, userId: owner.uid, role: "owner", email: owner.email });
    const listed = expectOk(await call<{ items: { uid: string; role: Role }[] }>("listOrgMembers", { orgId }, owner.idToken));
    expect(listed).toMatchObject({ orgId, name: "Acme Robotics", items: [{ uid: owner.uid, role: "owner", email: owner.email }] });
  });

  it.each([
    ["no name", {}],
    ["an empty name", { name: " " }],
    ["a name of 101 characters", { name: "x".repeat(101) }],
    ["an unknown field", { name: "Acme", ownerUid: "someone-else" }],
  ])("refuses %s with invalid-argument and writes nothing", async (_what, data) => {
    const user = await createUser("bad-org");
    const res = await call("createOrg", data, user.idToken);
    expect(statusOf(res)).toBe("INVALID_ARGUMENT");
    const created = await adminDb().collection("billing_orgs").where("createdBy", "==", user.uid).count().get();
    expect(created.data().count).toBe(0);
  });

  it("refuses a signed-out caller", async () => {
    expect(statusOf(await call("createOrg", { name: "Acme" }))).toBe("UNAUTHENTICATED");
  });
});

describe("each role on the callables", () => {
  let orgId: string;
  let users: Record<Actor, TestUser>;
  beforeAll(async () => {
    ({ orgId, users } = await orgWithEveryRole());
  });

  /** A fresh member the owner adds, for a case to act on. */
  async function freshMember(role: Exclude<Role, "owner">): Promise<TestUser> {
    const user = await createUser(`target-${role}`);
    await addMember(orgId, users.owner, user, role);
    return user;
  }

  // prettier-ignore
  const MATRIX: [what: string, owner: string, admin: string, billing: string, developer: string, viewer: string, outsider: string][] = [
    // request                             owner   admin   billing              developer            viewer               outsider
    ["list the members",                   "OK",   "OK",   "OK",                "OK",                "OK",                "PERMISSION_DENIED"],
    ["add a viewer",                       "OK",   "OK",   "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["add an admin",                       "OK",   "OK",   "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["make a viewer a developer",          "OK",   "OK",   "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["make a viewer an owner",             "OK",   "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["remove a developer",                 "OK",   "OK",   "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["demote the owner to admin",          "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["remove the owner",                   "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
    ["change their own role to viewer",    "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"],
  ];

  /** Each request: the call, and what the org must hold afterwards when it was allowed and when it was refused. */
  const REQUESTS: Record<string, (actor: TestUser) => Promise<{ res: CallResult; check: (allowed: boolean) => Promise<void> }>> = {
    "list the members": async (actor) => {
      const res = await call<{ items: { uid: string }[] }>("listOrgMembers", { orgId }, actor.idToken);
      return {
        res,
        check: async (allowed) => {
          if (allowed) expect((res.result as { items: { uid: string }[] }).items.map((m) => m.uid)).toContain(users.viewer.uid);
        },
      };
    },
    "add a viewer": async (actor) => addCase(actor, "viewer"),
    "add an admin": async (actor) => addCase(actor, "admin"),
    "make a viewer a developer": async (actor) => roleCase(actor, await freshMember("viewer"), "developer"),
    "make a viewer an owner": async (actor) => roleCase(actor, await freshMember("viewer"), "owner"),
    "remove a developer": async (actor) => {
      const target = await freshMember("developer");
      const res = await call("removeOrgMember", { orgId, uid: target.uid }, actor.idToken);
      return { res, check: async (allowed) => expect(await memberDoc(orgId, target.uid)).toEqual(allowed ? undefined : expect.anything()) };
    },
    "demote the owner to admin": async (actor) => roleCase(actor, users.owner, "admin"),
    "remove the owner": async (actor) => {
      const res = await call("removeOrgMember", { orgId, uid: users.owner.uid }, actor.idToken);
      return { res, check: async () => expect((await memberDoc(orgId, users.owner.uid))?.role).toBe("owner") };
    },
    "change their own role to viewer": async (actor) => roleCase(actor, actor, "viewer"),
  };

  async function addCase(actor: TestUser, role: "viewer" | "admin") {
    const target = await createUser(`new-${role}`);
    const res = await call("addOrgMember", { orgId, email: target.email, role }, actor.idToken);
    return {
      res,
      check: async (allowed: boolean) => {
        if (allowed) expect(res.result).toEqual({ uid: target.uid, role });
        expect((await memberDoc(orgId, target.uid))?.role).toBe(allowed ? role : undefined);
      },
    };
  }

  async function roleCase(actor: TestUser, target: TestUser, role: Role) {
    const before = (await memberDoc(orgId, target.uid))?.role;
    const res = await call("setOrgMemberRole", { orgId, uid: target.uid, role }, actor.idToken);
    return {
      res,
      check: async (allowed: boolean) => {
        if (allowed) expect(res.result).toEqual({ uid: target.uid, role });
        expect((await memberDoc(orgId, target.uid))?.role).toBe(allowed ? role : before);
      },
    };
  }

  it.each(MATRIX.flatMap(([what, ...statuses]) => ACTORS.map((actor, i) => ({ what, actor, status: statuses[i] }))))(
    "$what as $actor: $status",
    async ({ what, actor, status }) => {
      const { res, check } = await REQUESTS[what](users[actor]);
      expect(statusOf(res)).toBe(status);
      await check(status === "OK");
    },
  );

  it("keeps the org's counts equal to its memberships after every case", async () => {
    const state = await orgState(orgId);
    const roles = Object.values(state.members);
    expect(state.memberCount).toBe(roles.length);
    expect(state.ownerCount).toBe(roles.filter((r) => r === "owner").length);
    expect(state.members[users.owner.uid]).toBe("owner");
  });
});

describe("addOrgMember: precise errors", () => {
  let owner: TestUser;
  let viewer: TestUser;
  let orgId: string;
  beforeAll(async () => {
    [owner, viewer] = await Promise.all([createUser("owner"), createUser("viewer")]);
    orgId = await newOrg(owner);
    await addMember(orgId, owner, viewer, "viewer");
  });

  it("answers not-found for an email with no account, to someone who may add members", async () => {
    const res = await call("addOrgMember", { orgId, email: `nobody-${Date.now()}@example.com`, role: "viewer" }, owner.idToken);
    expect(statusOf(res)).toBe("NOT_FOUND");
  });

  it("answers permission-denied, not not-found, to someone who may not (no probing for accounts)", async () => {
    const res = await call("addOrgMember", { orgId, email: `nobody-${Date.now()}@example.com`, role: "viewer" }, viewer.idToken);
    expect(statusOf(res)).toBe("PERMISSION_DENIED");
  });

  it("answers not-found for an org that does not exist", async () => {
    const res = await call("addOrgMember", { orgId: "no-such-org", email: viewer.email, role: "viewer" }, owner.idToken);
    expect(statusOf(res)).toBe("NOT_FOUND");
  });

  it("finds the user whatever the case of the email", async () => {
    const user = await createUser("MixedCase");
    const res = await call("addOrgMember", { orgId, email: user.email.toUpperCase(), role: "developer" }, owner.idToken);
    expect(expectOk(res)).toEqual({ uid: user.uid, role: "developer" });
  });

  it("answers already-exists for a member already there, whatever the role asked, and changes nothing", async () => {
    const before = await orgState(orgId);
    for (const role of ["viewer", "admin"]) {
      const res = await call("addOrgMember", { orgId, email: viewer.email, role }, owner.idToken);
      expect(statusOf(res)).toBe("ALREADY_EXISTS");
      expect(res.error?.details).toEqual({ uid: viewer.uid, role: "viewer" });
    }
    expect(await orgState(orgId)).toEqual(before);
  });

  it("adds a member once when the same add arrives five times at once", async () => {
    const user = await createUser("dup");
    const before = await orgState(orgId);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call("addOrgMember", { orgId, email: user.email, role: "developer" }, owner.idToken)),
    );
    expect(results.map(statusOf).sort()).toEqual(["ALREADY_EXISTS", "ALREADY_EXISTS", "ALREADY_EXISTS", "ALREADY_EXISTS", "OK"]);
    const after = await orgState(orgId);
    expect(after).toEqual({ ...before, memberCount: before.memberCount + 1, members: { ...before.members, [user.uid]: "developer" } });
  });

  it.each([
    ["the owner role (granted only with setOrgMemberRole)", { role: "owner" }],
    ["an unknown role", { role: "superuser" }],
    ["a malformed email", { email: "not-an-email" }],
    ["an orgId with a slash", { orgId: "a/b" }],
    ["an unknown field", { uid: "forged" }],
  ])("refuses %s with invalid-argument and writes nothing", async (_what, override) => {
    const user = await createUser("bad-add");
    const before = await orgState(orgId);
    const res = await call("addOrgMember", { orgId, email: user.email, role: "viewer", ...override }, owner.idToken);
    expect(statusOf(res)).toBe("INVALID_ARGUMENT");
    expect(await orgState(orgId)).toEqual(before);
  });
});

describe("setOrgMemberRole and removeOrgMember", () => {
  let owner: TestUser;
  let admin: TestUser;
  let orgId: string;
  beforeAll(async () => {
    [owner, admin] = await Promise.all([createUser("owner"), createUser("admin")]);
    orgId = await newOrg(owner);
    await addMember(orgId, owner, admin, "admin");
  });

  it("answers not-found for someone who is not a member", async () => {
    const stranger = await createUser("stranger");
    expect(statusOf(await call("setOrgMemberRole", { orgId, uid: stranger.uid, role: "viewer" }, owner.idToken))).toBe("NOT_FOUND");
    expect(statusOf(await call("removeOrgMember", { orgId, uid: stranger.uid }, owner.idToken))).toBe("NOT_FOUND");
  });

  it("changes nothing when the role is the one the member has, and says so", async () => {
    const before = await orgState(orgId);
    expect(expectOk(await call("setOrgMemberRole", { orgId, uid: admin.uid, role: "admin" }, owner.idToken))).toEqual({
      uid: admin.uid,
      role: "admin",
    });
    expect(await orgState(orgId)).toEqual(before);
  });

  it("refuses bad input with invalid-argument and writes nothing", async () => {
    const before = await orgState(orgId);
    expect(statusOf(await call("setOrgMemberRole", { orgId, uid: admin.uid, role: "root" }, owner.idToken))).toBe("INVALID_ARGUMENT");
    expect(statusOf(await call("setOrgMemberRole", { orgId, uid: admin.uid }, owner.idToken))).toBe("INVALID_ARGUMENT");
    expect(statusOf(await call("removeOrgMember", { orgId, uid: "../x" }, owner.idToken))).toBe("INVALID_ARGUMENT");
    expect(await orgState(orgId)).toEqual(before);
  });

  it("a removed member can no longer list the org", async () => {
    const leaver = await createUser("leaver");
    await addMember(orgId, admin, leaver, "developer");
    expect(statusOf(await call("listOrgMembers", { orgId }, leaver.idToken))).toBe("OK");
    expectOk(await call("removeOrgMember", { orgId, uid: leaver.uid }, admin.idToken));
    expect(statusOf(await call("listOrgMembers", { orgId }, leaver.idToken))).toBe("PERMISSION_DENIED");
    expect(await memberIds(orgId)).not.toContain(leaver.uid);
  });

  it("an owner makes another owner, who may then demote the first", async () => {
    const [first, second] = await Promise.all([createUser("first"), createUser("second")]);
    const org = await newOrg(first);
    await addMember(org, first, second, "admin");
    expectOk(await call("setOrgMemberRole", { orgId: org, uid: second.uid, role: "owner" }, first.idToken));
    expect((await orgState(org)).ownerCount).toBe(2);
    expectOk(await call("setOrgMemberRole", { orgId: org, uid: first.uid, role: "viewer" }, second.idToken));
    expect(await orgState(org)).toEqual({ ownerCount: 1, memberCount: 2, members: { [first.uid]: "viewer", [second.uid]: "owner" } });
  });
});

describe("the last owner", () => {
  /** An org with two owners, a and b. */
  async function twoOwners() {
    const [a, b] = await Promise.all([createUser("owner-a"), createUser("owner-b")]);
    const orgId = await newOrg(a);
    await addMember(orgId, a, b, "admin");
    expectOk(await call("setOrgMemberRole", { orgId, uid: b.uid, role: "owner" }, a.idToken));
    return { orgId, a, b };
  }

  it.each([1, 2, 3])("two owners demoting each other at once: exactly one succeeds (round %d)", async () => {
    const { orgId, a, b } = await twoOwners();
    const results = await Promise.all([
      call("setOrgMemberRole", { orgId, uid: b.uid, role: "admin" }, a.idToken),
      call("setOrgMemberRole", { orgId, uid: a.uid, role: "admin" }, b.idToken),
    ]);
    // The loser is an admin by the time its transaction commits, and an admin cannot demote an owner.
    expect(results.map(statusOf).sort()).toEqual(["OK", "PERMISSION_DENIED"]);
    const state = await orgState(orgId);
    expect(Object.values(state.members).sort()).toEqual(["admin", "owner"]);
    expect(state.ownerCount).toBe(1);
  });

  it("two owners removing each other at once: exactly one succeeds", async () => {
    const { orgId, a, b } = await twoOwners();
    const results = await Promise.all([
      call("removeOrgMember", { orgId, uid: b.uid }, a.idToken),
      call("removeOrgMember", { orgId, uid: a.uid }, b.idToken),
    ]);
    expect(results.map(statusOf).sort()).toEqual(["OK", "PERMISSION_DENIED"]);
    const state = await orgState(orgId);
    expect(Object.values(state.members)).toEqual(["owner"]);
    expect(state).toMatchObject({ ownerCount: 1, memberCount: 1 });
  });

  it("a sole owner cannot be demoted or removed, by themself or by an admin", async () => {
    const [owner, admin] = await Promise.all([createUser("sole"), createUser("admin")]);
    const orgId = await newOrg(owner);
    await addMember(orgId, owner, admin, "admin");
    const attempts = await Promise.all([
      call("setOrgMemberRole", { orgId, uid: owner.uid, role: "admin" }, owner.idToken),
      call("removeOrgMember", { orgId, uid: owner.uid }, owner.idToken),
      call("setOrgMemberRole", { orgId, uid: owner.uid, role: "admin" }, admin.idToken),
      call("removeOrgMember", { orgId, uid: owner.uid }, admin.idToken),
    ]);
    expect(attempts.map(statusOf)).toEqual(Array(4).fill("PERMISSION_DENIED"));
    expect(await orgState(orgId)).toEqual({ ownerCount: 1, memberCount: 2, members: { [owner.uid]: "owner", [admin.uid]: "admin" } });
  });
});

describe("listOrgMembers", () => {
  it("lists owners first, then down the roles, with their emails", async () => {
    const { orgId, users } = await orgWithEveryRole();
    const listed = expectOk(
      await call<{ items: { uid: string; role: Role; email: string }[] }>("listOrgMembers", { orgId }, users.viewer.idToken),
    );
    expect(listed.items.map((m) => [m.role, m.uid, m.email])).toEqual(ROLES.map((role) => [role, users[role].uid, users[role].email]));
  });

  it("answers not-found for an org that does not exist", async () => {
    const user = await createUser("lister");
    expect(statusOf(await call("listOrgMembers", { orgId: "no-such-org" }, user.idToken))).toBe("NOT_FOUND");
  });
});
