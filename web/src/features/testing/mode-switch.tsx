/** Development (free) or production (billed): by colour, badge and words; production asks first. */
import type { TestMode } from "@agent-billing/client";
import { ModeBadge } from "../../shared/components/ui";

export function ModeSwitch({ mode, onChoose }: { mode: TestMode; onChoose: (mode: TestMode) => void }) {
  return (
    <div className={`mode-switch mode-${mode}`}>
      <fieldset>
        <legend>Mode</legend>
        <label className="mode-option">
          <input type="radio" name="mode" value="development" checked={mode === "development"} onChange={() => onChoose("development")} />
          Development: free (metered, never billed)
        </label>
        <label className="mode-option">
          <input type="radio" name="mode" value="production" checked={mode === "production"} onChange={() => onChoose("production")} />
          Production: billed to you
        </label>
      </fieldset>
      <div className="mode-banner" role="status" aria-live="polite">
        <ModeBadge mode={mode} />
        <span>
          {mode === "production"
            ? "Every message you send now is billed at the model's price."
            : "Messages are free: you see what each would cost in production."}
        </span>
      </div>
    </div>
  );
}
