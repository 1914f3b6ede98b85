/**
 * API keys: the agent's keys for its users' apps (the agent API), listed with their limits and last
 * use, created (the key shown once, with a copy button) and revoked, all through the client SDK.
 */
import type { AgentApiKeyView, AgentView, CreateAgentApiKeyResponse } from "@agent-billing/client";
import { useState, type FormEvent } from "react";
import { Card, FailureNotice, Field, FormEnd } from "../../shared/components/ui";
import { describeFailure, formErrors, type Failure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { formatUsd } from "../../shared/format";
import { useCall } from "../../shared/hooks/use-call";

const limitText = (micros: number | null) => (micros === null ? "none" : formatUsd(micros));
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");

function NewKey({ created }: { created: CreateAgentApiKeyResponse }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(created.key);
    setCopied(true);
  };
  return (
    <div className="notice" role="status" aria-label="New API key">
      <strong>Key “{created.name}” created.</strong> Copy it now: it is shown this once, and the backend keeps only its hash.
      <p>
        <code aria-label="The new key">{created.key}</code>{" "}
        <button type="button" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy"}
        </button>
      </p>
    </div>
  );
}

function KeyRow({ item, onRevoke }: { item: AgentApiKeyView; onRevoke: (item: AgentApiKeyView) => void }) {
  return (
    <tr>
      <td>{item.name}</td>
      <td>
        <code>{item.prefix}…</code>
      </td>
      <td>{limitText(item.dailyLimitMicros)}</td>
      <td>{limitText(item.endUserDailyLimitMicros)}</td>
      <td>{when(item.lastUsedAt)}</td>
      <td>
        {item.revokedAt ? (
          `Revoked ${when(item.revokedAt)}`
        ) : (
          <button type="button" onClick={() => onRevoke(item)} aria-label={`Revoke ${item.name}`}>
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}

export function ApiKeysPage({ agent }: { agent: AgentView }) {
  const keys = useCall(() => getBackend().billing.listAgentApiKeys({ agentId: agent.agentId }), [agent.agentId]);
  const [values, setValues] = useState({ name: "", dailyLimitUsd: "", endUserDailyLimitUsd: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<CreateAgentApiKeyResponse | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [key]: e.target.value }));
  const usd = (text: string) => (text.trim() === "" ? undefined : Number(text));
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setCreated(null);
    try {
      const request = {
        agentId: agent.agentId,
        name: values.name,
        dailyLimitUsd: usd(values.dailyLimitUsd),
        endUserDailyLimitUsd: usd(values.endUserDailyLimitUsd),
      };
      setCreated(await getBackend().billing.createAgentApiKey(request));
      setValues({ name: "", dailyLimitUsd: "", endUserDailyLimitUsd: "" });
      keys.reload();
    } catch (err) {
      setErrors(formErrors(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (item: AgentApiKeyView) => {
    if (!window.confirm(`Revoke “${item.name}”? Apps using it are refused from their next request.`)) return;
    try {
      await getBackend().billing.revokeAgentApiKey({ agentId: agent.agentId, keyId: item.keyId });
      keys.reload();
    } catch (err) {
      setFailure(describeFailure(err));
    }
  };
  return (
    <Card title={`API keys of ${agent.name}`}>
      <p>
        Apps of this agent's users call it with a key through its OpenAI-compatible endpoint; every call is billed to you as production.
      </p>
      {failure ? <FailureNotice failure={failure} /> : null}
      {created ? <NewKey created={created} /> : null}
      <form className="settings" onSubmit={create} aria-label="New API key" noValidate>
        <Field label="Key name" name="name" value={values.name} onChange={set("name")} error={errors.name} />
        <Field
          label="Key daily limit (USD)"
          name="dailyLimitUsd"
          type="number"
          step="any"
          value={values.dailyLimitUsd}
          onChange={set("dailyLimitUsd")}
          error={errors.dailyLimitUsd}
          hint="Empty for none."
        />
        <Field
          label="Daily limit per end user (USD)"
          name="endUserDailyLimitUsd"
          type="number"
          step="any"
          value={values.endUserDailyLimitUsd}
          onChange={set("endUserDailyLimitUsd")}
          error={errors.endUserDailyLimitUsd}
          hint="Each end user (the user field of the requests); empty for none."
        />
        <FormEnd error={errors.form} busy={busy} label="Create key" busyLabel="Creating…" />
      </form>
      {keys.data ? (
        <div className="table-scroll">
          <table aria-label="API keys">
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Daily limit</th>
                <th>Per end user</th>
                <th>Last used</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((item) => (
                <KeyRow key={item.keyId} item={item} onRevoke={(i) => void revoke(i)} />
              ))}
            </tbody>
          </table>
        </div>
      ) : keys.loading ? (
        <p>Loading…</p>
      ) : null}
    </Card>
  );
}
