/** Cost allocation (domain/allocation.ts, domain/org-billing.ts): exact splits by largest remainder. */
import { allocateShared, splitExactly } from "../../src/domain/allocation";
import { buildOrgBilling } from "../../src/domain/org-billing";
import { rollupNamed } from "../../src/domain/rollups";
import { makeLedgerRow } from "../helpers/ledger";

describe("splitExactly", () => {
  it("splits 100 micros over weights 1:1:1 as 34/33/33 (the earlier index wins a tie)", () => {
    expect(splitExactly(100, [1, 1, 1])).toEqual([34, 33, 33]);
  });

  it("gives the spare micros to the largest remainders: 10 over 5:3:2 is exact, 7 over 5:3:2 is 4/2/1", () => {
    expect(splitExactly(10, [5, 3, 2])).toEqual([5, 3, 2]);
    // Quotas 3.5, 2.1, 1.4: floors 3, 2, 1 (6), one spare micro to the largest remainder (0.5).
    expect(splitExactly(7, [5, 3, 2])).toEqual([4, 2, 1]);
  });

  it("splits equally when every weight is zero, and gives nothing to a zero weight otherwise", () => {
    expect(splitExactly(5, [0, 0])).toEqual([3, 2]);
    expect(splitExactly(5, [0, 7])).toEqual([0, 5]);
  });

  it("is exact with amounts whose products pass 2^53", () => {
    const total = Number.MAX_SAFE_INTEGER;
    const shares = splitExactly(total, [Number.MAX_SAFE_INTEGER, 1, 2]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
  });

  it("sums exactly, within 1 micro of each quota, over many random splits", () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 2_000; run++) {
      const total = random(10_000_000);
      const weights = Array.from({ length: 1 + random(12) }, () => (random(3) === 0 ? 0 : random(5_000_000)));
      const shares = splitExactly(total, weights);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      const sum = weights.reduce((a, b) => a + b, 0);
      shares.forEach((share, i) => {
        const quota = sum === 0 ? total / weights.length : (total * weights[i]) / sum;
        expect(Math.abs(share - quota)).toBeLessThan(1 + 1e-6);
        expect(Number.isSafeInteger(share)).toBe(true);
      });
    }
  });

  it.each([
    ["a negative total", -1, [1]],
    ["a fractional total", 1.5, [1]],
    ["a negative weight", 1, [1, -1]],
    ["no weights", 1, []],
  ])("refuses %s", (_what, total, weights) => {
    expect(() => splitExactly(total, weights)).toThrow(RangeError);
  });
});

describe("allocateShared", () => {
  it("adds each member's share of the shared cost to their own, summing to the whole", () => {
    const out = allocateShared([{ costMicros: 2_000 }, { costMicros: 1_000 }], 1_001);
    expect(out).toEqual([
      { sharedMicros: 667, allocatedMicros: 2_667 },
      { sharedMicros: 334, allocatedMicros: 1_334 },
    ]);
    expect(out.reduce((a, m) => a + m.allocatedMicros, 0)).toBe(3_000 + 1_001);
  });
});

describe("buildOrgBilling", () => {
  const org = rollupNamed("org");
  const row = (senderUid: string | undefined, agentId: string, completion: number, mode: "production" | "development" = "production") =>
    org.deltas(
      makeLedgerRow(
        { agentId, userId: "owner", conversationId: "c", mode, completion, org: { orgId: "o1", ...(senderUid ? { senderUid } : {}) } },
        "k",
      ).row,
    );

  it("sums the days by agent and by member, lists a silent member and a former one, and allocates the shared cost exactly", () => {
    const days = [
      row("alice", "a1", 10),
      row("alice", "a2", 7),
      row("bob", "a1", 3),
      row(undefined, "a1", 11),
      row("carol", "a2", 1),
      row("bob", "a1", 5, "development"),
    ];
    const built = buildOrgBilling({
      days,
      members: [
        { uid: "alice", email: "alice@x.test", role: "developer" },
        { uid: "bob", email: "bob@x.test", role: "developer" },
        { uid: "dave", email: null, role: "viewer" },
      ],
      agentNames: new Map([["a1", "Support"]]),
    });
    const total = built.totals.costMicros;
    expect(total).toBeGreaterThan(0);
    expect(built.byMember.map((m) => m.uid)).toEqual(["alice", "bob", "carol", "dave"]);
    expect(built.byMember.find((m) => m.uid === "carol")!.role).toBeNull();
    expect(built.byMember.find((m) => m.uid === "dave")).toMatchObject({ costMicros: 0, sharedCostMicros: 0, allocatedCostMicros: 0 });
    expect(built.byMember.find((m) => m.uid === "bob")).toMatchObject({ devMessages: 1, messages: 1 });
    expect(built.byMember.reduce((a, m) => a + m.allocatedCostMicros, 0)).toBe(total);
    expect(built.byMember.reduce((a, m) => a + m.costMicros, 0) + built.shared.costMicros).toBe(total);
    expect(built.byAgent.reduce((a, m) => a + m.costMicros, 0)).toBe(total);
    expect(built.byAgent.map((a) => [a.agentId, a.name])).toEqual([
      ["a1", "Support"],
      ["a2", null],
    ]);
    expect(built.shared.messages).toBe(1);
    expect(built.totals).toMatchObject({ messages: 5, devMessages: 1 });
  });
});
