/**
 * Streaming sendMessage: text deltas go to a callback as they arrive, the billed result comes last.
 * A retry (same messageId) may stream the answer again, or replay it without any delta: the relay
 * hands the caller each character once, so the deltas always add up to the final `response`.
 */
import type { HttpsCallable } from "firebase/functions";
import { BillingClientError } from "./errors";
import type { SendMessageChunk, SendMessageRequest, SendMessageResponse } from "./types";

/** Receives each new piece of the agent's answer. */
export type DeltaHandler = (delta: string) => void;

/** Options of a streamed message. */
export interface StreamOptions {
  /** Cancels the call; the SDK then throws a BillingClientError with code "cancelled". */
  signal?: AbortSignal;
  /**
   * Called when a retry produced an answer that differs from what was already shown (a
   * non-deterministic agent answered again): clear the text, the deltas start over.
   */
  onRestart?: () => void;
}

/** Hands out only text the caller has not seen yet, across the attempts of one message. */
export class DeltaRelay {
  private shown = "";
  private attempt = "";

  constructor(
    private readonly onDelta: DeltaHandler,
    private readonly onRestart?: () => void,
  ) {}

  /** A new attempt starts from the beginning of the answer. */
  startAttempt(): void {
    this.attempt = "";
  }

  push(delta: string): void {
    this.attempt += delta;
    this.catchUp(this.attempt);
  }

  /** The final answer: emits what no delta carried (a replayed result streams nothing). */
  finish(response: string): void {
    this.catchUp(response);
  }

  private catchUp(text: string): void {
    if (this.shown.startsWith(text)) return;
    if (!text.startsWith(this.shown)) {
      this.onRestart?.();
      this.shown = "";
    }
    const fresh = text.slice(this.shown.length);
    this.shown = text;
    this.onDelta(fresh);
  }
}

/** How long a closed stream may take to deliver its result event before it counts as cut off. */
const RESULT_GRACE_MS = 1_000;

/** One streamed attempt: relays the deltas and resolves to the final result. */
export async function streamOnce(
  callable: HttpsCallable<SendMessageRequest, SendMessageResponse, SendMessageChunk>,
  request: SendMessageRequest,
  relay: DeltaRelay,
  signal?: AbortSignal,
): Promise<SendMessageResponse> {
  relay.startAttempt();
  const { stream, data } = await callable.stream(request, { signal });
  // The result rejects together with the stream; keep that rejection from going unhandled.
  data.catch(() => undefined);
  for await (const chunk of stream) {
    if (typeof chunk?.delta === "string") relay.push(chunk.delta);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cutOff = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BillingClientError("unavailable", "The stream ended without a result.")), RESULT_GRACE_MS);
  });
  try {
    const result = await Promise.race([data, cutOff]);
    relay.finish(result.response);
    return result;
  } finally {
    clearTimeout(timer);
  }
}
