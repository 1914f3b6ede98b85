import * as fs from "node:fs";
import * as path from "node:path";
import { ADDABLE_ORG_ROLES, ORG_ROLES, type OrgRole } from "../../src/contract/orgs";
import { CALLABLES } from "../../src/contract/callables";
import {
  can,
  checkBudgets,
  checkMemberChange,
  countsAfter,
  MAX_ORG_MEMBERS,
  NO_BUDGETS,
  ORG_ACTIONS,
  orgSpendScopes,
  sameBudgets,
  PERMISSIONS,
  type MemberChange,
  type MemberChangeContext,
  type OrgAction,
} from "../../src/domain/orgs";
import { parseInput } from "../../src/validation";

describe("the permission table", () => {
  // prettier-ignore
  const expected: [OrgRole, manageMembers: boolean, manageAgents: boolean, changeAgentSettings: boolean, sendMessages: boolean, readConversations: boolean, seeCosts: boolean][] = [
    // role        members  agents  settings  send   read text  costs
    ["owner",      true,    true,   true,     true,  true,      true],
    ["admin",      true,    true,   true,     true,  true,      true],
    ["billing",    false,   false,  true,     false, false,     true],
    ["developer",  false,   false,  false,    true,  true,      true],
    ["viewer",     false,   false,  false,    false, false,     true],
  ];

  it.each(expected.flatMap(([role, ...allowed]) => ORG_ACTIONS.map((action, i) => ({ role, action, allowed: allowed[i] }))))(
    "$role may $action: $allowed",
    ({ role, action, allowed }) => {
      expect(can(role, action)).toBe(allowed);
    },
  );

  it("covers every role and every action, and nothing else", () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...ORG_ROLES].sort());
    for (const role of ORG_ROLES) expect(Object.keys(PERMISSIONS[role]).sort()).toEqual([...ORG_ACTIONS].sort());
  });

  it.each(ORG_ACTIONS)("a non-member may not %s", (action: OrgAction) => {
    expect(can(null, action)).toBe(false);
  });

  // The rules cannot import the table: they list the roles of the actions they enforce themselves.
  it.each([
    ["manageAgents", "manageAgentsRoles"],
    ["readConversations", "readConversationsRoles"],
  ] as const)("firestore.rules gives %s to the table's roles (%s())", (action, fn) => {
    const rules = fs.readFileSync(path.join(__dirname, "../../../firestore.rules"), "utf8");
    const listed = new RegExp(`function ${fn}\\(\\) \\{\\s*return \\[([^\\]]*)\\];`).exec(rules);
    expect(listed).not.toBeNull();
    const roles = listed![1].split(",").map((r) => r.trim().replace(/'/g, ""));
    expect(roles.sort()).toEqual(ORG_ROLES.filter((role) => can(role, action)).sort());
  });

  it("lets nobody but an owner or an admin manage members, and nobody read text without sending", () => {
    expect(ORG_ROLES.filter((role) => can(role, "manageMembers"))).toEqual(["owner", "admin"]);
    expect(ORG_ROLES.filter((role) => can(role, "readConversations") && !can(role, "sendMessages"))).toEqual([]);
  });
});

const ME = "me";
const THEM = "them";
const ctx = (actorRole: OrgRole | null, ownerCount = 2, memberCount = 5): MemberChangeContext => ({
  actorUid: ME,
  actorRole,
  ownerCount,
  memberCount,
});
const add = (role: OrgRole): MemberChange => ({ kind: "add", role });
const setRole = (from: OrgRole, to: OrgRole, targetUid = THEM): MemberChange => ({ kind: "setRole", targetUid, from, to });
const remove = (from: OrgRole, targetUid = THEM): MemberChange => ({ kind: "remove", targetUid, from });

