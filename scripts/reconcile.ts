/**
 * `npm run reconcile [-- --agent ID | --owner UID | --org ID] [--page-size N] [--project ID]`: recomputes every
 * rollup of the registry (functions/src/domain/rollups.ts: summary, daily buckets, sessions, owners'
 * account days, end users' days, orgs' days) and the Stripe outbox (one entry per billed production row, with its
 * cost) from the ledger, page by page: all of it, one owner's rows and documents (--owner),
 * or one agent's (--agent: its rollups, not the account days, which span agents), or one org's days
 * (--org: the rows of its agents and its days only); and prints the drift per agent and field. Exits 1 on any drift, 0 when every total equals
 * the sum of its ledger rows. A sharded rollup's stored total is what every reader sees: its main
 * document plus its open shards (functions/src/store/rollup-reads.ts), so a drift in a shard is
 * reported on its main document's id.
 *
 * Against the emulators by default (project demo-agent-billing, Firestore on 127.0.0.1:8080); for a
 * real project pass --project and use Application Default Credentials.
 */
import { Command } from "commander";
import { getApps, initializeApp } from "firebase-admin/app";
import { FieldPath, getFirestore, type Firestore, type Query } from "firebase-admin/firestore";
import type { LedgerRow } from "../functions/src/domain/ledger";
import { addDeltas, ROLLUPS, rollupsOf, type Deltas, type Rollup } from "../functions/src/domain/rollups";
import { rowProblem } from "../functions/src/domain/ledger-schema";
import { usageReportOf, type UsageReport } from "../functions/src/domain/usage-report";
import { COLLECTIONS } from "../functions/src/base/collections";
import { isPlainMap } from "../functions/src/base/maps";
import { queryRollupDocs } from "../functions/src/store/rollup-reads";
import { localSigningKey, PROJECT_ID, useEmulators } from "./local-env";

/** One field whose stored total differs from the ledger. */
export interface Drift {
  /** The agent of the document; undefined for an owner's account document (it spans agents). */
  agentId: string | undefined;
  doc: string;
  field: string;
  ledger: number;
  stored: number;
}

type Totals = Map<string, Deltas>;

/** Number leaves of a nested map, as dotted paths (for display; the maps' keys may contain dots). */
function leaves(value: unknown, prefix = ""): Map<string, number> {
  const out = new Map<string, number>();
  if (!isPlainMap(value)) return out;
  for (const [key, v] of Object.entries(value as object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof v === "number") out.set(path, v);
    else for (const [p, n] of leaves(v, path)) out.set(p, n);
  }
  return out;
}

interface Expected {
  /** Per rollup of the registry, the sums of its documents' deltas by document id. */
  totals: Map<Rollup, Totals>;
  /** The Stripe outbox's entries the rows make (domain/usage-report.ts): row id → its report. */
  reports: Map<string, UsageReport>;
  rows: number;
  refused: string[];
}

/** What is reconciled: everything, one owner's rows and documents, one agent's, or one org's days. */
export interface Scope {
  agentId?: string;
  ownerId?: string;
  orgId?: string;
}

/** A collection's documents (or rows) of the scope: every rollup document carries `userId`, an agent's `agentId` too. */
function scoped(query: Query, scope: Scope): Query {
  if (scope.agentId) return query.where("agentId", "==", scope.agentId);
  if (scope.ownerId) return query.where("userId", "==", scope.ownerId);
  if (scope.orgId) return query.where("orgId", "==", scope.orgId);
  return query;
}

/** Reads the ledger in pages of `pageSize` (ordered by document id) and sums what each row adds. */
async function sumLedger(db: Firestore, key: string, scope: Scope, pageSize: number, onPage: (rows: number) => void): Promise<Expected> {
  const e: Expected = { totals: new Map(ROLLUPS.map((rollup) => [rollup, new Map()])), reports: new Map(), rows: 0, refused: [] };
  const add = (totals: Totals, id: string, delta: Deltas) => addDeltas(totals.get(id) ?? totals.set(id, {}).get(id)!, delta);
  let query: Query = scoped(db.collection(COLLECTIONS.ledger), scope);
  query = query.orderBy(FieldPath.documentId()).limit(pageSize);
  for (let page = await query.get(); !page.empty; page = await query.startAfter(page.docs[page.docs.length - 1]).get()) {
    for (const doc of page.docs) {
      // Rows the rollup refuses are not counted either (and are reported).
      if (rowProblem(doc.id, doc.data(), key)) {
        e.refused.push(doc.id);
        continue;
      }
      const row = doc.data() as LedgerRow;
      for (const rollup of rollupsOf(row)) add(e.totals.get(rollup)!, rollup.docId(row), rollup.deltas(row));
      const report = usageReportOf(doc.id, row);
      if (report) e.reports.set(doc.id, report);
    }
    e.rows += page.size;
    onPage(e.rows);
    if (page.size < pageSize) break;
  }
  return e;
}

/** Compares the expected totals of one rollup with its stored documents, shards added in (its counters only), both ways. */
async function compare(db: Firestore, rollup: Rollup, expected: Totals, scope: Query): Promise<Drift[]> {
  const stored = new Map((await queryRollupDocs(db, rollup, scope)).map((d) => [d.id, d.data]));
  const drifts: Drift[] = [];
  for (const id of new Set([...expected.keys(), ...stored.keys()])) {
    const want = leaves(expected.get(id) ?? {});
    const have = new Map([...leaves(stored.get(id) ?? {})].filter(([field]) => rollup.counters.has(field.split(".")[0])));
    for (const field of new Set([...want.keys(), ...have.keys()])) {
      const ledger = want.get(field) ?? 0;
      const actual = have.get(field) ?? 0;
      if (ledger !== actual) drifts.push({ agentId: rollup.agentOf(id), doc: `${rollup.collection}/${id}`, field, ledger, stored: actual });
    }
  }
  return drifts;
}

