/** Sign in with email and password (the demo owner that `npm start` prints works). */
import { useState, type FormEvent } from "react";
import { signIn } from "../../shared/hooks/use-auth";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      setError(
        /invalid|wrong|not-found|credential/.test(code) ? "Wrong email or password." : `Could not sign in (${code || String(err)}).`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>Agent billing console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="hint">
        Local demo: <code>demo@agent-billing.test</code> / <code>demo-password</code> (after <code>npm start</code>).
      </p>
    </main>
  );
}
