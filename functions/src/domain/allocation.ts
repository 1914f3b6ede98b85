/**
 * Cost allocation, pure (issue #18): splitting an amount of micro-USD into integer shares that sum
 * to it exactly, in proportion to weights, by largest remainder (Hamilton's method).
 *
 * Why the sum is exact: each share starts as the floor of its exact quota total × w / W, so the
 * floors sum to at most the total and fall short of it by r = total − Σ floors, with 0 ≤ r < n (each
 * floor loses less than 1). Adding 1 to the r shares with the largest remainders (the fractional
 * parts of their quotas) makes the sum exactly the total, and each share is within 1 micro of its
 * quota. The arithmetic is on integers (BigInt where products pass 2^53), so no rounding of floats
 * decides a micro.
 */

const checkAmount = (n: number, what: string) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${n}`);
};

/**
 * `total` split in proportion to `weights`, exactly (see the module doc). All-zero weights split
 * it equally (still exactly). Ties of remainder go to the earlier index.
 *
 * @throws RangeError for a total or a weight that is not a non-negative safe integer, or no weights.
 */
export function splitExactly(total: number, weights: readonly number[]): number[] {
  checkAmount(total, "total");
  if (!weights.length) throw new RangeError("a split needs at least one weight");
  weights.forEach((w, i) => checkAmount(w, `weights[${i}]`));
  const sum = weights.reduce((a, b) => a + b, 0);
  const effective = sum === 0 ? weights.map(() => 1) : weights;
  const W = BigInt(sum === 0 ? weights.length : sum);
  const T = BigInt(total);
  const shares = effective.map((w) => (T * BigInt(w)) / W);
  const remainders = effective.map((w, i) => ({ i, rest: (T * BigInt(w)) % W }));
  const short = Number(T - shares.reduce((a, b) => a + b, 0n));
  remainders.sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
  for (const { i } of remainders.slice(0, short)) shares[i] += 1n;
  return shares.map(Number);
}

/** A member's own production figures in an org. */
export interface MemberCost {
  costMicros: number;
}

/**
 * Each member's allocated cost: their own cost plus their share of the org's shared cost (the agent
 * API's messages, which no member sent), split in proportion to their own costs (equally when none
 * has any). The allocations sum exactly to the members' costs plus the shared cost.
 */
export function allocateShared(members: readonly MemberCost[], sharedMicros: number): { sharedMicros: number; allocatedMicros: number }[] {
  if (!members.length) {
    checkAmount(sharedMicros, "sharedMicros");
    return [];
  }
  const shares = splitExactly(
    sharedMicros,
    members.map((m) => m.costMicros),
  );
  return members.map((m, i) => ({ sharedMicros: shares[i], allocatedMicros: m.costMicros + shares[i] }));
}
