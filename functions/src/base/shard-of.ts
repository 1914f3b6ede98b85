/** Which of N shard documents an id lands on: one hash for every sharded document of the project. */

/**
 * The shard of `id` among `n`: 32-bit FNV-1a of its UTF-16 code units, modulo `n`. A pure function
 * of the id, so a retry (same ledger id) lands on the same shard in any process, and ids spread
 * evenly over the shards.
 *
 * @throws RangeError when `n` is not a positive integer.
 */
export function shardOf(id: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shard count must be a positive integer, got ${n}`);
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}