/**
 * The Stripe outbox against the ledger: one entry per reported row, with the row's cost, and no
 * entry without its row (an entry's state is the dispatcher's, not compared).
 */
async function compareOutbox(expected: Map<string, UsageReport>, scope: Query): Promise<Drift[]> {
  const stored = new Map((await scope.get()).docs.map((d) => [d.id, d.data()]));
  const drifts: Drift[] = [];
  for (const id of new Set([...expected.keys(), ...stored.keys()])) {
    const want = expected.get(id)?.costMicros ?? 0;
    const have = stored.get(id)?.costMicros ?? 0;
    const agentId = expected.get(id)?.agentId ?? stored.get(id)?.agentId;
    if (want !== have) drifts.push({ agentId, doc: `${COLLECTIONS.outbox}/${id}`, field: "costMicros", ledger: want, stored: have });
  }
  return drifts;
}

/** Every drift between the rollups (and the Stripe outbox) and the ledger, for one agent, one owner or all. */
export async function reconcile(
  db: Firestore,
  options: Scope & { signingKey: string; pageSize: number; onPage?: (rows: number) => void },
): Promise<{ drifts: Drift[]; rows: number; refused: string[] }> {
  const e = await sumLedger(db, options.signingKey, options, options.pageSize, options.onPage ?? (() => undefined));
  const drifts: Drift[] = [];
  for (const [rollup, totals] of e.totals) {
    // An owner's account documents add up all their agents: one agent's rows cannot check them.
    if (options.agentId && rollup.scope === "owner") continue;
    // An org's documents add up agents of every owner in it, and carry no userId: only a whole run checks them.
    if ((options.agentId || options.ownerId) && rollup.scope === "org") continue;
    // An org's rows are some of each owner's and agent's: with --org, only its days are checked.
    if (options.orgId && rollup.scope !== "org") continue;
    drifts.push(...(await compare(db, rollup, totals, scoped(db.collection(rollup.collection), options))));
  }
  // Outbox entries carry no orgId: a whole run, an owner's or an agent's checks them.
  if (!options.orgId) drifts.push(...(await compareOutbox(e.reports, scoped(db.collection(COLLECTIONS.outbox), options))));
  return { drifts, rows: e.rows, refused: e.refused };
}

function report(result: Awaited<ReturnType<typeof reconcile>>): void {
  console.log(`\nledger rows read: ${result.rows}; rows the rollup refuses (not counted): ${result.refused.length}`);
  for (const id of result.refused.slice(0, 20)) console.log(`  refused row: ${id}`);
  if (!result.drifts.length) {
    console.log("no drift: every total equals the sum of its ledger rows");
    return;
  }
  console.log(`DRIFT in ${result.drifts.length} field(s) (stored: the document plus its shards):`);
  for (const d of result.drifts) {
    console.log(
      `  ${d.agentId ? `agent ${d.agentId}` : "account"}  ${d.doc}  ${d.field}: ledger ${d.ledger}, stored ${d.stored} (off by ${d.stored - d.ledger})`,
    );
  }
}

/**
 * The key rows are verified with: LEDGER_SIGNING_KEY, or for the emulators the one the harness
 * wrote to functions/.secret.local (it changes every run).
 */
function signingKey(project: string): string {
  if (process.env.LEDGER_SIGNING_KEY || project.startsWith("demo-")) return localSigningKey();
  throw new Error("set LEDGER_SIGNING_KEY (the functions' secret) so rows can be verified as the rollup verifies them");
}

async function main(): Promise<number> {
  const opts = new Command()
    .description("Recompute every rollup from the ledger and print the drift")
    .option("--agent <id>", "only this agent (not the account days, which span agents)")
    .option("--owner <uid>", "only this owner's agents and account days")
    .option("--org <id>", "only this org's days (by agent and by member)")
    .option("--page-size <n>", "ledger rows per page", (v) => Number.parseInt(v, 10), 1000)
    .option("--project <id>", "Firebase project", process.env.GCLOUD_PROJECT ?? PROJECT_ID)
    .parse()
    .opts<{ agent?: string; owner?: string; org?: string; pageSize: number; project: string }>();
  if ([opts.agent, opts.owner, opts.org].filter(Boolean).length > 1) throw new Error("--agent, --owner and --org: pass one of them");
  if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1 || opts.pageSize > 10_000) throw new Error("--page-size must be 1-10000");
  if (opts.project.startsWith("demo-")) useEmulators();
  if (!getApps().length) initializeApp({ projectId: opts.project });
  const target = process.env.FIRESTORE_EMULATOR_HOST ? `emulator ${process.env.FIRESTORE_EMULATOR_HOST}` : "Firestore";
  const what = opts.agent ? `agent ${opts.agent}` : opts.owner ? `owner ${opts.owner}` : opts.org ? `org ${opts.org}` : "all agents";
  console.log(`reconciling ${what} of ${opts.project} (${target})`);
  const result = await reconcile(getFirestore(), {
    signingKey: signingKey(opts.project),
    agentId: opts.agent,
    ownerId: opts.owner,
    orgId: opts.org,
    pageSize: opts.pageSize,
    onPage: (rows) => process.stdout.write(`\r  ledger rows read: ${rows}`),
  });
  report(result);
  return result.drifts.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`reconcile failed: ${err.message}`);
      process.exit(2);
    },
  );
}
