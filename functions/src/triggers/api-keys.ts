/** The owner's callables of the agent API: its keys, and its end users' usage. */
import { handleEndUserUsage } from "../handlers/end-user-usage";
import { handleCreateAgentApiKey, handleListAgentApiKeys, handleRevokeAgentApiKey } from "../handlers/api-keys";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const createAgentApiKey = billingCallable("createAgentApiKey", (caller, input) =>
  handleCreateAgentApiKey(db(), caller.uid, input, Date.now()),
);

export const listAgentApiKeys = billingCallable("listAgentApiKeys", (caller, input) => handleListAgentApiKeys(db(), caller.uid, input));

export const revokeAgentApiKey = billingCallable("revokeAgentApiKey", (caller, input) =>
  handleRevokeAgentApiKey(db(), caller.uid, input, Date.now()),
);

export const getEndUserUsage = billingCallable("getEndUserUsage", (caller, input) =>
  handleEndUserUsage(db(), caller.uid, input, Date.now()),
);
