/** Small shared pieces: a figure, a notice, a labelled field, a mode badge. */
import { useId, type ReactNode } from "react";
import type { Failure } from "../errors";

/** A labelled figure; `testId`-free: tests find it by its label text. */
export function Figure({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="figure" role="group" aria-label={label}>
      <div className="figure-label">{label}</div>
      <div className="figure-value">{value}</div>
      {hint ? <div className="figure-hint">{hint}</div> : null}
    </div>
  );
}

/** The end of a form: its own error (one about no field), then its submit button. */
export function FormEnd({ error, busy, label, busyLabel }: { error?: string; busy: boolean; label: string; busyLabel: string }) {
  return (
    <>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
    </>
  );
}

/** A failure shown as an alert the screen reader announces. */
export function FailureNotice({ failure }: { failure: Failure }) {
  return (
    <div className={`notice notice-${failure.kind}`} role="alert">
      <strong>{failure.title}.</strong> {failure.message}
    </div>
  );
}

/** An input with its label and, when the backend refused it, the backend's message under it. */
export function Field({
  label,
  name,
  error,
  hint,
  ...input
}: { label: string; name: string; error?: string; hint?: string } & React.InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {error ? (
        <div id={`${id}-error`} className="field-error" role="alert">
          {label}: {error}
        </div>
      ) : hint ? (
        <div id={`${id}-hint`} className="field-hint">
          {hint}
        </div>
      ) : null}
    </div>
  );
}

/** The mode, by colour, badge and words: never colour alone. */
export function ModeBadge({ mode }: { mode: "development" | "production" }) {
  return mode === "production" ? (
    <span className="badge badge-production">PRODUCTION · BILLED</span>
  ) : (
    <span className="badge badge-development">DEVELOPMENT · FREE</span>
  );
}

export function Card({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <header className="card-header">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
