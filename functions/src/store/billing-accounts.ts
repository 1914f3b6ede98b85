/**
 * The owner's account as sendMessage knows it: a copy per instance beside the agents' (store/agents.ts
 * AgentCache), so a production message can hold in its owner's credit grants in the batch that
 * claims it, with no round trip of its own. The copy is never trusted alone: the admission read
 * reads the account document again and compares its version (its update time; none when there is
 * no document), and on a mismatch the message is given back and starts again from that read
 * (handlers/send-message/index.ts).
 */
import type { DocumentReference, DocumentSnapshot, Firestore, Timestamp } from "firebase-admin/firestore";
import { COLLECTIONS } from "../base/collections";
import { readAccount, type CreditGrant } from "../domain/plans";
import { logUnexpected } from "../logs";

/** An owner's account as read: its grants and its version; `version` null when there is no document. */
export interface AccountVersion {
  grants: CreditGrant[];
  version: Timestamp | null;
}

/** The owner with no account document: no grants. */
export const NO_ACCOUNT: AccountVersion = Object.freeze({ grants: [], version: null }) as AccountVersion;

export const accountRef = (db: Firestore, uid: string): DocumentReference => db.doc(`${COLLECTIONS.accounts}/${uid}`);

/**
 * The account read as `snap`. An account that does not validate gives no grants (the owner pays,
 * never a credit it may not have), and is logged; its version is kept, so a fix is seen at once.
 */
export function accountVersionOf(uid: string, snap: DocumentSnapshot): AccountVersion {
  if (!snap.exists) return NO_ACCOUNT;
  let grants: CreditGrant[] = [];
  try {
    grants = readAccount(uid, snap.data()).credits;
  } catch (err) {
    logUnexpected(`account-read ${uid}`, err);
  }
  return { grants, version: snap.updateTime ?? null };
}

/** Whether two reads of an account found the same version (both: no document, or the same update time). */
export const sameAccount = (a: AccountVersion, b: AccountVersion): boolean =>
  a.version === null ? b.version === null : b.version !== null && a.version.isEqual(b.version);

/** The accounts this instance read last (see the module doc). Bounded: past `capacity` the one read longest ago is dropped. */
export class AccountCache {
  private readonly entries = new Map<string, AccountVersion>();

  constructor(private readonly capacity = 1_000) {}

  get(uid: string): AccountVersion | undefined {
    return this.entries.get(uid);
  }

  /** Keeps the account's latest version (a read that answers late does not replace a newer one). */
  set(uid: string, read: AccountVersion): void {
    const kept = this.entries.get(uid);
    this.entries.delete(uid);
    const newer = kept?.version && read.version && kept.version.valueOf() > read.version.valueOf();
    this.entries.set(uid, newer ? kept : read);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}
