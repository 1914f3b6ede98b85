/** saveBillingSession and getBillingInfo: a conversation's end, and an agent's live billing. */
import { DEV_DAILY_MESSAGE_CAP } from "../config";
import { handleGetBillingInfo } from "../handlers/billing-info";
import { handleSaveBillingSession } from "../handlers/sessions";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const saveBillingSession = billingCallable("saveBillingSession", (caller, input) =>
  handleSaveBillingSession(db(), caller.uid, input, Date.now()),
);

export const getBillingInfo = billingCallable("getBillingInfo", (caller, input) =>
  handleGetBillingInfo(db(), caller.uid, input, { now: Date.now(), devDailyMessageCap: DEV_DAILY_MESSAGE_CAP.value() }),
);
