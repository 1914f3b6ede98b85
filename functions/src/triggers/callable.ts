/**
 * The one wrapper every callable goes through: signed-in caller, App Check when enforced (checked
 * here at run time so the param can change without a code change), input
 * parsed by its strict schema (invalid-argument naming the field), errors mapped in one place.
 */
import { onCall, type CallableOptions, type CallableResponse } from "firebase-functions/v2/https";
import type { z } from "zod";
import { ENFORCE_APP_CHECK, REGION } from "../config";
import { BillingError, toHttpsError, unauthenticated } from "../errors";
import { logUnexpected } from "../logs";
import { parseInput } from "../validation";

/** What a handler knows about its caller. */
export interface Caller {
  uid: string;
  email?: string;
}

type Handler<I, O, C> = (caller: Caller, input: I, stream?: CallableResponse<C>) => Promise<O>;

/** Builds a callable from a schema and a handler. */
export function billingCallable<S extends z.ZodType, O, C = never>(
  name: string,
  schema: S,
  handler: Handler<z.infer<S>, O, C>,
  options: Omit<CallableOptions, "region"> = {},
) {
  return onCall<unknown, Promise<O>, C>({ region: REGION, cors: true, ...options }, async (request, response) => {
    try {
      if (!request.auth?.uid) throw unauthenticated();
      if (ENFORCE_APP_CHECK.value() && !request.app) throw new BillingError("unauthenticated", "A valid App Check token is required.");
      const input = parseInput(schema, request.data);
      const stream = request.acceptsStreaming ? response : undefined;
      return await handler({ uid: request.auth.uid, email: request.auth.token?.email }, input, stream);
    } catch (err) {
      if (!(err instanceof BillingError) || err.code === "internal") logUnexpected(name, err);
      throw toHttpsError(err);
    }
  });
}
