/** The signed-in owner (undefined while Firebase Auth restores the session, null when signed out). */
import { onAuthStateChanged, signInWithEmailAndPassword, signOut, type User } from "firebase/auth";
import { useEffect, useState } from "react";
import { getBackend } from "../firebase";

export function useAuth(): User | null | undefined {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => onAuthStateChanged(getBackend().auth, setUser), []);
  return user;
}

export const signIn = (email: string, password: string) => signInWithEmailAndPassword(getBackend().auth, email, password);
export const signOutOwner = () => signOut(getBackend().auth);
