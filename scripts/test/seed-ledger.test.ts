import { PRICE_BOOK } from "../../functions/src/domain/pricing";
import { ROLLUPS } from "../../functions/src/domain/rollups";
import { ACCOUNT_AGENTS, tailAgents } from "../bench/account";
import { rollupPlan } from "../bench/seed-ledger";
import { ledgerRowOf, trafficOf, type SeedRow } from "../seed-traffic";

const until = new Date("2026-03-20T15:00:00Z");
const byTime = (a: SeedRow, b: SeedRow) => (a.row.timestamp < b.row.timestamp ? -1 : a.row.timestamp > b.row.timestamp ? 1 : 0);
const traffic = (agentId: string, timezone: string, perDay: number, perConversation: number) =>
  trafficOf({ agentId, userId: "owner", timezone, until, days: 6, perDay, developmentShare: 0.3, perConversation }).map((m) =>
    ledgerRowOf(m, "key"),
  );

const docsOf = ({ row }: SeedRow) => ROLLUPS.map((r) => ({ path: `${r.collection}/${r.docId(row)}`, sharded: Boolean(r.shards) }));

describe("rollupPlan", () => {
  const rows = [...traffic("a1", "UTC", 30, 4), ...traffic("a2", "Asia/Tehran", 12, 3), ...traffic("a3", "America/Los_Angeles", 5, 3)].sort(
    byTime,
  );
  const plan = rollupPlan(rows);

  it("rolls every row up once", () => {
    const planned = [...plan.waves.flat(), ...plan.sessions.flat()].map((r) => r.id);
    expect(planned.sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it("never runs two rows at once that create one document or share a session, and creates a document before any other row needs it", () => {
    const created = new Set<string>();
    for (const wave of plan.waves) {
      const creating = new Map<string, string>();
      const sessions = new Set<string>();
      for (const r of wave) {
        for (const d of docsOf(r).filter((x) => !created.has(x.path))) {
          expect(creating.get(d.path)).toBeUndefined();
          creating.set(d.path, r.id);
        }
        expect(sessions.has(r.row.sessionId)).toBe(false);
        sessions.add(r.row.sessionId);
      }
      for (const r of wave) for (const d of docsOf(r)) created.add(d.path);
    }
    // After the waves, every main document of a sharded rollup exists: the rest only add to them.
    for (const r of plan.sessions.flat()) for (const d of docsOf(r).filter((x) => x.sharded)) expect(created.has(d.path)).toBe(true);
  });

  it("keeps each session's remaining rows together, in order", () => {
    for (const session of plan.sessions) {
      expect(new Set(session.map((r) => r.row.sessionId)).size).toBe(1);
      expect([...session].sort(byTime)).toEqual(session);
    }
  });

  it("needs two waves for one agent on UTC days: its first row, then the first of every other day", () => {
    const one = rollupPlan(traffic("solo", "UTC", 40, 10));
    expect(one.waves.map((w) => w.length)).toEqual([1, 5]);
  });

  it("is the same plan for the same rows", () => {
    const again = rollupPlan(rows);
    expect(again.waves.map((w) => w.map((r) => r.id))).toEqual(plan.waves.map((w) => w.map((r) => r.id)));
  });
});

describe("tailAgents", () => {
  const agents = tailAgents();

  it("is the owner's 50 agents with the history agent, each with its own id", () => {
    expect(agents).toHaveLength(ACCOUNT_AGENTS - 1);
    expect(new Set(agents.map((a) => a.agentId)).size).toBe(agents.length);
  });

  it("mixes priced models, timezones and both modes", () => {
    for (const a of agents) for (const model of a.models) expect(Object.hasOwn(PRICE_BOOK.models, model)).toBe(true);
    expect(new Set(agents.map((a) => a.models[0])).size).toBeGreaterThan(10);
    expect(new Set(agents.map((a) => a.timezone)).size).toBeGreaterThanOrEqual(5);
    for (const a of agents) expect(a.developmentShare).toBeGreaterThan(0);
    for (const a of agents) expect(a.developmentShare).toBeLessThan(1);
  });
});
