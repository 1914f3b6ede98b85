/** Create an agent (name, model): the rules let an owner create their own, active, with no billing settings. */
import { createAgent } from "@agent-billing/client";
import { useState, type FormEvent } from "react";
import { getBackend } from "../../shared/firebase";
import { Card } from "../../shared/components/ui";

const MODELS = ["gpt-4", "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini"];

export function CreateAgentForm({ uid }: { uid: string }) {
  const [name, setName] = useState("");
  const [model, setModel] = useState("gpt-4");
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setStatus(null);
    try {
      const id = await createAgent(getBackend().db, uid, { name: name.trim(), model: model.trim() });
      setStatus(`Created agent "${name.trim()}" (${id}).`);
      setName("");
    } catch (err) {
      setStatus(`Could not create the agent: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Create an agent">
      <form className="inline-form" onSubmit={submit} aria-label="Create an agent">
        <div className="field">
          <label htmlFor="agent-name">Name</label>
          <input id="agent-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="agent-model">Model</label>
          <input id="agent-model" required maxLength={100} list="known-models" value={model} onChange={(e) => setModel(e.target.value)} />
          <datalist id="known-models">
            {MODELS.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
        <button type="submit" disabled={busy || !name.trim()}>
          Create agent
        </button>
      </form>
      {status ? (
        <p role="status" className="muted">
          {status}
        </p>
      ) : null}
    </Card>
  );
}
