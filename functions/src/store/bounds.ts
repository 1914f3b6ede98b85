/**
 * Firestore's `maximum` and `minimum` field transforms: the field becomes the larger (smaller) of
 * its value and the operand, or the operand when it has none, atomically and in any order, like
 * an increment. The Firestore API has them (FieldTransform.maximum / .minimum) and so does the
 * emulator, but firebase-admin's FieldValue exposes only increment: a bound is an increment
 * sentinel whose wire form names the other transform. One place, so that an SDK upgrade that
 * changes this is caught by the tests of the session bounds (test/integration/account.emulator.test.ts).
 */
import { FieldValue } from "firebase-admin/firestore";

interface Serializer {
  encodeValue(value: unknown): unknown;
}

function bound(kind: "maximum" | "minimum", operand: number): FieldValue {
  const sentinel = FieldValue.increment(operand) as unknown as {
    toProto(serializer: Serializer, path: { formattedName: string }): unknown;
  };
  if (typeof sentinel.toProto !== "function") throw new Error("firebase-admin changed its field transforms: store/bounds.ts needs a look");
  sentinel.toProto = (serializer, path) => ({ fieldPath: path.formattedName, [kind]: serializer.encodeValue(operand) });
  return sentinel as unknown as FieldValue;
}

/** The larger of the stored value and `operand`. */
export const maximumOf = (operand: number) => bound("maximum", operand);
/** The smaller of the stored value and `operand`. */
export const minimumOf = (operand: number) => bound("minimum", operand);
