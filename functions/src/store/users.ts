/** The Firebase Auth users the backend looks up (Admin SDK). */
import { getAuth } from "firebase-admin/auth";

/** A signed-up user, as an org member is added by their email. */
export interface AuthUser {
  uid: string;
  email: string | null;
}

/** Finds a user by email address; null when no account has it. */
export async function findUserByEmail(email: string): Promise<AuthUser | null> {
  try {
    const user = await getAuth().getUserByEmail(email);
    return { uid: user.uid, email: user.email ?? null };
  } catch (err) {
    if ((err as { code?: unknown })?.code === "auth/user-not-found") return null;
    throw err;
  }
}
