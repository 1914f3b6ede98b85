/** Monthly statements: the caller's statement for a month, and the list of them (sealing on demand). */
import { handleGetStatement, handleListStatements } from "../handlers/statements";
import { db } from "../store/db";
import { billingCallable } from "./callable";

export const getStatement = billingCallable("getStatement", (caller, input) => handleGetStatement(db(), caller.uid, input, Date.now()));

export const listStatements = billingCallable("listStatements", (caller) => handleListStatements(db(), caller.uid, Date.now()));
