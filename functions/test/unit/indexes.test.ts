/**
 * Every Firestore query of the project, beside the index that serves it. The emulator does not
 * enforce indexes, so this is where a query without one fails: add the query here and its index to
 * firestore.indexes.json. A source file that starts querying without being listed here fails too.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");

interface QueryShape {
  file: string;
  what: string;
  collection: string;
  /** Equality filters (any order in the index). */
  equality: string[];
  /** Range and order fields, in index order. */
  ordered: [string, "ASCENDING" | "DESCENDING"][];
  /** "automatic": single-field indexes serve it (one field, or equalities merged by Firestore). */
  index: "composite" | "automatic";
  /**
   * A collection-group query: Firestore builds no single-field index for those by default, so an
   * automatic one needs a field override with a COLLECTION_GROUP index on its field.
   */
  group?: boolean;
}

const QUERIES: QueryShape[] = [
  {
    file: "scripts/demo-stripe.ts",
    what: "the demo owner's outbox entries",
    collection: "billing_outbox",
    equality: ["userId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/outbox.ts",
    what: "the Stripe outbox's due entries",
    collection: "billing_outbox",
    equality: ["state"],
    ordered: [["nextAttemptAt", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/outbox.ts",
    what: "one owner's due entries in the Stripe outbox",
    collection: "billing_outbox",
    equality: ["state", "userId"],
    ordered: [["nextAttemptAt", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/outbox.ts",
    what: "outbox entries unsent for 30 days, not alarmed yet",
    collection: "billing_outbox",
    equality: ["state", "alarmed"],
    ordered: [["timestamp", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/outbox.ts",
    what: "one owner's outbox entries unsent for 30 days, not alarmed yet",
    collection: "billing_outbox",
    equality: ["state", "alarmed", "userId"],
    ordered: [["timestamp", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/statements.ts",
    what: "an owner's sealed statements",
    collection: "billing_statements",
    equality: ["userId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/statements.ts",
    what: "an owner's first day with usage (the first statement's month)",
    collection: "billing_account_daily",
    equality: ["userId"],
    ordered: [["day", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "scripts/soak.ts",
    what: "the soak's rows of one agent",
    collection: "billable_conversations",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "scripts/bench/metering.ts",
    what: "the bench's held-back rows of one agent",
    collection: "billable_conversations",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/claim-sweep.ts",
    what: "claims that went stale since the last sweep",
    collection: "billing_claims",
    equality: [],
    ordered: [["at", "ASCENDING"]],
    index: "automatic",
  },
  {
    file: "functions/src/store/sessions.ts",
    what: "session totals from the ledger",
    collection: "billable_conversations",
    equality: ["userId", "agentId", "conversationId"],
    ordered: [],
    index: "composite",
  },
  {
    file: "functions/src/store/daily.ts",
    what: "daily buckets in a range",
    collection: "agent_usage_daily",
    equality: ["agentId", "userId"],
    ordered: [["day", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/ledger-queries.ts",
    what: "history and export, all rows",
    collection: "billable_conversations",
    equality: ["agentId", "userId"],
    ordered: [
      ["createdAt", "DESCENDING"],
      ["localDay", "DESCENDING"],
    ],
    index: "composite",
  },
  {
    file: "functions/src/store/ledger-queries.ts",
    what: "history and export, billable filter",
    collection: "billable_conversations",
    equality: ["agentId", "userId", "billable"],
    ordered: [
      ["createdAt", "DESCENDING"],
      ["localDay", "DESCENDING"],
    ],
    index: "composite",
  },
  {
    file: "functions/src/store/alerts.ts",
    what: "recent daily buckets / failures, pending deliveries",
    collection: "*",
    equality: [],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/alerts.ts",
    what: "daily-bucket shards updated since the last run",
    collection: "shards",
    equality: [],
    ordered: [["updatedAt", "ASCENDING"]],
    index: "automatic",
    group: true,
  },
  {
    file: "functions/src/store/fold.ts",
    what: "daily buckets with open shards before a day (the fold)",
    collection: "agent_usage_daily",
    equality: ["openShards"],
    ordered: [["day", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/fold.ts",
    what: "an owner's account days with open shards before a day (the fold)",
    collection: "billing_account_daily",
    equality: ["openShards"],
    ordered: [["day", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/fold.ts",
    what: "an org's days with open shards before a day (the fold)",
    collection: "billing_org_daily",
    equality: ["openShards"],
    ordered: [["day", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/account.ts",
    what: "the owner's sessions started in a range (the account view's engagement)",
    collection: "billing_sessions",
    equality: ["userId"],
    ordered: [["firstMessageSecond", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/ledger.ts",
    what: "kept rows of failed ledger writes, pending recovery",
    collection: "billing_failures",
    equality: ["pendingRecovery"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/spend.ts",
    what: "reservations due for a sweep",
    collection: "billing_spend",
    equality: [],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/alert-list.ts",
    what: "the owner's alerts, newest first",
    collection: "billing_alerts",
    equality: ["userId"],
    ordered: [["createdAt", "DESCENDING"]],
    index: "composite",
  },
  {
    file: "functions/src/store/alert-list.ts",
    what: "the owner's alerts of one agent, newest first",
    collection: "billing_alerts",
    equality: ["userId", "agentId"],
    ordered: [["createdAt", "DESCENDING"]],
    index: "composite",
  },
  {
    file: "scripts/reconcile.ts",
    what: "the ledger by agent, in document-id pages",
    collection: "billable_conversations",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "scripts/bench/hot-agent.ts",
    what: "the bench's ledger rows of one agent",
    collection: "billable_conversations",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "scripts/bench/hot-agent.ts",
    what: "the bench's rollup markers of one agent",
    collection: "billing_rollup_markers",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "scripts/bench/account.ts",
    what: "the bench owner's ledger rows, in document-id pages",
    collection: "billable_conversations",
    equality: ["userId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/api-keys.ts",
    what: "an agent's API keys (the list, and their count when one is created)",
    collection: "agent_api_keys",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "functions/src/store/end-users.ts",
    what: "an agent's end-user days in a range (getEndUserUsage)",
    collection: "billing_end_user_daily",
    equality: ["agentId", "userId"],
    ordered: [["day", "ASCENDING"]],
    index: "composite",
  },
  {
    file: "scripts/demo-agent-api.ts",
    what: "the demo agent's API keys (an earlier run's are removed)",
    collection: "agent_api_keys",
    equality: ["agentId"],
    ordered: [],
    index: "automatic",
  },
  {
    file: "scripts/demo-history.ts",
    what: "the demo agent's rows by mode",
    collection: "billable_conversations",
    equality: ["agentId", "billable"],
    ordered: [],
    index: "automatic",
  },
];

interface IndexField {
  fieldPath: string;
  order?: string;
}
const declared = JSON.parse(fs.readFileSync(path.join(ROOT, "firestore.indexes.json"), "utf8")) as {
  indexes: { collectionGroup: string; fields: IndexField[] }[];
  fieldOverrides: { collectionGroup: string; fieldPath: string; indexes: { order?: string; queryScope: string }[] }[];
};
const indexes = declared.indexes;

function serves(index: { collectionGroup: string; fields: IndexField[] }, q: QueryShape): boolean {
  const n = q.equality.length;
  const head = index.fields.slice(0, n).map((f) => f.fieldPath);
  const tail = index.fields.slice(n).map((f) => [f.fieldPath, f.order]);
  return (
    index.collectionGroup === q.collection &&
    head.length === n &&
    q.equality.every((f) => head.includes(f)) &&
    JSON.stringify(tail) === JSON.stringify(q.ordered)
  );
}

const composite = QUERIES.filter((q) => q.index === "composite");

describe("composite indexes", () => {
  it("marks automatic only what single-field indexes can serve", () => {
    for (const q of QUERIES.filter((x) => x.index === "automatic")) expect(q.ordered.length === 0 || q.equality.length === 0).toBe(true);
  });

  it.each(composite.map((q) => [q.what, q] as const))("%s has its index", (_what, q) => {
    expect(indexes.filter((index) => serves(index, q))).toHaveLength(1);
  });

  it("declares no index that no query uses", () => {
    for (const index of indexes) expect(composite.some((q) => serves(index, q))).toBe(true);
  });
});

describe("collection-group queries", () => {
  const groups = QUERIES.filter((q) => q.group && q.index === "automatic");

  it.each(groups.map((q) => [q.what, q] as const))("%s has its collection-group single-field index", (_what, q) => {
    const [field, order] = q.ordered[0] ?? [q.equality[0], "ASCENDING"];
    const override = declared.fieldOverrides.find((o) => o.collectionGroup === q.collection && o.fieldPath === field);
    expect(override?.indexes).toContainEqual({ order, queryScope: "COLLECTION_GROUP" });
  });
});

describe("query sites", () => {
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === "test" || e.name === "node_modules" ? [] : sources(rel);
      return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [rel] : [];
    });

  it("lists every source file that queries Firestore", () => {
    const querying = [...sources("functions/src"), ...sources("scripts")].filter((f) =>
      /\.(where|orderBy)\(|collectionGroup\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")),
    );
    expect(querying.sort()).toEqual([...new Set(QUERIES.map((q) => q.file))].sort());
  });
});
