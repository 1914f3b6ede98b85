import {
  decodePageToken,
  encodePageToken,
  PageTokenError,
  type PageCursor,
  type PageScope,
  type PageTokenProblem,
} from "../../src/domain/page-token";

const KEY = "test-key-1";
const scope: PageScope = { agentId: "agent-a", userId: "user-1", filters: { from: "2026-01-01", to: "2026-03-31", billable: true } };
const cursor: PageCursor = { seconds: 1_767_225_600, nanos: 123_000_000, day: "2026-01-01", id: "agent-a:conv-1:msg-9" };

function problemOf(run: () => unknown): PageTokenProblem | "none" {
  try {
    run();
    return "none";
  } catch (err) {
    if (err instanceof PageTokenError) return err.problem;
    throw err;
  }
}

/** Replaces the character at `index` with another base64url character. */
const flip = (text: string, index: number) => text.slice(0, index) + (text[index] === "A" ? "B" : "A") + text.slice(index + 1);

describe("page tokens", () => {
  const token = encodePageToken(scope, cursor, KEY);

  it("round-trips the cursor for the scope it was issued for", () => {
    expect(decodePageToken(token, scope, KEY)).toEqual(cursor);
    // Page size is not part of the scope, and absent filters are equivalent to undefined ones.
    const open: PageScope = { agentId: "agent-a", userId: "user-1", filters: {} };
    expect(decodePageToken(encodePageToken(open, cursor, KEY), { ...open, filters: { billable: undefined } }, KEY)).toEqual(cursor);
  });

  it("is opaque url-safe text", () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(token).not.toContain(cursor.id);
  });

  it("refuses a token issued for another agent", () => {
    expect(problemOf(() => decodePageToken(token, { ...scope, agentId: "agent-b" }, KEY))).toBe("other-agent");
  });

  it.each([
    ["another from", { from: "2026-01-02" }],
    ["another to", { to: undefined }],
    ["another billable", { billable: false }],
    ["no billable filter", { billable: undefined }],
  ])("refuses a token reused with %s", (_what, change) => {
    expect(problemOf(() => decodePageToken(token, { ...scope, filters: { ...scope.filters, ...change } }, KEY))).toBe("other-filters");
  });

  it("refuses a token issued to another user", () => {
    expect(problemOf(() => decodePageToken(token, { ...scope, userId: "user-2" }, KEY))).toBe("other-filters");
  });

  it("detects any altered character of the body or the signature", () => {
    for (let i = 0; i < token.length; i++) {
      if (token[i] === ".") continue;
      expect(problemOf(() => decodePageToken(flip(token, i), scope, KEY))).toMatch(/forged|malformed/);
    }
  });

  it("refuses a token whose payload was rewritten to another agent, even re-encoded", () => {
    const [body, sig] = token.split(".");
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    const forged = Buffer.from(JSON.stringify({ ...payload, a: "agent-b" })).toString("base64url");
    expect(problemOf(() => decodePageToken(`${forged}.${sig}`, { ...scope, agentId: "agent-b" }, KEY))).toBe("forged");
  });

  it("refuses a token signed with another key", () => {
    expect(problemOf(() => decodePageToken(encodePageToken(scope, cursor, "other-key"), scope, KEY))).toBe("forged");
  });

  it.each(["", "abc", "a.b.c", "!!!.sig", `${"x".repeat(20)}.`, ".abc"])("refuses malformed %p", (bad) => {
    expect(problemOf(() => decodePageToken(bad, scope, KEY))).toBe("malformed");
  });

  it("refuses a well-signed token with an invalid payload as malformed", () => {
    // Sign a bad payload the way the encoder would, to reach the payload check.
    const good = encodePageToken(scope, { ...cursor, nanos: 2e9 }, KEY);
    expect(problemOf(() => decodePageToken(good, scope, KEY))).toBe("malformed");
  });

  it("names the field in every message", () => {
    try {
      decodePageToken(token, { ...scope, agentId: "agent-b" }, KEY);
      throw new Error("no error");
    } catch (err) {
      expect((err as Error).message).toMatch(/^pageToken: /);
    }
  });
});
