/**
 * AgentTesting: choose development (free) or production (billed, after a confirmation), chat with
 * the agent through the client SDK's streamed sendMessage, and watch tokens and cost live.
 */
import type { AgentView, QuoteMessageResponse, SendMessageResponse, TestMode } from "@agent-billing/client";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { FailureNotice } from "../../shared/components/ui";
import { describeFailure, type Failure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { useAgentFigures } from "../../shared/hooks/use-agent-figures";
import { MessageFigures } from "./message-figures";
import { ModeSwitch } from "./mode-switch";
import { ProductionConfirm } from "./production-confirm";
import { Sidebar } from "./sidebar";

interface Entry {
  key: string;
  message: string;
  reply: string;
  result: SendMessageResponse | null;
  failure: Failure | null;
}

const newConversationId = () => `console-${globalThis.crypto.randomUUID().slice(0, 8)}`;

export function TestingPage({ uid, agent }: { uid: string; agent: AgentView }) {
  const [mode, setMode] = useState<TestMode>("development");
  const [conversationId, setConversationId] = useState(newConversationId);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [draft, setDraft] = useState("");
  const [maxTokens, setMaxTokens] = useState(256);
  const [sending, setSending] = useState(false);
  const [retryUntil, setRetryUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [confirm, setConfirm] = useState<{ quote: QuoteMessageResponse | null; error: unknown } | null>(null);
  const figures = useAgentFigures(uid, agent.agentId);
  const endRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (retryUntil <= Date.now()) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [retryUntil]);
  useEffect(() => {
    // Braces: scrollIntoView may return a promise (newer Chromium), and an effect may return only a clean-up.
    void endRef.current?.scrollIntoView?.({ block: "end" });
  }, [entries]);

  const startConversation = (next: TestMode) => {
    setMode(next);
    setConversationId(newConversationId());
    setEntries([]);
  };

  const choose = (next: TestMode) => {
    if (next === mode) return;
    if (next === "development") return startConversation("development");
    setConfirm({ quote: null, error: null });
    getBackend()
      .billing.quoteMessage({ agentId: agent.agentId, message: draft, maxTokens, testMode: "production" })
      .then(
        (quote) => setConfirm((c) => (c ? { quote, error: null } : c)),
        (error: unknown) => setConfirm((c) => (c ? { quote: null, error } : c)),
      );
  };

  const update = (key: string, change: Partial<Entry>) => setEntries((list) => list.map((e) => (e.key === key ? { ...e, ...change } : e)));

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const message = draft.trim();
    if (!message || sending) return;
    const key = globalThis.crypto.randomUUID();
    setEntries((list) => [...list, { key, message, reply: "", result: null, failure: null }]);
    setDraft("");
    setSending(true);
    let reply = "";
    try {
      const result = await getBackend().billing.streamMessage(
        { agentId: agent.agentId, conversationId, message, testMode: mode, maxTokens },
        (delta) => {
          reply += delta;
          update(key, { reply });
        },
        { onRestart: () => (reply = "") },
      );
      update(key, { reply: result.response, result });
    } catch (err) {
      const failure = describeFailure(err);
      if (failure.retryInSeconds) setRetryUntil(Date.now() + failure.retryInSeconds * 1000);
      update(key, { failure });
    } finally {
      setSending(false);
      figures.reload();
    }
  };

  const waitSeconds = Math.max(0, Math.ceil((retryUntil - now) / 1000));
  return (
    <div className="testing">
      <div className="testing-main">
        <h1>
          Test {agent.name} <span className="muted">({agent.model})</span>
        </h1>
        {agent.status === "paused" ? (
          <p className="notice notice-paused" role="alert">
            This agent is paused: new messages are refused until you resume it on the Agents page.
          </p>
        ) : null}
        <ModeSwitch mode={mode} onChoose={choose} />
        <ProductionConfirm
          open={confirm !== null}
          quote={confirm?.quote ?? null}
          error={confirm?.error ?? null}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            startConversation("production");
          }}
        />
        <ol className={`chat chat-${mode}`} aria-label="Conversation" aria-live="polite">
          {entries.length === 0 ? (
            <li className="muted">
              No messages yet in this conversation. {mode === "production" ? "Each message you send is billed." : "Messages here are free."}
            </li>
          ) : null}
          {entries.map((entry) => (
            <li key={entry.key} className="exchange">
              <div className="bubble bubble-user">
                <span className="visually-hidden">You: </span>
                {entry.message}
              </div>
              {entry.reply ? (
                <div className="bubble bubble-agent">
                  <span className="visually-hidden">Agent: </span>
                  {entry.reply}
                </div>
              ) : null}
              {entry.result ? <MessageFigures result={entry.result} /> : null}
              {entry.failure ? <FailureNotice failure={entry.failure} /> : null}
              {!entry.result && !entry.failure ? <p className="muted">{entry.reply ? "streaming…" : "waiting for the agent…"}</p> : null}
            </li>
          ))}
        </ol>
        <div ref={endRef} />
        <form className="composer" onSubmit={send} aria-label="Send a message">
          <label htmlFor="message">Message</label>
          <textarea
            id="message"
            rows={3}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <div className="composer-row">
            <label htmlFor="max-tokens">Max reply tokens</label>
            <input
              id="max-tokens"
              type="number"
              min={1}
              max={4096}
              value={maxTokens}
              onChange={(e) => setMaxTokens(Math.max(1, Math.min(4096, Number(e.target.value) || 1)))}
            />
            <button
              type="submit"
              className={mode === "production" ? "danger" : undefined}
              disabled={sending || !draft.trim() || waitSeconds > 0}
            >
              {waitSeconds > 0 ? `Retry in ${waitSeconds} s` : mode === "production" ? "Send (billed)" : "Send (free)"}
            </button>
            <button type="button" onClick={() => startConversation(mode)} disabled={sending}>
              New conversation
            </button>
          </div>
        </form>
      </div>
      <Sidebar uid={uid} agentId={agent.agentId} conversationId={conversationId} mode={mode} figures={figures} />
    </div>
  );
}
