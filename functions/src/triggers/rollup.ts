/** Rolls every new ledger row up into the summary, daily bucket and session, exactly once. */
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import { LEDGER_SIGNING_KEY, REGION } from "../config";
import { handleLedgerRowCreated } from "../handlers/rollup";
import { db } from "../store/db";
import { COLLECTIONS } from "../base/collections";

export const rollupBillableConversation = onDocumentCreated(
  { document: `${COLLECTIONS.ledger}/{messageId}`, region: REGION, retry: true, secrets: [LEDGER_SIGNING_KEY] },
  async (event) => {
    if (!event.data) return;
    await handleLedgerRowCreated(db(), LEDGER_SIGNING_KEY.value(), event.params.messageId, event.data.data());
  },
);
