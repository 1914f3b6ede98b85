/** Plain-object helpers shared by the store, reconcile and the bench. */

/** True for a plain map (an object literal or a prototype-less map): timestamps and sentinels are values, not nesting. */
export const isPlainMap = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
