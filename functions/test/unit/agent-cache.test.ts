import { Timestamp } from "firebase-admin/firestore";
import { AgentCache, sameVersion, type AgentVersion } from "../../src/store/agents";

const read = (userId: string, ms: number): AgentVersion => ({ agent: { userId }, version: Timestamp.fromMillis(ms) });

describe("AgentCache", () => {
  it("keeps the latest read of each agent and forgets one read as missing", () => {
    const cache = new AgentCache(10);
    cache.set("a", read("u", 1));
    cache.set("a", read("u", 2));
    expect(cache.get("a")?.version.toMillis()).toBe(2);
    cache.set("a", null);
    expect(cache.get("a")).toBeUndefined();
  });

  it("keeps a newer version when an older read answers late", () => {
    const cache = new AgentCache(10);
    cache.set("a", read("u", 5));
    cache.set("a", read("u", 3));
    expect(cache.get("a")?.version.toMillis()).toBe(5);
  });

  it("drops the agent read longest ago past its capacity", () => {
    const cache = new AgentCache(2);
    cache.set("a", read("u", 1));
    cache.set("b", read("u", 1));
    cache.set("a", read("u", 2)); // read again: now the latest
    cache.set("c", read("u", 1));
    expect([cache.get("a"), cache.get("b"), cache.get("c")].map((r) => r !== undefined)).toEqual([true, false, true]);
  });
});

describe("sameVersion", () => {
  it("is true only for two reads of the same version", () => {
    expect(sameVersion(read("u", 5), read("u", 5))).toBe(true);
    expect(sameVersion(read("u", 5), read("u", 6))).toBe(false);
    expect(sameVersion(read("u", 5), null)).toBe(false);
    expect(sameVersion(null, null)).toBe(false);
  });
});