describe("checkMemberChange", () => {
  // prettier-ignore
  const table: [what: string, context: MemberChangeContext, change: MemberChange, refused: null | "permission-denied" | "failed-precondition"][] = [
    // adding
    ["an owner adds an admin",                         ctx("owner"),     add("admin"),                   null],
    ["an admin adds an admin",                         ctx("admin"),     add("admin"),                   null],
    ["an admin adds a viewer",                         ctx("admin"),     add("viewer"),                  null],
    ["an owner adds an owner",                         ctx("owner"),     add("owner"),                   null],
    ["an admin adds an owner",                         ctx("admin"),     add("owner"),                   "permission-denied"],
    ["a billing member adds a viewer",                 ctx("billing"),   add("viewer"),                  "permission-denied"],
    ["a developer adds a viewer",                      ctx("developer"), add("viewer"),                  "permission-denied"],
    ["a viewer adds a viewer",                         ctx("viewer"),    add("viewer"),                  "permission-denied"],
    ["a non-member adds a viewer",                     ctx(null),        add("viewer"),                  "permission-denied"],
    ["an owner adds to a full org",                    ctx("owner", 1, MAX_ORG_MEMBERS), add("viewer"),  "failed-precondition"],
    ["an owner adds to an org one short of full",      ctx("owner", 1, MAX_ORG_MEMBERS - 1), add("viewer"), null],
    // changing roles
    ["an owner promotes an admin to owner",            ctx("owner"),     setRole("admin", "owner"),      null],
    ["an owner demotes another owner",                 ctx("owner", 2),  setRole("owner", "admin"),      null],
    ["an owner demotes the last other owner (count 1)", ctx("owner", 1), setRole("owner", "viewer"),     "failed-precondition"],
    ["an owner makes a viewer a developer",            ctx("owner"),     setRole("viewer", "developer"), null],
    ["an admin makes a viewer a billing member",       ctx("admin"),     setRole("viewer", "billing"),   null],
    ["an admin demotes another admin",                 ctx("admin"),     setRole("admin", "viewer"),     null],
    ["an admin promotes a viewer to owner",            ctx("admin"),     setRole("viewer", "owner"),     "permission-denied"],
    ["an admin demotes an owner",                      ctx("admin"),     setRole("owner", "admin"),      "permission-denied"],
    ["a developer promotes a viewer",                  ctx("developer"), setRole("viewer", "developer"), "permission-denied"],
    ["a billing member promotes a viewer",             ctx("billing"),   setRole("viewer", "billing"),   "permission-denied"],
    ["a non-member changes a role",                    ctx(null),        setRole("viewer", "admin"),     "permission-denied"],
    ["an owner demotes themself",                      ctx("owner", 3),  setRole("owner", "admin", ME),  "permission-denied"],
    ["an admin promotes themself to owner",            ctx("admin"),     setRole("admin", "owner", ME),  "permission-denied"],
    ["an admin sets their own role to admin",          ctx("admin"),     setRole("admin", "admin", ME),  "permission-denied"],
    ["an owner sets an owner's role to owner (no-op)", ctx("owner", 1),  setRole("owner", "owner"),      null],
    // removing
    ["an owner removes a viewer",                      ctx("owner"),     remove("viewer"),               null],
    ["an owner removes another owner",                 ctx("owner", 2),  remove("owner"),                null],
    ["an owner removes the last owner (count 1)",      ctx("owner", 1),  remove("owner"),                "failed-precondition"],
    ["an admin removes a developer",                   ctx("admin"),     remove("developer"),            null],
    ["an admin removes an owner",                      ctx("admin"),     remove("owner"),                "permission-denied"],
    ["a viewer removes a viewer",                      ctx("viewer"),    remove("viewer"),               "permission-denied"],
    ["an owner removes themself",                      ctx("owner", 2),  remove("owner", ME),            "permission-denied"],
    ["an admin removes themself",                      ctx("admin"),     remove("admin", ME),            "permission-denied"],
  ];

  it.each(table.map(([what, context, change, refused]) => ({ what, context, change, refused })))(
    "$what: $refused",
    ({ context, change, refused }) => {
      expect(checkMemberChange(context, change)?.code ?? null).toBe(refused);
    },
  );

  it("explains a refusal in plain words", () => {
    expect(checkMemberChange(ctx("owner", 1), remove("owner"))?.message).toBe("An organisation keeps at least one owner.");
    expect(checkMemberChange(ctx("viewer"), add("viewer"))?.message).toMatch(/viewer member cannot manage members/);
  });
});

describe("countsAfter", () => {
  // prettier-ignore
  const table: [MemberChange, owners: number, members: number][] = [
    [add("viewer"),                0, +1],
    [add("owner"),                +1, +1],
    [setRole("viewer", "owner"),  +1,  0],
    [setRole("owner", "admin"),   -1,  0],
    [setRole("owner", "owner"),    0,  0],
    [setRole("viewer", "admin"),   0,  0],
    [remove("owner"),             -1, -1],
    [remove("developer"),          0, -1],
  ];
  it.each(table)("%o moves the owners by %d and the members by %d", (change, owners, members) => {
    expect(countsAfter({ ownerCount: 2, memberCount: 5 }, change)).toEqual({ ownerCount: 2 + owners, memberCount: 5 + members });
  });
});

