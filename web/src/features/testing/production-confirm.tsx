/**
 * The confirmation before production billing: the model, its prices, the worst case of the next
 * message as the backend computes its hold (quoteMessage), and what is left of today's limit.
 */
import type { QuoteMessageResponse } from "@agent-billing/client";
import { Dialog } from "../../shared/components/dialog";
import { FailureNotice } from "../../shared/components/ui";
import { describeFailure } from "../../shared/errors";
import { formatCount, formatPerMTok, formatUsd } from "../../shared/format";

interface Props {
  open: boolean;
  quote: QuoteMessageResponse | null;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}

const left = (remaining: number | null) => (remaining === null ? "no limit set" : `${formatUsd(remaining)} left`);

export function ProductionConfirm({ open, quote, error, onConfirm, onCancel }: Props) {
  const unpriced = quote !== null && quote.worstCaseMicros === null;
  return (
    <Dialog title="Switch to production billing?" open={open} onCancel={onCancel}>
      {error ? <FailureNotice failure={describeFailure(error)} /> : null}
      {!quote && !error ? <p>Asking the backend for the worst case…</p> : null}
      {quote ? (
        <dl className="confirm-figures">
          <dt>Model</dt>
          <dd>{quote.model}</dd>
          <dt>Prices</dt>
          <dd>
            {quote.price ? (
              <ul>
                <li>Input {formatPerMTok(quote.price.inputMicrosPerMTok)}</li>
                <li>Cached input {formatPerMTok(quote.price.cachedInputMicrosPerMTok)}</li>
                <li>Output {formatPerMTok(quote.price.outputMicrosPerMTok)}</li>
              </ul>
            ) : (
              <strong>No price: this model cannot be billed, so production refuses its messages.</strong>
            )}
          </dd>
          <dt>Worst case of the next message</dt>
          <dd>
            <strong>{quote.worstCaseMicros === null ? "—" : formatUsd(quote.worstCaseMicros)}</strong>
            <div className="muted">
              up to {formatCount(quote.bound.promptTokens)} prompt and {formatCount(quote.bound.completionTokens)} completion tokens (held
              against your limits while it runs)
            </div>
          </dd>
          <dt>Today&apos;s limit ({quote.daily.window})</dt>
          <dd>
            {left(quote.daily.remainingMicros)}
            {quote.daily.limitMicros !== null ? ` of ${formatUsd(quote.daily.limitMicros)}` : ""}
          </dd>
          <dt>This month ({quote.monthly.window})</dt>
          <dd>
            {left(quote.monthly.remainingMicros)}
            {quote.monthly.limitMicros !== null ? ` of ${formatUsd(quote.monthly.limitMicros)}` : ""}
          </dd>
        </dl>
      ) : null}
      {quote && !quote.fits && !unpriced ? (
        <p className="notice notice-limit" role="alert">
          The worst case does not fit what is left of the limits: a message may be refused.
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Stay in development
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={!quote || unpriced}>
          Start billing in production
        </button>
      </div>
    </Dialog>
  );
}
