/**
 * Credits burnt down at admission (issue #17). Pure: which grants a message holds in, and which of
 * them pays for it.
 *
 * A grant is a spend scope of its own, `credit:{uid}:{grantId}` (store/spend.ts keys
 * `billing_spend/{scope}_{shard}` by it; agent ids never contain ":", so it never collides with an
 * agent's or an API key's), kept by the ordered holds of domain/admission.ts with the grant's
 * `amountMicros` as its limit over one LIFETIME window ({@link LIFETIME_WINDOWS}, a fixed key the
 * sweeper never prunes). A production message of an owner with live grants holds its worst case in
 * each of the first {@link MAX_CREDIT_SCOPES} of them (in {@link grantOrder}) in the batch that claims
 * it, and is paid by the FIRST grant in that order in which its hold fits, decided from the same one
 * read as its limits. A grant never refuses a message: with no fitting grant the owner pays. The row
 * batch settles the paying grant with the row's cost (never above the worst case held) and deletes
 * the holds in the others, so by the proof of domain/admission.ts, applied per grant to the messages
 * it paid, no burst overdraws a grant.
 */
import { LIFETIME_DAY, LIFETIME_MONTH, type SpendWindowKeys } from "./admission";
import type { CreditGrant } from "./plans";

/** At most this many grants are held in per message (each adds a write to the claim and to the row batch, and 16 documents to the admission read). */
export const MAX_CREDIT_SCOPES = 3;

/**
 * The one window of a grant: its whole life. A valid day in its month (so the spend store takes it),
 * before any real day, and kept by the sweeper (domain/admission.ts sweepPlan).
 */
export const LIFETIME_WINDOWS: Readonly<SpendWindowKeys> = Object.freeze({ day: LIFETIME_DAY, month: LIFETIME_MONTH });

/** The spend scope of an owner's grant. */
export const creditSpendScope = (uid: string, grantId: string) => `credit:${uid}:${grantId}`;

/** The order grants pay in: priority (0 first), then soonest expiry (never-expiring last), then id. */
export function grantOrder(a: CreditGrant, b: CreditGrant): number {
  const expiry = (g: CreditGrant) => (g.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(g.expiresAt));
  return a.priority - b.priority || expiry(a) - expiry(b) || (a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0);
}

/** Whether a grant can pay for a message at `at` (epoch ms): effective by then, not expired, and worth something. */
export function grantLive(grant: CreditGrant, at: number): boolean {
  const effective = grant.effectiveAt === undefined || Date.parse(grant.effectiveAt) <= at;
  const unexpired = grant.expiresAt === null || Date.parse(grant.expiresAt) > at;
  return effective && unexpired && grant.amountMicros > 0;
}

/** The grants a production message at `at` holds in: the live ones, in {@link grantOrder}, at most {@link MAX_CREDIT_SCOPES}. */
export function creditCandidates(grants: readonly CreditGrant[], at: number): CreditGrant[] {
  return grants
    .filter((g) => grantLive(g, at))
    .sort(grantOrder)
    .slice(0, MAX_CREDIT_SCOPES);
}

/** The grant that pays: the first candidate (in their order) whose hold fits; null when none does (the owner pays). */
export function payingGrant(outcomes: readonly { grantId: string; fits: boolean }[]): string | null {
  return outcomes.find((o) => o.fits)?.grantId ?? null;
}
