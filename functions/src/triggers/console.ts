/** The web console's callables: pause/resume an agent, quote the next message, list raised alerts, the account view. */
import { handleAccountOverview } from "../handlers/account";
import { handleSetAgentStatus } from "../handlers/agent-status";
import { handleListBillingAlerts } from "../handlers/list-alerts";
import { handleQuoteMessage } from "../handlers/quote-message";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const setAgentStatus = billingCallable("setAgentStatus", (caller, input) => handleSetAgentStatus(db(), caller.uid, input));

export const quoteMessage = billingCallable("quoteMessage", (caller, input) => handleQuoteMessage(db(), caller.uid, input, Date.now()));

export const listBillingAlerts = billingCallable("listBillingAlerts", (caller, input) => handleListBillingAlerts(db(), caller.uid, input));

export const getAccountOverview = billingCallable("getAccountOverview", (caller, input) =>
  handleAccountOverview(db(), caller.uid, input, Date.now()),
);
