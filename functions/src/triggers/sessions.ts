/** saveBillingSession and getBillingInfo: a conversation's end, and an agent's live billing. */
import { saveBillingSessionRequestSchema } from "../contract/sessions";
import { handleSaveBillingSession } from "../handlers/sessions";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const saveBillingSession = billingCallable("saveBillingSession", saveBillingSessionRequestSchema, (caller, input) =>
  handleSaveBillingSession(db(), caller.uid, input, Date.now()),
);
