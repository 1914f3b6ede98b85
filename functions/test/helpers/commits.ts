/**
 * A Firestore for in-process tests that is the real one, except that every batch's commit goes
 * through `around`: it gets the batch's commit to run (or not) and the paths of the documents the
 * batch creates, so a test can fail a commit (an outage) or hold it back (a race) at that point.
 */
import type { DocumentReference, Firestore, WriteBatch, WriteResult } from "firebase-admin/firestore";

export type CommitHook = (commit: () => Promise<WriteResult[]>, created: readonly string[]) => Promise<WriteResult[]>;

export function interceptCommits(db: Firestore, around: CommitHook): Firestore {
  return new Proxy(db, {
    get(target, prop) {
      if (prop !== "batch") {
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return () => {
        const batch = target.batch();
        const created: string[] = [];
        return new Proxy(batch, {
          get: (b, p) => {
            if (p === "commit") return () => around(() => b.commit(), created);
            if (p === "create")
              return (ref: DocumentReference, data: never) => {
                created.push(ref.path);
                return b.create(ref, data);
              };
            const value: unknown = Reflect.get(b, p, b);
            return typeof value === "function" ? value.bind(b) : value;
          },
        }) as WriteBatch;
      };
    },
  });
}
