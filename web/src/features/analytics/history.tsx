/** The ledger's history of the agent in the range, newest first, a page at a time. */
import type { ListConversationsResponse } from "@agent-billing/client";
import { useState } from "react";
import { Card, FailureNotice } from "../../shared/components/ui";
import { describeFailure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";
import { formatCount, formatUsd } from "../../shared/format";
import { useCall } from "../../shared/hooks/use-call";

const PAGE_SIZE = 10;

export function History({ agentId, from, to }: { agentId: string; from: string; to: string }) {
  // Tokens of the pages before the current one; the current page's token is the last.
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const pageToken = tokens[tokens.length - 1];
  const page = useCall<ListConversationsResponse>(
    () => getBackend().billing.listBillableConversations({ agentId, from, to, pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) }),
    [agentId, from, to, pageToken],
  );
  const [range, setRange] = useState(`${from}/${to}`);
  if (range !== `${from}/${to}`) {
    setRange(`${from}/${to}`);
    setTokens([undefined]);
  }
  const items = page.data?.items ?? [];
  return (
    <Card title="History">
      {page.error ? <FailureNotice failure={describeFailure(page.error)} /> : null}
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">Messages, newest first, page {tokens.length}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Mode</th>
              <th scope="col">Model</th>
              <th scope="col">Message</th>
              <th scope="col">Tokens</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td>{new Date(item.timestamp).toLocaleString()}</td>
                <td>{item.billable ? "production" : "development"}</td>
                <td>{item.model}</td>
                <td className="truncate">{item.userMessage}</td>
                <td>{formatCount(item.tokens.total)}</td>
                <td>{item.billable ? formatUsd(item.costMicros) : `free (${formatUsd(item.shadowCostMicros)})`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.loading && items.length === 0 ? <p className="muted">Loading the history…</p> : null}
      {!page.loading && items.length === 0 ? <p>No messages in this range.</p> : null}
      <nav className="pager" aria-label="History pages">
        <button type="button" disabled={tokens.length === 1 || page.loading} onClick={() => setTokens((t) => t.slice(0, -1))}>
          Newer
        </button>
        <span>Page {tokens.length}</span>
        <button
          type="button"
          disabled={!page.data?.nextPageToken || page.loading}
          onClick={() => setTokens((t) => [...t, page.data?.nextPageToken ?? undefined])}
        >
          Older
        </button>
      </nav>
    </Card>
  );
}
