/** getUsageAnalytics and listBillableConversations: the owner's usage figures and ledger history. */
import { LEDGER_SIGNING_KEY } from "../config";
import { handleUsageAnalytics } from "../handlers/analytics";
import { handleListConversations } from "../handlers/list-conversations";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const getUsageAnalytics = billingCallable("getUsageAnalytics", (caller, input) => handleUsageAnalytics(db(), caller.uid, input));

export const listBillableConversations = billingCallable(
  "listBillableConversations",
  (caller, input) => handleListConversations({ db: db(), signingKey: LEDGER_SIGNING_KEY.value() }, caller.uid, input),
  // The signing key verifies rows (as the rollup does) and, through a derived key, page tokens.
  { secrets: [LEDGER_SIGNING_KEY] },
);
