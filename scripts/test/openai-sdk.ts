/**
 * The real `openai` SDK for the script tests.
 *
 * `openai` is a dependency of the `functions` workspace only (it is not hoisted to the root
 * node_modules), so a bare `import "openai"` from `scripts/` does not resolve. Every test imports the
 * SDK through this one module so that `instanceof OpenAI.APIError` checks see a single copy.
 */
import OpenAI from "../../functions/node_modules/openai";

export default OpenAI;
