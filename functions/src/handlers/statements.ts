/**
 * getStatement and listStatements: the caller's monthly statements under their plan. Each call walks
 * the months from the account's first to the one asked for (domain/statement-walk.ts), reading the
 * sealed statements, the account and plan, and the UTC days of the months not sealed (plus the
 * sealed months a statement looks back at for late usage); nothing grows with ledger rows.
 *
 * Sealing happens here, on demand: a month past its grace period is sealed by the first call that
 * computes it (oldest first), with one create() on its derived id. A concurrent call that sealed it
 * first wins: this call reads again and answers the stored statement, so a final statement is
 * written once and never changes.
 */
import type { Firestore } from "firebase-admin/firestore";
import { addMonths, monthOf, monthsBetween, monthsInRange } from "../base/months";
import type { GetStatementRequest, ListStatementsResponse, StatementView } from "../contract/statements";
import { BillingError, failedPrecondition, invalidArgument } from "../errors";
import { monthsToRead, walkStatements } from "../domain/statement-walk";
import { sealStatement, statementView, type BuiltStatement, type SealedStatement } from "../domain/statements";
import { firstUsageDay, readAccountAndPlan, readMonthUsage, readSealedStatements, storeSealedStatement } from "../store/statements";

/** How far back statements go: older months are neither listed nor computed. */
export const MAX_STATEMENT_MONTHS = 36;

/** The account's first month: its start month, its first usage or its oldest sealed statement, at most MAX_STATEMENT_MONTHS back. */
function firstMonth(candidates: (string | null | undefined)[], current: string): string {
  const known = candidates.filter((m): m is string => typeof m === "string").sort();
  const first = known[0] && known[0] < current ? known[0] : current;
  const oldest = addMonths(current, -(MAX_STATEMENT_MONTHS - 1));
  return first < oldest ? oldest : first;
}

/** The walk up to `last` (`null`: the current month), with every final statement it finds sealed. */
async function statementsUpTo(db: Firestore, uid: string, last: string | null, now: number): Promise<(BuiltStatement | SealedStatement)[]> {
  const current = monthOf(now);
  for (let attempt = 0; ; attempt++) {
    const [{ account, planId, plan }, sealed, firstDay] = await Promise.all([
      readAccountAndPlan(db, uid),
      readSealedStatements(db, uid),
      firstUsageDay(db, uid),
    ]);
    if (!plan) throw failedPrecondition(`The account's plan "${planId}" does not exist.`);
    const first = firstMonth([account?.startMonth, firstDay?.slice(0, 7), [...sealed.keys()].sort()[0]], current);
    const upTo = last ?? current;
    if (upTo < first) throw new BillingError("not-found", `No statement for ${upTo}: the account's first month is ${first}.`);
    const months = monthsInRange(first, upTo);
    const usage = await readMonthUsage(db, uid, monthsToRead(months, sealed));
    const walk = walkStatements({ months, plan, grants: account?.credits ?? [], sealed, usage, now });
    const stored = await sealInOrder(db, uid, walk.toSeal);
    if (stored.length === walk.toSeal.length) {
      const justSealed = new Map(stored.map((s) => [s.month, s]));
      return walk.statements.map((s) => justSealed.get(s.month) ?? s);
    }
    // Another call sealed a month first: what follows it was built on our copy, so walk again on theirs.
    if (attempt >= 2) throw new BillingError("unavailable", "Statements are being sealed by another call; try again.");
  }
}

/** Seals the statements oldest first; stops at the first one another call sealed. Returns those this call stored. */
async function sealInOrder(db: Firestore, uid: string, statements: BuiltStatement[]): Promise<SealedStatement[]> {
  const stored: SealedStatement[] = [];
  for (const statement of statements) {
    const sealed = sealStatement(uid, statement);
    if ((await storeSealedStatement(db, sealed)) === "exists") return stored;
    stored.push(sealed);
  }
  return stored;
}

/**
 * The caller's statement for `month`.
 *
 * @throws BillingError invalid-argument for a month after the current one (UTC), not-found for a
 *   month before the account's first, failed-precondition when the account names a missing plan.
 */
export async function handleGetStatement(db: Firestore, uid: string, req: GetStatementRequest, now: number): Promise<StatementView> {
  const current = monthOf(now);
  if (monthsBetween(current, req.month) > 0) throw invalidArgument(`month: must not be after the current month (${current}, UTC)`);
  const statements = await statementsUpTo(db, uid, req.month, now);
  return statementView(statements[statements.length - 1]);
}

/** Every statement of the caller, newest first, from the account's first month to the current one. */
export async function handleListStatements(db: Firestore, uid: string, now: number): Promise<ListStatementsResponse> {
  const statements = await statementsUpTo(db, uid, null, now);
  return { items: statements.map((s) => ({ month: s.month, status: s.status, totalMicros: s.totalMicros })).reverse() };
}
