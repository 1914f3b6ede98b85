/** Organisations and their members (issue #18, first slice). */
import {
  handleAddOrgMember,
  handleCreateOrg,
  handleListOrgMembers,
  handleOrgBillingInfo,
  handleRemoveOrgMember,
  handleSetOrgBudgets,
  handleSetOrgMemberRole,
} from "../handlers/orgs";
import { db } from "../store/db";
import { findUserByEmail } from "../store/users";
import { billingCallable } from "./callable";

export const createOrg = billingCallable("createOrg", (caller, input) => handleCreateOrg(db(), caller, input, Date.now()));

export const addOrgMember = billingCallable("addOrgMember", (caller, input) =>
  handleAddOrgMember(db(), caller, input, Date.now(), findUserByEmail),
);

export const setOrgMemberRole = billingCallable("setOrgMemberRole", (caller, input) =>
  handleSetOrgMemberRole(db(), caller, input, Date.now()),
);

export const removeOrgMember = billingCallable("removeOrgMember", (caller, input) =>
  handleRemoveOrgMember(db(), caller, input, Date.now()),
);

export const listOrgMembers = billingCallable("listOrgMembers", (caller, input) => handleListOrgMembers(db(), caller, input));

export const setOrgBudgets = billingCallable("setOrgBudgets", (caller, input) => handleSetOrgBudgets(db(), caller, input, Date.now()));

export const getOrgBillingInfo = billingCallable("getOrgBillingInfo", (caller, input) =>
  handleOrgBillingInfo(db(), caller, input, Date.now()),
);
