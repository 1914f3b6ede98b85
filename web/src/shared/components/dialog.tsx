/**
 * A modal dialog on the native <dialog> element: focus moves into it, Escape closes it (as
 * "cancel"), and the page behind is inert while it is open.
 */
import { useEffect, useRef, type ReactNode } from "react";

export function Dialog({ title, open, onCancel, children }: { title: string; open: boolean; onCancel: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby="dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="dialog-title">{title}</h2>
      {open ? children : null}
    </dialog>
  );
}
