/**
 * benchBaseline (Functions emulator only): sendMessage without the billing. The same callable
 * wrapper (signed-in caller, strict schema, error mapping) and the same agent client with the same
 * settings, then the agent's text back (streamed as sendMessage streams it, `{delta}` chunks, when
 * the caller streams): no Firestore, no pricing, no ledger, no rate limit.
 * `npm run bench` measures what billing adds to a message against it.
 *
 * It exists only where FUNCTIONS_EMULATOR is "true" (the Functions emulator sets it, for discovery
 * too); a deploy never sees that variable, so the export is `undefined` and nothing is deployed.
 * For the same reason its spec stays here, out of the public map (contract/callables.ts) that the
 * client SDK is typed by: no app can call it.
 */
import { z } from "zod";
import { configuredAgentClient } from "../agent/configured-agent";
import { AGENT_API_KEY, SEND_MESSAGE_TIMEOUT_SECONDS } from "../config";
import { callable } from "../contract/callables";
import { DEFAULT_COMPLETION_TOKENS, MAX_COMPLETION_TOKENS, MAX_MESSAGE_CHARS } from "../contract/send-message";
import { DEFAULT_MODEL } from "../domain/pricing";
import { callableOf } from "./callable";

const benchBaselineSpec = callable(
  z.strictObject({
    message: z
      .string({ error: "must be a string" })
      .min(1, { error: "must not be empty" })
      .max(MAX_MESSAGE_CHARS, { error: "is too long" }),
    maxTokens: z.number({ error: "must be a number" }).int().min(1).max(MAX_COMPLETION_TOKENS).optional(),
  }),
).returns<{ response: string }, { delta: string }>();

export const benchBaseline =
  process.env.FUNCTIONS_EMULATOR === "true"
    ? callableOf(
        "benchBaseline",
        benchBaselineSpec,
        async (_caller, input, stream) => {
          const reply = await configuredAgentClient().complete({
            model: DEFAULT_MODEL,
            messages: [{ role: "user", content: input.message }],
            maxTokens: input.maxTokens ?? DEFAULT_COMPLETION_TOKENS,
            onDelta: stream ? (delta) => stream.sendChunk({ delta }) : undefined,
          });
          return { response: reply.text };
        },
        { timeoutSeconds: SEND_MESSAGE_TIMEOUT_SECONDS, secrets: [AGENT_API_KEY], memory: "512MiB" },
      )
    : undefined;