describe("the org callables' input", () => {
  it.each<[keyof typeof CALLABLES, string, unknown]>([
    ["createOrg", "name: must be a string", {}],
    ["createOrg", "name: must not be empty", { name: "   " }],
    ["createOrg", "name: must be at most 100 characters", { name: "x".repeat(101) }],
    ["addOrgMember", "email: must be an email address", { orgId: "o", email: "not an email", role: "viewer" }],
    [
      "addOrgMember",
      'role: must be one of "admin", "billing", "developer", "viewer"',
      { orgId: "o", email: "a@example.com", role: "owner" },
    ],
    ["addOrgMember", "orgId: must be 1-128 characters", { orgId: "../o", email: "a@example.com", role: "viewer" }],
    ["setOrgMemberRole", 'role: must be one of "owner", "admin"', { orgId: "o", uid: "u", role: "superuser" }],
    ["removeOrgMember", "uid: must be a string", { orgId: "o" }],
    ["listOrgMembers", '"extra": unknown field', { orgId: "o", extra: 1 }],
  ])("%s refuses: %s", (name, message, data) => {
    expect(() => parseInput(CALLABLES[name].request, data)).toThrow(message);
  });

  it("trims the name and compares emails in lower case", () => {
    expect(parseInput(CALLABLES.createOrg.request, { name: "  Acme  " })).toEqual({ name: "Acme" });
    expect(parseInput(CALLABLES.addOrgMember.request, { orgId: "o", email: " Ann@Example.COM ", role: "viewer" })).toEqual({
      orgId: "o",
      email: "ann@example.com",
      role: "viewer",
    });
  });

  it("adds members with any role but owner", () => {
    expect([...ADDABLE_ORG_ROLES]).toEqual(ORG_ROLES.filter((role) => role !== "owner"));
  });
});

describe("checkBudgets", () => {
  const M = 1_000_000;
  it.each([
    ["no budgets", {}, null],
    ["an org's daily budget alone", { dailyLimitMicros: 5 * M }, null],
    [
      "equal budgets (redundant, not contradictory)",
      { dailyLimitMicros: 5 * M, monthlyLimitMicros: 5 * M, memberDailyLimitMicros: 5 * M },
      null,
    ],
    ["a member's daily budget under the org's", { dailyLimitMicros: 5 * M, memberDailyLimitMicros: 5 * M - 1 }, null],
    [
      "a member's daily budget one micro above the org's",
      { dailyLimitMicros: 5 * M, memberDailyLimitMicros: 5 * M + 1 },
      "a member's daily budget is above the org's daily budget",
    ],
    [
      "the org's daily above its monthly",
      { dailyLimitMicros: 6 * M, monthlyLimitMicros: 5 * M },
      "the org's daily budget is above its monthly budget",
    ],
    [
      "a member's daily above a member's monthly",
      { memberDailyLimitMicros: 2, memberMonthlyLimitMicros: 1 },
      "a member's daily budget is above a member's monthly budget",
    ],
    [
      "a member's monthly above the org's",
      { monthlyLimitMicros: 1, memberMonthlyLimitMicros: 2 },
      "a member's monthly budget is above the org's monthly budget",
    ],
    [
      "a member's daily above the org's monthly",
      { monthlyLimitMicros: 1, memberDailyLimitMicros: 2 },
      "a member's daily budget is above the org's monthly budget",
    ],
    ["a zero budget (nothing may be spent)", { dailyLimitMicros: 0, memberDailyLimitMicros: 0 }, null],
  ])("%s", (_what, budgets, problem) => {
    expect(checkBudgets({ ...NO_BUDGETS, ...budgets })).toBe(problem);
  });

  it("compares budgets field by field", () => {
    expect(sameBudgets(NO_BUDGETS, { ...NO_BUDGETS })).toBe(true);
    for (const field of Object.keys(NO_BUDGETS)) expect(sameBudgets(NO_BUDGETS, { ...NO_BUDGETS, [field]: 0 })).toBe(false);
  });
});

describe("orgSpendScopes", () => {
  it("names the org's scope and its member's, never an agent id (ids have no colon)", () => {
    expect(orgSpendScopes(undefined, undefined)).toEqual([]);
    expect(orgSpendScopes("org_1", undefined)).toEqual(["org:org_1"]);
    expect(orgSpendScopes("org_1", "u1")).toEqual(["org:org_1", "org:org_1:member:u1"]);
  });
});
