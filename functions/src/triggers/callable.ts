/**
 * The one wrapper every callable goes through: signed-in caller, App Check when enforced (checked
 * here at run time so the param can change without a code change), input
 * parsed by its strict schema (invalid-argument naming the field), errors mapped in one place.
 * A callable is named by its entry in contract/callables.ts, which gives its schema and its types.
 */
import { onCall, type CallableOptions, type CallableResponse } from "firebase-functions/v2/https";
import { ENFORCE_APP_CHECK, REGION } from "../config";
import { CALLABLES, type CallableName, type CallableSpec, type Callables, type SpecTypes } from "../contract/callables";
import { BillingError, isUnexpected, toHttpsError, unauthenticated } from "../errors";
import { logUnexpected } from "../logs";
import { parseInput } from "../validation";

/** What a handler knows about its caller. */
export interface Caller {
  uid: string;
  email?: string;
}

/** The handler of a spec: it must answer the spec's response type. */
export type Handler<Spec extends CallableSpec> = (
  caller: Caller,
  input: SpecTypes<Spec>["input"],
  stream?: CallableResponse<SpecTypes<Spec>["chunk"]>,
) => Promise<SpecTypes<Spec>["response"]>;

/** The deployed function's options, and optionally a variant of the request schema (of the same type). */
export type BillingCallableOptions<Spec extends CallableSpec> = Omit<CallableOptions, "region"> & { request?: Spec["request"] };

/** Builds the public callable `name` (an entry of CALLABLES) from its handler. */
export function billingCallable<N extends CallableName>(
  name: N,
  handler: Handler<Callables[N]>,
  options?: BillingCallableOptions<Callables[N]>,
) {
  return callableOf<Callables[N]>(name, CALLABLES[name], handler, options);
}

/** Builds a callable from a spec of its own: for a callable outside the public map (the bench's baseline). */
export function callableOf<Spec extends CallableSpec>(
  name: string,
  spec: Spec,
  handler: Handler<Spec>,
  options: BillingCallableOptions<Spec> = {},
) {
  const { request: schema = spec.request, ...callableOptions } = options;
  type T = SpecTypes<Spec>;
  return onCall<unknown, Promise<T["response"]>, T["chunk"]>(
    { region: REGION, cors: true, ...callableOptions },
    async (request, response) => {
      try {
        if (!request.auth?.uid) throw unauthenticated();
        if (ENFORCE_APP_CHECK.value() && !request.app) throw new BillingError("unauthenticated", "A valid App Check token is required.");
        const input = parseInput(schema, request.data);
        const stream = request.acceptsStreaming ? response : undefined;
        return await handler({ uid: request.auth.uid, email: request.auth.token?.email }, input, stream);
      } catch (err) {
        if (isUnexpected(err)) logUnexpected(name, err);
        throw toHttpsError(err);
      }
    },
  );
}
