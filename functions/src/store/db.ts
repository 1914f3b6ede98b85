import { getFirestore, type Firestore } from "firebase-admin/firestore";

/** The default Firestore instance (the app is initialised in index.ts or by the test harness). */
export const db = (): Firestore => getFirestore();
